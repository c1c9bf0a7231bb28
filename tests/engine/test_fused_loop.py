"""The fused LSTM's two layouts of the per-step recurrent product give the same numbers."""

import numpy as np
import pytest

from lstm_cli.engine import bidirectional, fused_loop
from tests import support


@pytest.mark.parametrize("stacked", [False, True], ids=["separate", "stacked"])
@pytest.mark.parametrize("lengths", [[5, 5, 5], [2, 5, 1, 4]], ids=["full", "ragged"])
def test_the_row_major_product_gives_the_gate_major_outputs_and_gradients(monkeypatch, stacked,
                                                                           lengths):
    monkeypatch.setattr(bidirectional, "EXTRA_ROWS_ALLOWED", float("inf") if stacked else 0.0)
    rng = np.random.default_rng(3)
    stack = support.random_stack("lstm", 3, 4, rng, layers=2, bidirectional=True)
    x = rng.standard_normal((5, len(lengths), 3))
    d_out = rng.standard_normal((5, len(lengths), 8))
    results = []
    for gate_major in (True, False):
        monkeypatch.setattr(fused_loop, "gate_major_product",
                            lambda hidden_size, rows, choice=gate_major: choice)
        out, backward = stack.forward(x, np.array(lengths))
        d_x = backward(d_out)
        untaped, _ = stack.forward(x, np.array(lengths), keep_tape=False)
        grads = {name: grad.copy() for name, grad in stack.named_grads().items()}
        results.append((out, d_x, untaped, grads))
    (out, d_x, untaped, grads), (out2, d_x2, untaped2, grads2) = results
    for first, second in [(out, out2), (d_x, d_x2), (untaped, untaped2),
                          *((grads[name], grads2[name]) for name in grads)]:
        np.testing.assert_allclose(second, first, rtol=1e-12, atol=1e-14)
