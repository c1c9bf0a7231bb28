"""CTC loss, gradient and decoders against enumeration of all frame paths and against PyTorch."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from lstm_cli.engine.gradcheck import check_gradients
from lstm_cli.engine.outputs.ctc import ctc_greedy_decode, ctc_loss, ctc_prefix_beam_search

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ctc"


def make_inputs(seed: int, blank: int = 0, dtype: type = np.float64) -> dict:
    """C=3, T=5, B=4 with unsorted frame lengths, a repeat, and an empty target."""
    labels = [k for k in range(3) if k != blank]
    a, b = labels
    rng = np.random.default_rng(seed)
    return {
        "logits": rng.normal(scale=1.5, size=(5, 4, 3)).astype(dtype),
        "lengths": np.array([4, 5, 2, 3]),
        "targets": np.array([[a, a, b], [b, a, blank], [b, blank, blank], [blank] * 3]),
        "target_lengths": np.array([3, 2, 1, 0]),
        "blank": blank,
    }


def collapse(path: tuple[int, ...], blank: int) -> tuple[int, ...]:
    return tuple(k for k, _ in itertools.groupby(path) if k != blank)


def log_softmax(x: np.ndarray) -> np.ndarray:
    return x - np.logaddexp.reduce(x, axis=-1, keepdims=True)


def string_log_probs(log_probs: np.ndarray, blank: int) -> dict[tuple[int, ...], float]:
    """log p(l | x) of every label string l, summing over all C^T frame paths: (T, C) input."""
    totals: dict[tuple[int, ...], float] = {}
    for path in itertools.product(range(log_probs.shape[1]), repeat=log_probs.shape[0]):
        score = float(sum(log_probs[t, k] for t, k in enumerate(path)))
        label = collapse(path, blank)
        totals[label] = np.logaddexp(totals.get(label, -np.inf), score)
    return totals


def loss_args(inputs: dict) -> tuple:
    return tuple(inputs[k] for k in ("logits", "lengths", "targets", "target_lengths"))


@pytest.mark.parametrize("blank", [0, 2])
def test_loss_matches_sum_over_all_alignments(blank: int) -> None:
    inputs = make_inputs(0, blank)
    losses, _ = ctc_loss(*loss_args(inputs), blank=blank, reduction="none")
    for b, length in enumerate(inputs["lengths"]):
        totals = string_log_probs(log_softmax(inputs["logits"][:length, b]), blank)
        target = tuple(inputs["targets"][b, : inputs["target_lengths"][b]].tolist())
        assert losses[b] == pytest.approx(-totals[target], rel=1e-12)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_gradient_matches_finite_differences(reduction: str) -> None:
    inputs = make_inputs(1, blank=1)
    _, grad = ctc_loss(*loss_args(inputs), blank=1, reduction=reduction)
    errors = check_gradients(
        lambda: ctc_loss(*loss_args(inputs), blank=1, reduction=reduction)[0],
        {"logits": inputs["logits"]},  # perturbed in place by check_gradients
        {"logits": grad},
        rng=np.random.default_rng(0),
        max_elements=grad.size,
    )
    assert errors["logits"] < 1e-6


def assert_matches_reference(inputs: dict, zero_infinity: bool, reference: dict) -> None:
    """reference: loss_none (B,), loss_sum, grad_sum, loss_mean, grad_mean."""
    args, blank = loss_args(inputs), int(inputs["blank"])
    losses, _ = ctc_loss(*args, blank=blank, reduction="none", zero_infinity=zero_infinity)
    np.testing.assert_allclose(losses, reference["loss_none"], rtol=1e-10)
    for reduction in ("sum", "mean"):
        loss, grad = ctc_loss(*args, blank=blank, reduction=reduction, zero_infinity=zero_infinity)
        assert loss == pytest.approx(float(reference[f"loss_{reduction}"]), rel=1e-10)
        np.testing.assert_allclose(grad, reference[f"grad_{reduction}"], atol=1e-10)


@pytest.mark.parametrize("name", ["basic", "blank_last", "zero_infinity"])
def test_matches_stored_torch_fixtures(name: str) -> None:
    stored = dict(np.load(FIXTURES / f"{name}.npz"))
    assert_matches_reference(stored, bool(stored["zero_infinity"]), stored)


@pytest.mark.parametrize("seed", range(3))
def test_matches_torch_live(seed: int) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    T, B, C = 12, 4, 6
    blank = int(rng.integers(C))
    lengths = np.array([12, 7, 10, 4])
    labels = np.array([k for k in range(C) if k != blank])
    targets = rng.choice(labels, size=(B, 5))
    targets[0, 1] = targets[0, 0]  # a repeat
    inputs = {
        "logits": rng.normal(scale=2.0, size=(T, B, C)),
        "lengths": lengths,
        "targets": targets,
        "target_lengths": np.array([5, 3, 0, 2]),
        "blank": blank,
    }
    reference = {}
    for reduction in ("none", "sum", "mean"):
        x = torch.tensor(inputs["logits"], requires_grad=True)
        loss = torch.nn.functional.ctc_loss(
            x.log_softmax(dim=2),
            torch.tensor(targets),
            torch.tensor(lengths),
            torch.tensor(inputs["target_lengths"]),
            blank=blank,
            reduction=reduction,
        )
        if reduction == "none":
            reference["loss_none"] = loss.detach().numpy()
        else:
            loss.backward()
            reference[f"loss_{reduction}"], reference[f"grad_{reduction}"] = loss.item(), x.grad
    reference = {k: np.asarray(v) for k, v in reference.items()}
    assert_matches_reference(inputs, False, reference)


def test_infeasible_target_gives_inf_loss_and_zero_gradient() -> None:
    inputs = make_inputs(2)
    inputs["targets"][2] = [1, 1, 0]  # a repeat needs 3 frames, sequence 2 has 2
    inputs["target_lengths"][2] = 2
    losses, grad = ctc_loss(*loss_args(inputs), reduction="none")
    assert np.isposinf(losses[2]) and np.all(np.isfinite(np.delete(losses, 2)))
    assert np.all(grad[:, 2] == 0) and np.all(np.isfinite(grad))
    assert np.isposinf(ctc_loss(*loss_args(inputs))[0])
    zeroed, zeroed_grad = ctc_loss(*loss_args(inputs), reduction="none", zero_infinity=True)
    np.testing.assert_array_equal(zeroed, np.where(np.isinf(losses), 0, losses))
    np.testing.assert_array_equal(zeroed_grad, grad)


def test_padding_garbage_changes_nothing() -> None:
    inputs = make_inputs(3)
    garbage = dict(inputs, logits=inputs["logits"].copy(), targets=inputs["targets"].copy())
    padding = np.arange(5)[:, None] >= inputs["lengths"]
    garbage["logits"][padding] = [np.nan, np.inf, -1e30]
    garbage["targets"][np.arange(3) >= inputs["target_lengths"][:, None]] = 99
    for reduction in ("none", "sum", "mean"):
        loss, grad = ctc_loss(*loss_args(inputs), reduction=reduction)
        garbage_loss, garbage_grad = ctc_loss(*loss_args(garbage), reduction=reduction)
        np.testing.assert_array_equal(garbage_loss, loss)
        np.testing.assert_array_equal(garbage_grad, grad)
        assert np.all(grad[padding] == 0)
    decoded_args = (garbage["logits"], garbage["lengths"])
    assert ctc_greedy_decode(*decoded_args) == ctc_greedy_decode(*loss_args(inputs)[:2])
    assert ctc_prefix_beam_search(*decoded_args) == ctc_prefix_beam_search(*loss_args(inputs)[:2])


def test_float32_inputs_compute_in_float32() -> None:
    loss64, grad64 = ctc_loss(*loss_args(make_inputs(4)))
    losses32, grad32 = ctc_loss(*loss_args(make_inputs(4, dtype=np.float32)), reduction="none")
    assert losses32.dtype == np.float32 and grad32.dtype == np.float32
    assert float(losses32.sum()) == pytest.approx(loss64, rel=1e-5)
    np.testing.assert_allclose(grad32, grad64, atol=1e-5)


def test_invalid_arguments_are_rejected() -> None:
    args = loss_args(make_inputs(5))
    with pytest.raises(ValueError, match="reduction"):
        ctc_loss(*args, reduction="avg")
    with pytest.raises(ValueError, match="blank"):
        ctc_loss(*args, blank=1)
    with pytest.raises(ValueError, match="lengths"):
        ctc_loss(args[0], np.array([4, 6, 2, 3]), *args[2:])


def one_hot_logits(frames: list[list[int]], num_classes: int = 3) -> np.ndarray:
    """(T, B, C) logits whose per-frame argmax is frames[b][t]."""
    return np.eye(num_classes)[np.array(frames).T] * 5.0


def test_greedy_decode_collapses_repeats_then_drops_blanks() -> None:
    logits = one_hot_logits([[1, 1, 0, 1, 2, 2, 0], [0, 0, 0, 0, 0, 0, 0], [2, 0, 2, 2, 1, 1, 1]])
    assert ctc_greedy_decode(logits, np.array([7, 7, 4])) == [[1, 1, 2], [], [2, 2]]
    assert ctc_greedy_decode(logits, np.array([7, 7, 7]), blank=2) == [[1, 0, 1, 0], [0], [0, 1]]


def test_beam_search_sums_alignments_where_best_path_does_not() -> None:
    # Each frame: p(blank) = 0.6, p(1) = 0.4. Best path "" has 0.36; string "1" has 0.64.
    log_probs = np.log(np.array([[[0.6, 0.4, 1e-12]]] * 2))
    assert ctc_greedy_decode(log_probs, np.array([2])) == [[]]
    assert ctc_prefix_beam_search(log_probs, np.array([2]), beam_width=4) == [[1]]


@pytest.mark.parametrize(("seed", "blank"), [(6, 0), (7, 1), (8, 2)])
def test_wide_beam_search_equals_exhaustive_search(seed: int, blank: int) -> None:
    inputs = make_inputs(seed, blank)
    inputs["logits"] *= 0.5  # flatter frames make best path and best string disagree more often
    decoded = ctc_prefix_beam_search(
        inputs["logits"], inputs["lengths"], blank=blank, beam_width=100
    )
    for b, length in enumerate(inputs["lengths"]):
        totals = string_log_probs(log_softmax(inputs["logits"][:length, b]), blank)
        assert decoded[b] == list(max(totals, key=totals.get))
    log_probs = log_softmax(inputs["logits"])
    assert ctc_prefix_beam_search(log_probs, inputs["lengths"], blank=blank, beam_width=100) == (
        decoded
    )
