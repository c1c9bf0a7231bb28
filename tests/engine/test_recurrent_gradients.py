"""Finite-difference checks of every cell, variant, direction and depth on ragged batches."""

import numpy as np
import pytest

from lstm_cli.engine.cells import LSTM_VARIANTS
from lstm_cli.engine.gradcheck import check_gradients
from tests import support

LENGTHS = np.array([5, 2, 4])


def stack_loss_and_grads(stack, x, lengths, weights):
    """L = Σ weights ⊙ h over real steps; returns L, (closure recomputing L), ∂L/∂x."""
    def loss():
        y, _ = stack.forward(x, lengths)
        return float((y * weights).sum())

    y, backward = stack.forward(x, lengths)
    d_x = backward(weights.copy())
    return float((y * weights).sum()), loss, d_x


def random_stack(cell, bidirectional, layers, seed=0, **options):
    """A random 3 -> 2 stack, inputs [5, 3, 3] and loss weights that are 0 past LENGTHS."""
    rng = np.random.default_rng(seed)
    stack = support.random_stack(cell, 3, 2, rng, layers=layers, bidirectional=bidirectional,
                                 **options)
    x = rng.standard_normal((5, 3, 3))
    mask = np.arange(5)[:, None] < LENGTHS[None, :]
    weights = rng.standard_normal((5, 3, stack.output_size)) * mask[..., None]
    return stack, x, weights


CASES = (
    [("lstm", {"variant": v, "peepholes": p}) for v in LSTM_VARIANTS for p in (False, True)]
    + [("gru", {}), ("rnn", {"nonlinearity": "tanh"}), ("rnn", {"nonlinearity": "relu"})]
)


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell,options", CASES,
                         ids=[f"{c}-{'-'.join(map(str, o.values()))}" for c, o in CASES])
def test_gradients_match_finite_differences(cell, options, bidirectional, layers):
    stack, x, weights = random_stack(cell, bidirectional, layers, **options)
    _, loss, d_x = stack_loss_and_grads(stack, x, LENGTHS, weights)
    grads = {name: grad.copy() for name, grad in stack.named_grads().items()}
    rng = np.random.default_rng(1)
    errors = check_gradients(loss, stack.named_params(), grads, rng=rng, max_elements=8)
    errors["input"] = check_gradients(loss, {"x": x}, {"x": d_x}, rng=rng, max_elements=8)["x"]
    assert max(errors.values()) < 1e-6, errors


def test_peephole_and_fgr_parameters_exist():
    stack, _, _ = random_stack("lstm", False, 1, variant="FGR", peepholes=True)
    names = set(stack.named_params())
    assert {"l0.fwd.peep_i", "l0.fwd.peep_f", "l0.fwd.peep_o", "l0.fwd.w_gates"} <= names
    stack, _, _ = random_stack("lstm", False, 1, variant="CIFG", peepholes=True)
    assert stack.named_params()["l0.fwd.w_input"].shape == (3 * 2, 3)   # i, o, g
    assert "l0.fwd.peep_f" not in stack.named_params()


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_garbage_changes_nothing(cell, bidirectional):
    """A sequence padded with garbage gives the outputs and gradients of the sequence alone."""
    stack, x, weights = random_stack(cell, bidirectional, 2)
    length = 3
    alone_x, alone_w = x[:length, :1].copy(), weights[:length, :1].copy()
    _, _, d_alone = stack_loss_and_grads(stack, alone_x, np.array([length]), alone_w)
    y_alone, _ = stack.forward(alone_x, np.array([length]))
    grads_alone = {k: g.copy() for k, g in stack.named_grads().items()}

    padded_x = np.concatenate([alone_x, np.full((4, 1, 3), 1e3)])          # garbage frames
    padded_w = np.concatenate([alone_w, np.zeros((4, 1, stack.output_size))])
    _, _, d_padded = stack_loss_and_grads(stack, padded_x, np.array([length]), padded_w)
    y_padded, _ = stack.forward(padded_x, np.array([length]))
    np.testing.assert_allclose(y_padded[:length], y_alone, rtol=1e-12, atol=1e-14)
    assert np.all(y_padded[length:] == 0)
    np.testing.assert_allclose(d_padded[:length], d_alone, rtol=1e-12, atol=1e-14)
    assert np.all(d_padded[length:] == 0)
    for name, grad in stack.named_grads().items():
        np.testing.assert_allclose(grad, grads_alone[name], rtol=1e-10, atol=1e-13, err_msg=name)


def test_unsorted_batch_equals_sorted():
    stack, x, weights = random_stack("lstm", True, 2)
    lengths = np.array([2, 5, 4])
    perm = np.array([1, 2, 0])      # sorted order of `lengths`
    y, backward = stack.forward(x, lengths)
    d_x = backward(weights)
    grads = {k: g.copy() for k, g in stack.named_grads().items()}
    y_sorted, back_sorted = stack.forward(x[:, perm], lengths[perm])
    d_sorted = back_sorted(weights[:, perm])
    np.testing.assert_allclose(y[:, perm], y_sorted, rtol=1e-13)
    np.testing.assert_allclose(d_x[:, perm], d_sorted, rtol=1e-13, atol=1e-15)
    for name, grad in stack.named_grads().items():
        np.testing.assert_allclose(grads[name], grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("layers", [1, 2])
def test_without_input_grad_the_weight_gradients_are_the_same_and_dx_is_skipped(layers):
    stack, x, weights = random_stack("lstm", True, layers)
    _, backward = stack.forward(x, LENGTHS)
    assert backward(weights.copy()) is not None
    expected = {name: grad.copy() for name, grad in stack.named_grads().items()}
    _, backward = stack.forward(x, LENGTHS, input_grad=False)
    assert backward(weights.copy()) is None
    for name, grad in stack.named_grads().items():
        np.testing.assert_array_equal(grad, expected[name], err_msg=name)


def test_a_frames_only_tagger_skips_dx_and_a_token_tagger_does_not(monkeypatch):
    from types import SimpleNamespace

    from lstm_cli.engine import recurrent
    from lstm_cli.engine.tagger import SequenceTagger

    asked = []
    original = recurrent.RecurrentStack.forward

    def spy(self, *args, input_grad=True, **kwargs):
        asked.append(input_grad)
        return original(self, *args, input_grad=input_grad, **kwargs)

    monkeypatch.setattr(recurrent.RecurrentStack, "forward", spy)
    rng = np.random.default_rng(0)
    mask = np.ones((4, 2), dtype=bool)
    batch = SimpleNamespace(token_ids=rng.integers(2, 6, (4, 2)), feature_ids={},
                            frames=rng.standard_normal((4, 2, 3)), lengths=np.array([4, 4]),
                            mask=mask, label_ids=rng.integers(0, 3, (4, 2)))
    for kwargs, expected in [({"frame_dim": 3}, False),
                             ({"vocab_size": 6, "embedding_dim": 4}, True),
                             ({"vocab_size": 6, "embedding_dim": 4,
                               "freeze_embedding": True}, False)]:
        tagger = SequenceTagger(num_labels=3, rng=rng, hidden_size=3, **kwargs)
        asked.clear()
        tagger.loss_and_grads(batch, rng=rng)
        assert asked == [expected], kwargs
