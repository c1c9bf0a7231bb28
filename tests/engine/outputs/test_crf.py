"""The linear-chain CRF against brute-force enumeration of all C^L tag paths."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from lstm_cli.engine.gradcheck import check_gradients
from lstm_cli.engine.outputs.crf import crf_marginals, crf_nll, crf_viterbi

T, B, C = 4, 3, 3
LENGTHS = np.array([4, 1, 3])  # deliberately not sorted by length
PARAM_KEYS = ("transitions", "start", "end")

# BIO over tags O=0, B=1, I=2: I may only follow B or I, and cannot start a sequence.
BIO_ALLOWED = (
    np.array([[True, True, False], [True, True, True], [True, True, True]]),
    np.array([True, True, False]),
    np.ones(C, dtype=bool),
)


def make_inputs(seed: int, dtype: type = np.float64) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "emissions": rng.normal(size=(T, B, C)).astype(dtype),
        "tags": rng.integers(0, C, size=(T, B)),
        "lengths": LENGTHS,
        "transitions": rng.normal(size=(C, C)).astype(dtype),
        "start": rng.normal(size=C).astype(dtype),
        "end": rng.normal(size=C).astype(dtype),
    }


def model_args(inputs: dict) -> tuple:
    return tuple(inputs[k] for k in ("emissions", "lengths", *PARAM_KEYS))


def path_counts(path: tuple[int, ...], b: int) -> dict[str, np.ndarray]:
    """How often each score of s(path) is used by sequence b: d s(path) / d parameters."""
    counts = {"emissions": np.zeros((T, B, C)), "transitions": np.zeros((C, C))}
    counts["start"], counts["end"] = np.eye(C)[path[0]], np.eye(C)[path[-1]]
    for t, tag in enumerate(path):
        counts["emissions"][t, b, tag] = 1
    for i, j in itertools.pairwise(path):
        counts["transitions"][i, j] += 1
    return counts


def path_score(inputs: dict, path: tuple[int, ...], b: int) -> float:
    counts = path_counts(path, b)
    return sum(float(np.sum(counts[k] * inputs[k])) for k in ("emissions", *PARAM_KEYS))


def is_allowed(path: tuple[int, ...], allowed: tuple | None) -> bool:
    if allowed is None:
        return True
    moves_ok = all(allowed[0][i, j] for i, j in itertools.pairwise(path))
    return bool(moves_ok and allowed[1][path[0]] and allowed[2][path[-1]])


def brute_force(inputs: dict, allowed: tuple | None = None) -> tuple:
    """(loss_sum, grads, marginals, best paths) by enumerating every allowed path."""
    loss_sum = 0.0
    grads = {k: np.zeros_like(v) for k, v in path_counts((0,), 0).items()}
    marginals = np.zeros((T, B, C))
    best = []
    for b, length in enumerate(inputs["lengths"]):
        paths = [
            p for p in itertools.product(range(C), repeat=int(length)) if is_allowed(p, allowed)
        ]
        scores = np.array([path_score(inputs, p, b) for p in paths])
        log_z = np.logaddexp.reduce(scores)
        gold = tuple(int(y) for y in inputs["tags"][:length, b])
        loss_sum += log_z - path_score(inputs, gold, b)
        for path, prob in zip(paths, np.exp(scores - log_z), strict=True):
            for key, count in path_counts(path, b).items():
                grads[key] += prob * count
        for key, count in path_counts(gold, b).items():
            grads[key] -= count
        marginals[:, b] = sum(
            prob * path_counts(p, b)["emissions"][:, b]
            for p, prob in zip(paths, np.exp(scores - log_z), strict=True)
        )
        best.append(np.array(paths[int(np.argmax(scores))]))
    return loss_sum, grads, marginals, best


def test_nll_and_gradients_match_brute_force() -> None:
    inputs = make_inputs(0)
    expected_loss, expected_grads, _, _ = brute_force(inputs)
    loss, grads = crf_nll(**inputs)
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    for key, expected in expected_grads.items():
        np.testing.assert_allclose(grads[key], expected, atol=1e-12, err_msg=key)


def test_marginals_match_brute_force_and_sum_to_one() -> None:
    inputs = make_inputs(1)
    _, _, expected, _ = brute_force(inputs)
    marginals = crf_marginals(*model_args(inputs))
    np.testing.assert_allclose(marginals, expected, atol=1e-12)
    mask = np.arange(T)[:, None] < LENGTHS
    np.testing.assert_allclose(marginals.sum(axis=2), mask.astype(float), atol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_viterbi_matches_brute_force_argmax(seed: int) -> None:
    inputs = make_inputs(seed)
    _, _, _, expected = brute_force(inputs)
    paths = crf_viterbi(*model_args(inputs))
    assert [p.tolist() for p in paths] == [p.tolist() for p in expected]


def test_gradients_match_finite_differences() -> None:
    inputs = make_inputs(2)
    _, grads = crf_nll(**inputs)
    params = {key: inputs[key] for key in grads}  # perturbed in place by check_gradients
    errors = check_gradients(
        lambda: crf_nll(**inputs)[0],
        params,
        grads,
        rng=np.random.default_rng(0),
        max_elements=grads["emissions"].size,
    )
    assert max(errors.values()) < 1e-6, errors


def test_padding_garbage_changes_nothing() -> None:
    inputs = make_inputs(3)
    garbage = dict(inputs, emissions=inputs["emissions"].copy(), tags=inputs["tags"].copy())
    padding = np.arange(T)[:, None] >= LENGTHS
    garbage["emissions"][padding] = np.array([np.nan, 1e30, -np.inf])
    garbage["tags"][padding] = -7
    loss, grads = crf_nll(**inputs)
    garbage_loss, garbage_grads = crf_nll(**garbage)
    assert garbage_loss == loss
    for key in grads:
        np.testing.assert_array_equal(garbage_grads[key], grads[key])
    assert np.all(garbage_grads["emissions"][padding] == 0)
    np.testing.assert_array_equal(
        crf_marginals(*model_args(garbage)), crf_marginals(*model_args(inputs))
    )
    for got, expected in zip(
        crf_viterbi(*model_args(garbage)), crf_viterbi(*model_args(inputs)), strict=True
    ):
        np.testing.assert_array_equal(got, expected)


def test_constraints_restrict_nll_and_viterbi_to_allowed_paths() -> None:
    inputs = make_inputs(4)
    inputs["emissions"][:, :, 2] += 2.0  # make the forbidden I tempting
    inputs["tags"][:, :] = [[1], [2], [0], [1]]  # B I O B: an allowed gold path
    expected_loss, expected_grads, expected_marginals, expected_best = brute_force(
        inputs, BIO_ALLOWED
    )
    loss, grads = crf_nll(**inputs, allowed=BIO_ALLOWED)
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    for key, expected in expected_grads.items():
        np.testing.assert_allclose(grads[key], expected, atol=1e-12, err_msg=key)
    for key, ok in zip(PARAM_KEYS, BIO_ALLOWED, strict=True):
        assert np.all(grads[key][~ok] == 0), key
    marginals = crf_marginals(*model_args(inputs), allowed=BIO_ALLOWED)
    np.testing.assert_allclose(marginals, expected_marginals, atol=1e-12)
    paths = crf_viterbi(*model_args(inputs), allowed=BIO_ALLOWED)
    assert [p.tolist() for p in paths] == [p.tolist() for p in expected_best]
    assert all(is_allowed(tuple(p), BIO_ALLOWED) for p in paths)


def test_gold_path_breaking_a_constraint_gives_a_large_finite_loss() -> None:
    inputs = make_inputs(5)
    inputs["tags"][:, :] = 2  # I I I I: starts with I, forbidden
    loss, grads = crf_nll(**inputs, allowed=BIO_ALLOWED)
    assert 1e3 < loss < np.inf
    assert all(np.all(np.isfinite(g)) for g in grads.values())


def test_float32_inputs_compute_in_float32() -> None:
    inputs64, inputs32 = make_inputs(6), make_inputs(6, np.float32)
    loss64, grads64 = crf_nll(**inputs64)
    loss32, grads32 = crf_nll(**inputs32)
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    for key, grad in grads32.items():
        assert grad.dtype == np.float32, key
        np.testing.assert_allclose(grad, grads64[key], atol=1e-5, err_msg=key)
    assert crf_marginals(*model_args(inputs32)).dtype == np.float32


def test_lengths_outside_the_frames_are_rejected() -> None:
    inputs = make_inputs(7)
    with pytest.raises(ValueError, match="lengths"):
        crf_nll(**dict(inputs, lengths=np.array([4, 0, 3])))
    with pytest.raises(ValueError, match="lengths"):
        crf_viterbi(*model_args(dict(inputs, lengths=np.array([5, 1, 3]))))
