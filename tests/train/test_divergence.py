"""The divergence guard on made-up losses: where its threshold lies, per output."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from lstm_cli.config import Config
from lstm_cli.train.divergence import REFERENCE_STEPS, DivergenceGuard, TrainingDiverged
from lstm_cli.train.loop import LoopState


def make_batch(lengths: list[int]) -> SimpleNamespace:
    """What the guard reads of a batch: its size and its (T, B) mask of real steps."""
    mask = np.arange(max(lengths))[:, None] < np.array(lengths)[None, :]
    return SimpleNamespace(size=len(lengths), mask=mask)


def run_guard(losses: list[float], *, model: dict | None = None, num_scores: int = 9,
              lengths: list[list[int]] | None = None, **train) -> LoopState:
    """Feed `losses` as consecutive steps (batch b of `lengths[b]`, default 2 sequences of 5);
    returns the state, or raises what the guard raises."""
    model = model or {}
    if model.get("output") == "regression":
        train.setdefault("early_stopping", {"metric": "mse"})
    config = Config.model_validate({"model": model, "train": train})
    guard = DivergenceGuard(config, num_scores, Path("/nonexistent/last"), log=lambda _: None)
    state = LoopState()
    for index, loss in enumerate(losses):
        batch = make_batch(lengths[index] if lengths else [5, 5])
        if guard.check(state, 1, loss, 1.0, batch):
            state.step += 1
            state.last_finite_loss = loss
    return state


def test_a_loss_at_the_threshold_passes_and_one_above_stops():
    reference = math.log(9)                           # the first loss is below ln C
    run_guard([1.0, 100 * reference])
    with pytest.raises(TrainingDiverged, match=r"epoch 1, step 2: loss .* per step"):
        run_guard([1.0, 100 * reference * (1 + 1e-9)])


def test_the_first_updates_each_face_the_mean_of_those_before():
    losses = [3.0, 4.0, 5.0]                          # mean 4 after three updates
    with pytest.raises(TrainingDiverged, match="step 4: "):
        run_guard([*losses, 401.0])
    run_guard([*losses, 400.0])


def test_the_reference_is_frozen_after_the_first_updates():
    """A loss creeping up step by step is measured against where training started."""
    creeping = [1.0] * REFERENCE_STEPS + [99.0] * 30
    state = run_guard(creeping, model={"output": "regression"})
    assert (state.reference_loss_sum, state.reference_steps) == (REFERENCE_STEPS, REFERENCE_STEPS)
    with pytest.raises(TrainingDiverged, match=r"step 41: loss 101 per value"):
        run_guard([*creeping, 101.0], model={"output": "regression"})


def test_regression_has_no_ln_c_floor():
    with pytest.raises(TrainingDiverged, match=r"times 0\.01 \(the first updates' mean\)"):
        run_guard([0.01, 1.5], model={"output": "regression"})
    run_guard([0.01, 1.5])                            # softmax: 1.5 < 100 ln 9


def test_crf_losses_per_sequence_are_compared_per_step():
    """2 nats a step: 2 for one-step sequences, 300 for 150-step ones (150 times more)."""
    lengths = [[1, 1], [150, 150]]
    run_guard([2.0, 300.0], model={"output": "crf"}, lengths=lengths)
    with pytest.raises(TrainingDiverged):
        run_guard([2.0, 300.0], lengths=lengths)     # the same numbers as softmax losses


def test_ctc_sum_is_compared_per_step():
    lengths = [[2, 2], [200, 200]]
    run_guard([8.0, 800.0], model={"output": "ctc", "ctc": {"reduction": "sum"}},
              num_scores=4, lengths=lengths)


def test_a_null_factor_turns_the_check_off():
    run_guard([1.0, 1e30], divergence_factor=None)


@pytest.mark.parametrize("loss, norm", [(math.nan, 1.0), (1.0, math.inf)])
def test_skip_batch_skips_non_finite_steps_without_touching_the_reference(loss, norm):
    config = Config.model_validate({"train": {"on_nonfinite": "skip_batch"}})
    logged: list[str] = []
    guard = DivergenceGuard(config, 9, Path("/nonexistent"), log=logged.append)
    state = LoopState()
    assert guard.check(state, 1, 2.0, 1.0, make_batch([3]))
    assert not guard.check(state, 1, loss, norm, make_batch([3]))
    assert (state.reference_loss_sum, state.reference_steps) == (2.0, 1)
    assert "batch skipped" in logged[0]
