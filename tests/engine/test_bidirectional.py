"""The stacked bidirectional LSTM loop against the two directions run one after the other."""

import numpy as np
import pytest

from lstm_cli.engine import bidirectional
from lstm_cli.engine.recurrent import RecurrentStack


def run_stack(monkeypatch, stacked, lengths, layers=2):
    """Outputs, ∂L/∂x and parameter gradients with the stacked loop forced on or off."""
    monkeypatch.setattr(bidirectional, "EXTRA_ROWS_ALLOWED", float("inf") if stacked else 0.0)
    rng = np.random.default_rng(0)
    stack = RecurrentStack("lstm", 3, 4, num_layers=layers, bidirectional=True, rng=rng,
                           dtype=np.float64)
    for value in stack.named_params().values():
        value[...] = rng.uniform(-0.8, 0.8, value.shape)
    x = rng.standard_normal((7, len(lengths), 3))
    d_out = rng.standard_normal((7, len(lengths), 8))
    y, backward = stack.forward(x, np.array(lengths))
    d_x = backward(d_out)
    return y, d_x, {name: grad.copy() for name, grad in stack.named_grads().items()}


@pytest.mark.parametrize("lengths", [[7, 7, 7], [1, 7, 3, 7, 2], [7, 1, 1, 1]],
                         ids=["full", "ragged", "one-long"])
def test_stacked_loop_equals_separate_loops(monkeypatch, lengths):
    y_sep, d_x_sep, grads_sep = run_stack(monkeypatch, False, lengths)
    y_stk, d_x_stk, grads_stk = run_stack(monkeypatch, True, lengths)
    np.testing.assert_allclose(y_stk, y_sep, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(d_x_stk, d_x_sep, rtol=1e-12, atol=1e-14)
    for name, grad in grads_sep.items():
        np.testing.assert_allclose(grads_stk[name], grad, rtol=1e-12, atol=1e-14, err_msg=name)
    mask = np.arange(7)[:, None] < np.array(lengths)[None, :]
    assert not y_stk[~mask].any()                        # zero past each sequence's end


def test_stacking_is_chosen_only_for_fused_bidirectional_layers_of_similar_lengths():
    rng = np.random.default_rng(0)
    lstm = RecurrentStack("lstm", 3, 4, bidirectional=True, rng=rng).layers[0]
    gru = RecurrentStack("gru", 3, 4, bidirectional=True, rng=rng).layers[0]
    cells = [unit.cell for unit in lstm]
    assert bidirectional.stacking_pays(cells, np.array([4, 4, 4]))
    assert not bidirectional.stacking_pays(cells, np.array([4, 1, 1, 1, 1, 1]))
    assert not bidirectional.stacking_pays(cells[:1], np.array([4, 4, 4]))
    assert not bidirectional.stacking_pays([unit.cell for unit in gru], np.array([4, 4, 4]))
