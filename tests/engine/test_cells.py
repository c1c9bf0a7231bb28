"""The fused LSTM fast path against the general LSTM cell, and buffer reuse between batches."""

import numpy as np
import pytest

from lstm_cli.engine.cells import FusedLSTMCell, LSTMCell, make_cell
from tests import support


def random_stack(cell, bidirectional, layers, seed=0, **options):
    return support.random_stack(cell, 3, 4, np.random.default_rng(seed), layers=layers,
                                bidirectional=bidirectional, **options)


def run(stack, x, lengths, d_out):
    """Outputs, ∂L/∂x and copies of every parameter gradient."""
    y, backward = stack.forward(x, lengths)
    d_x = backward(d_out.copy())
    return y, d_x, {name: grad.copy() for name, grad in stack.named_grads().items()}


@pytest.mark.parametrize("options,fused", [
    ({}, True), ({"variant": "NP", "peepholes": True}, True), ({"peepholes": True}, False),
    ({"variant": "CIFG"}, False), ({"cell_activation": "relu"}, False)])
def test_make_cell_picks_the_fused_lstm_only_where_it_applies(options, fused):
    cell = make_cell("lstm", 3, 4, rng=np.random.default_rng(0), **options)
    assert isinstance(cell, LSTMCell)
    assert isinstance(cell, FusedLSTMCell) == fused


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("lengths", [[6, 6, 6], [2, 6, 5]], ids=["full", "ragged"])
def test_fused_lstm_equals_the_general_cell(bidirectional, lengths):
    """Same parameters through FusedLSTMCell and LSTMCell: same outputs and gradients."""
    fused = random_stack("lstm", bidirectional, 2)
    general = random_stack("lstm", bidirectional, 2)
    for layer in general.layers:
        for unit in layer:
            params = unit.cell.params
            unit.cell = LSTMCell(unit.cell.input_size, 4, rng=np.random.default_rng(0),
                                 dtype=np.float64)
            unit.cell.params.update(params)
            unit.params, unit.grads = unit.cell.params, unit.cell.grads
    assert all(isinstance(unit.cell, FusedLSTMCell) for layer in fused.layers for unit in layer)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 3, 3))
    d_out = rng.standard_normal((6, 3, fused.output_size))
    lengths = np.array(lengths)
    y_fused, d_x_fused, grads_fused = run(fused, x, lengths, d_out)
    y_general, d_x_general, grads_general = run(general, x, lengths, d_out)
    np.testing.assert_allclose(y_fused, y_general, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(d_x_fused, d_x_general, rtol=1e-12, atol=1e-14)
    for name, grad in grads_general.items():
        np.testing.assert_allclose(grads_fused[name], grad, rtol=1e-12, atol=1e-14, err_msg=name)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_reused_buffers_change_no_result(cell):
    """Batches of other shapes in between, and a second forward pass before the first one's
    backward: every result equals that of a fresh stack."""
    rng = np.random.default_rng(2)
    x, d_out = rng.standard_normal((6, 3, 3)), rng.standard_normal((6, 3, 8))
    lengths = np.array([6, 2, 5])
    y_fresh, d_x_fresh, grads_fresh = run(random_stack(cell, True, 2), x, lengths, d_out)

    stack = random_stack(cell, True, 2)
    for steps, batch in [(9, 5), (2, 1), (6, 3)]:             # grow, shrink, same shape
        run(stack, rng.standard_normal((steps, batch, 3)), np.full(batch, steps),
            rng.standard_normal((steps, batch, 8)))
    y_first, backward_first = stack.forward(x, lengths)
    y_other, backward_other = stack.forward(x[::-1].copy(), np.array([6, 6, 6]))
    d_x = backward_first(d_out.copy())
    np.testing.assert_array_equal(y_first, y_fresh)
    np.testing.assert_array_equal(d_x, d_x_fresh)
    for name, grad in stack.named_grads().items():
        np.testing.assert_array_equal(grad, grads_fresh[name], err_msg=name)
    del backward_first, backward_other                      # buffers go back to the workspace
    y_again, _ = stack.forward(x, lengths)
    np.testing.assert_array_equal(y_first, y_fresh)        # an earlier output is never reused
    np.testing.assert_array_equal(y_again, y_fresh)
    assert y_other.shape == (6, 3, 8)
