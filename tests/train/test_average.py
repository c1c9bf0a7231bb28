"""The weights' moving average: the dense update, and the lazy one for row-sparse tables, which
must give the same averages as averaging every row at every step."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_cli.config import TrainConfig
from lstm_cli.errors import CheckpointError
from lstm_cli.train.average import WeightAverage, ema_decay


def test_average_is_the_exponential_moving_average_of_the_weights():
    params = {"w": np.array([0.0])}
    average = WeightAverage(params, 0.5)
    for value in (4.0, 8.0):
        params["w"][...] = value
        average.update()
    # 0.5*0 + 0.5*4 = 2; 0.5*2 + 0.5*8 = 5
    assert average.averaged()["w"][0] == 5.0


def _trajectory(steps: int = 40, seed: int = 0):
    """A (7, 2) table whose rows change only in some steps, and a dense vector that always does."""
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        rows = np.flatnonzero(rng.random(7) < 0.3)
        yield rows, rng.standard_normal((len(rows), 2)), rng.standard_normal(3)


def _run(lazy: bool, steps: int = 40, average: WeightAverage | None = None,
         params: dict | None = None, start: int = 0):
    params = params or {"table": np.arange(14.0).reshape(7, 2), "dense": np.zeros(3)}
    average = average or WeightAverage(params, 0.9, row_sparse=["table"] if lazy else [])
    for step, (rows, table_rows, dense) in enumerate(_trajectory(steps)):
        if step < start:
            continue
        params["table"][rows] = table_rows
        params["dense"][...] = dense
        average.update({"table": rows} if lazy else None)
    return params, average


def test_lazy_average_of_a_row_sparse_table_equals_the_dense_average():
    _, dense = _run(lazy=False)
    _, lazy = _run(lazy=True)
    for name, expected in dense.averaged().items():
        np.testing.assert_allclose(lazy.averaged()[name], expected, rtol=1e-12, atol=1e-12)
    assert lazy.last["table"].max() == 40


def test_swapped_in_evaluates_with_the_averages_and_restores_the_weights():
    params, average = _run(lazy=True)
    before = {name: value.copy() for name, value in params.items()}
    with average.swapped_in():
        np.testing.assert_array_equal(params["table"], average.averaged()["table"])
    for name, value in params.items():
        np.testing.assert_array_equal(value, before[name])


def test_lazy_average_resumed_from_its_state_continues_bit_for_bit():
    _, whole = _run(lazy=True, steps=40)
    params, first = _run(lazy=True, steps=25)
    state = {key: value.copy() for key, value in first.state_dict().items()}
    resumed = WeightAverage(params, 0.9, row_sparse=["table"])
    resumed.load_state_dict(state)
    _run(lazy=True, steps=40, average=resumed, params=params, start=25)
    for name, expected in whole.averaged().items():
        np.testing.assert_array_equal(resumed.averaged()[name], expected)


def test_lazy_update_without_the_changed_rows_is_refused_and_changes_nothing():
    params = {"dense": np.ones(2), "table": np.zeros((3, 2))}
    average = WeightAverage(params, 0.9, row_sparse=["table"])
    params["dense"][...] = 5.0
    with pytest.raises(ValueError, match="table"):
        average.update()
    assert average.steps == 0
    np.testing.assert_array_equal(average.average["dense"], np.ones(2))


def test_loading_a_state_without_the_lazy_bookkeeping_is_a_checkpoint_error():
    params = {"table": np.zeros((3, 2))}
    dense_state = WeightAverage(params, 0.9).state_dict()
    with pytest.raises(CheckpointError, match="ema_last.table"):
        WeightAverage(params, 0.9, row_sparse=["table"]).load_state_dict(dense_state)


def _closed_form_corrected(weights: list[np.ndarray], decay: float) -> np.ndarray:
    """Σ_i d^(t−i)·(1 − d)·w_i / (1 − d^t) over the weights after steps i = 1 … t."""
    t = len(weights)
    total = sum(decay ** (t - i) * (1 - decay) * w for i, w in enumerate(weights, start=1))
    return total / (1 - decay**t)


@pytest.mark.parametrize("lazy", [False, True])
def test_bias_corrected_average_equals_the_closed_form(lazy):
    params = {"table": np.arange(14.0).reshape(7, 2), "dense": np.zeros(3)}
    average = WeightAverage(params, 0.9, row_sparse=["table"] if lazy else [],
                            bias_correction=True)
    assert average.averaged()["dense"].tolist() == [0.0, 0.0, 0.0]   # no step: the weights
    history = {"table": [], "dense": []}
    for rows, table_rows, dense in _trajectory(12):
        params["table"][rows] = table_rows
        params["dense"][...] = dense
        average.update({"table": rows} if lazy else None)
        for name, value in params.items():
            history[name].append(value.copy())
    for name, weights in history.items():
        np.testing.assert_allclose(average.averaged()[name],
                                   _closed_form_corrected(weights, 0.9), rtol=1e-12)


def test_bias_corrected_average_after_one_step_is_that_step_s_weights():
    params = {"w": np.array([100.0])}
    average = WeightAverage(params, 0.999, bias_correction=True)
    params["w"][...] = 3.0
    average.update()
    np.testing.assert_allclose(average.averaged()["w"], [3.0])    # not 0.999·100 + 0.001·3


def test_bias_corrected_lazy_average_resumed_from_its_state_continues_bit_for_bit():
    def fresh(params):
        return WeightAverage(params, 0.9, row_sparse=["table"], bias_correction=True)

    params = {"table": np.arange(14.0).reshape(7, 2), "dense": np.zeros(3)}
    _, whole = _run(lazy=True, steps=40, average=fresh(params), params=params)
    params = {"table": np.arange(14.0).reshape(7, 2), "dense": np.zeros(3)}
    _, first = _run(lazy=True, steps=25, average=fresh(params), params=params)
    state = {key: value.copy() for key, value in first.state_dict().items()}
    resumed = fresh(params)
    resumed.load_state_dict(state)
    _run(lazy=True, steps=40, average=resumed, params=params, start=25)
    for name, expected in whole.averaged().items():
        np.testing.assert_array_equal(resumed.averaged()[name], expected)


@pytest.mark.parametrize(("epochs", "steps", "expected"),
                         [(2.0, 50, 0.99), (0.5, 4, 0.5), (0.1, 3, 0.0)])
def test_ema_epochs_is_a_horizon_of_that_many_epochs_of_steps(epochs, steps, expected):
    train = TrainConfig(ema_epochs=epochs)
    assert ema_decay(train, steps) == pytest.approx(expected)
    assert ema_decay(TrainConfig(ema=0.998), steps) == 0.998          # per step, as before
    assert ema_decay(TrainConfig(), steps) is None
