"""Optimisers, gradient clipping and learning-rate schedules.

Expected values are worked by hand for a one-element parameter p0 = 1 (see each test's comment);
hyperparameters are powers of two so the arithmetic is exact in binary.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lstm_cli.errors import CheckpointError, ConfigError
from lstm_cli.train.optim import OPTIMIZERS, clip_grad_norm, grad_norm, make_optimizer
from lstm_cli.train.schedule import make_schedule


def run_two_steps(name: str, first: float, second: float, lr: float = 0.1,
                  **options: float) -> float:
    params = {"w": np.array([1.0])}
    optimizer = make_optimizer(name, params, **options)
    optimizer.step({"w": np.array([first])}, lr)
    optimizer.step({"w": np.array([second])}, lr)
    return float(params["w"][0])


def test_sgd_matches_hand_computed_steps():
    # p = 1 - 0.1*2 = 0.8; p = 0.8 - 0.1*(-1) = 0.9
    assert run_two_steps("sgd", 2.0, -1.0) == pytest.approx(0.9, abs=1e-15)


def test_sgd_l2_weight_decay_is_added_to_the_gradient():
    # g = 2 + 0.5*1 = 2.5 -> p = 0.75; g = -1 + 0.5*0.75 = -0.625 -> p = 0.8125
    assert run_two_steps("sgd", 2.0, -1.0, weight_decay=0.5) == pytest.approx(0.8125, abs=1e-15)


def test_momentum_matches_hand_computed_steps():
    # v = 2, p = 0.8; v = 0.5*2 - 0.5 = 0.5, p = 0.8 - 0.05 = 0.75
    assert run_two_steps("momentum", 2.0, -0.5, momentum=0.5) == pytest.approx(0.75, abs=1e-15)


def test_nesterov_matches_hand_computed_steps():
    # v = 2, p = 1 - 0.1*(2 + 0.5*2) = 0.7; v = 0.5, p = 0.7 - 0.1*(-0.5 + 0.25) = 0.725
    assert run_two_steps("nesterov", 2.0, -0.5, momentum=0.5) == pytest.approx(0.725, abs=1e-15)


def test_rmsprop_matches_hand_computed_steps():
    # s = 0.25*4 = 1, p = 1 - 0.1*2/1 = 0.8; s = 0.75 + 0.25 = 1, p = 0.8 + 0.1 = 0.9
    result = run_two_steps("rmsprop", 2.0, -1.0, rho=0.75, eps=0.0)
    assert result == pytest.approx(0.9, abs=1e-15)


def test_adam_matches_hand_computed_bias_corrected_steps():
    # t=1: m = 1, v = 1, m_hat = 2, v_hat = 4, p = 1 - 0.1*2/2 = 0.9
    # t=2: m = 0.5 - 1 = -0.5, v = 0.75 + 1 = 1.75, m_hat = -0.5/0.75 = -2/3,
    #      v_hat = 1.75/0.4375 = 4, p = 0.9 - 0.1*(-2/3)/2 = 0.9 + 1/30
    result = run_two_steps("adam", 2.0, -2.0, beta1=0.5, beta2=0.75, eps=0.0)
    assert result == pytest.approx(0.9 + 1 / 30, abs=1e-15)


def test_adamw_decays_the_parameter_outside_the_adaptive_step():
    # t=1: p = 1*(1 - 0.1*0.5) = 0.95, then the Adam step above: 0.85
    # t=2: p = 0.85*0.95 = 0.8075, then + 1/30
    result = run_two_steps("adamw", 2.0, -2.0, beta1=0.5, beta2=0.75, eps=0.0,
                           weight_decay=0.5)
    assert result == pytest.approx(0.8075 + 1 / 30, abs=1e-15)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_step_updates_the_models_arrays_in_place_and_keeps_dtype(name, dtype):
    weight = np.ones((2, 3), dtype=dtype)
    params = {"rnn.l0.fwd.w_input": weight}
    optimizer = make_optimizer(name, params, weight_decay=0.01)
    optimizer.step({"rnn.l0.fwd.w_input": np.full((2, 3), 0.5, dtype=dtype)}, 0.1)
    assert params["rnn.l0.fwd.w_input"] is weight
    assert weight.dtype == dtype
    assert np.all(weight < 1)


def make_problem(dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    params = {"embed.word": rng.standard_normal((5, 3)).astype(dtype),
              "rnn.l0.fwd.w_input": rng.standard_normal((8, 3)).astype(dtype),
              "out.bias": rng.standard_normal(4).astype(dtype)}
    grad_batches = [{name: rng.standard_normal(value.shape).astype(dtype)
                     for name, value in params.items()} for _ in range(6)]
    return params, grad_batches


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_state_dict_round_trip_continues_bit_for_bit(name):
    params, grad_batches = make_problem()
    optimizer = make_optimizer(name, params, weight_decay=0.01)
    for grads in grad_batches[:3]:
        optimizer.step(grads, 0.01)
    arrays, scalars = optimizer.state_dict()
    resumed_params = {key: value.copy() for key, value in params.items()}
    resumed = make_optimizer(name, resumed_params, weight_decay=0.01)
    resumed.load_state_dict(arrays, scalars)
    for grads in grad_batches[3:]:
        optimizer.step(grads, 0.01)
        resumed.step(grads, 0.01)
    for key in params:
        assert np.array_equal(params[key], resumed_params[key])


def test_state_dict_returns_copies():
    params, grad_batches = make_problem()
    optimizer = make_optimizer("adam", params)
    optimizer.step(grad_batches[0], 0.01)
    arrays, _ = optimizer.state_dict()
    saved = arrays["m/out.bias"].copy()
    optimizer.step(grad_batches[1], 0.01)
    assert np.array_equal(arrays["m/out.bias"], saved)


def test_load_state_dict_refuses_another_optimizer():
    params, _ = make_problem()
    arrays, scalars = make_optimizer("adam", params).state_dict()
    with pytest.raises(CheckpointError, match="'adam'.*'rmsprop'"):
        make_optimizer("rmsprop", params).load_state_dict(arrays, scalars)


def test_load_state_dict_refuses_state_for_other_parameters():
    params, _ = make_problem()
    arrays, scalars = make_optimizer("momentum", params).state_dict()
    arrays["velocity/rnn.l9.w"] = arrays.pop("velocity/out.bias")
    with pytest.raises(CheckpointError, match="missing: velocity/out.bias"):
        make_optimizer("momentum", params).load_state_dict(arrays, scalars)


def test_frozen_parameters_are_untouched_and_need_no_gradient():
    params, grad_batches = make_problem()
    frozen_before = params["embed.word"].copy()
    optimizer = make_optimizer("adam", params, frozen={"embed.word"}, weight_decay=0.1)
    grads = {key: value for key, value in grad_batches[0].items() if key != "embed.word"}
    optimizer.step(grads, 0.1)
    assert np.array_equal(params["embed.word"], frozen_before)
    assert not any(key.endswith("/embed.word") for key in optimizer.state_dict().arrays)


def test_frozen_name_that_is_no_parameter_is_a_config_error():
    params, _ = make_problem()
    with pytest.raises(ConfigError, match="embed.wrod"):
        make_optimizer("sgd", params, frozen={"embed.wrod"})


def test_missing_gradient_changes_nothing():
    params, grad_batches = make_problem()
    before = {key: value.copy() for key, value in params.items()}
    grads = dict(grad_batches[0])
    del grads["out.bias"]
    optimizer = make_optimizer("sgd", params)
    with pytest.raises(KeyError, match="out.bias"):
        optimizer.step(grads, 0.1)
    assert all(np.array_equal(params[key], before[key]) for key in params)
    assert optimizer.step_count == 0


def test_make_optimizer_rejects_unknown_names_options_and_ranges():
    params, _ = make_problem()
    with pytest.raises(ConfigError, match="unknown optimizer 'adagrad'"):
        make_optimizer("adagrad", params)
    with pytest.raises(ConfigError, match="sgd has no option momentum"):
        make_optimizer("sgd", params, momentum=0.9)
    with pytest.raises(ConfigError, match="beta2"):
        make_optimizer("adam", params, beta2=1.0)


def test_clip_grad_norm_scales_to_max_norm_and_returns_the_norm_before():
    grads = {"a": np.array([3.0]), "b": np.array([[4.0]], dtype=np.float32)}
    assert clip_grad_norm(grads, 1.0) == pytest.approx(5.0)
    assert grads["a"][0] == pytest.approx(0.6)
    assert grads["b"][0, 0] == pytest.approx(0.8)
    assert grads["b"].dtype == np.float32


def test_clip_grad_norm_leaves_small_gradients_alone():
    grads = {"a": np.array([0.3, 0.4])}
    assert clip_grad_norm(grads, 1.0) == pytest.approx(0.5)
    assert np.array_equal(grads["a"], [0.3, 0.4])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_clip_grad_norm_reports_non_finite_norm_without_scaling(bad):
    grads = {"a": np.array([bad, 1.0]), "b": np.array([2.0])}
    norm = clip_grad_norm(grads, 1.0)
    assert not math.isfinite(norm)
    assert grads["b"][0] == 2.0


def test_constant_schedule_with_linear_warmup():
    schedule = make_schedule({"lr": 0.4, "warmup_steps": 4})
    assert [schedule.lr_at(0, step) for step in range(6)] == pytest.approx(
        [0.1, 0.2, 0.3, 0.4, 0.4, 0.4])
    assert schedule.lr_at(7, 100) == 0.4


def test_step_decay_multiplies_by_gamma_every_step_size_epochs():
    schedule = make_schedule({"name": "step", "lr": 1.0, "step_size": 2, "gamma": 0.5})
    assert [schedule.lr_at(epoch, 0) for epoch in range(6)] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]


def test_exponential_decay_multiplies_by_gamma_each_epoch():
    schedule = make_schedule({"name": "exponential", "lr": 1.0, "gamma": 0.5})
    assert [schedule.lr_at(epoch, 0) for epoch in range(4)] == [1.0, 0.5, 0.25, 0.125]


def test_cosine_decays_from_lr_to_min_lr_over_total_epochs():
    schedule = make_schedule({"name": "cosine", "lr": 1.0, "min_lr": 0.2, "total_epochs": 4})
    # min_lr + 0.8 * (1 + cos(pi * e / 4)) / 2 for e = 0..4, then flat
    expected = [1.0, 0.2 + 0.4 * (1 + math.sqrt(0.5)), 0.6, 0.2 + 0.4 * (1 - math.sqrt(0.5)),
                0.2, 0.2]
    assert [schedule.lr_at(epoch, 0) for epoch in range(6)] == pytest.approx(expected)


def test_warmup_composes_with_decay():
    schedule = make_schedule({"name": "exponential", "lr": 1.0, "gamma": 0.5,
                              "warmup_steps": 10})
    assert schedule.lr_at(1, 4) == pytest.approx(0.5 * 0.5)


@pytest.mark.parametrize("config, message", [
    ({"name": "linear", "lr": 0.1}, "unknown lr schedule 'linear'"),
    ({"name": "step", "lr": 0.1, "gama": 0.5, "step_size": 1}, "has no option gama"),
    ({"name": "cosine", "lr": 0.1}, "needs total_epochs"),
    ({"name": "constant"}, "needs lr"),
    ({"name": "exponential", "lr": 0.1, "gamma": 1.5}, "gamma must be in"),
    ({"lr": -1.0}, "lr must be positive"),
])
def test_make_schedule_rejects_bad_config(config, message):
    with pytest.raises(ConfigError, match=message):
        make_schedule(config)


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"])
def test_updating_in_blocks_is_bit_for_bit_the_whole_update(name, monkeypatch):
    from lstm_cli.train import optim

    rng = np.random.default_rng(0)
    start = {"a": rng.standard_normal((300, 70)).astype(np.float32),
             "b": np.ones(5, np.float32), "c": rng.standard_normal((40, 30)).T}   # not contiguous
    results = []
    for block in (1 << 30, 1000):
        monkeypatch.setattr(optim, "BLOCK", block)
        params = {key: value.copy() for key, value in start.items()}
        params["c"] = np.asfortranarray(start["c"])
        optimizer = optim.make_optimizer(name, params, weight_decay=0.01)
        grads_rng = np.random.default_rng(1)
        for _ in range(3):
            optimizer.step({key: grads_rng.standard_normal(value.shape).astype(value.dtype)
                            for key, value in params.items()}, 0.01)
        results.append(params)
    for key in start:
        np.testing.assert_array_equal(results[0][key], results[1][key], err_msg=key)


def _row_sparse_steps(name: str, lazy: bool, touched: list[list[int]], **options):
    """A (6, 3) table and a dense vector, stepped with gradients only in the `touched` rows."""
    rng = np.random.default_rng(2)
    params = {"table": rng.standard_normal((6, 3)), "dense": rng.standard_normal(4)}
    optimizer = make_optimizer(name, params, lazy=lazy, **options)
    for rows in touched:
        grads = {"table": np.zeros((6, 3)), "dense": rng.standard_normal(4)}
        grads["table"][rows] = rng.standard_normal((len(rows), 3))
        optimizer.step(grads, 0.01, {"table": np.array(rows, dtype=np.intp)})
    return params, optimizer


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_lazy_update_leaves_rows_without_gradient_and_their_state_alone(name):
    touched = [[0, 2], [2, 5], [0, 2]]
    params, optimizer = _row_sparse_steps(name, True, touched, weight_decay=0.1)
    start, _ = _row_sparse_steps(name, True, [])
    for row in (1, 3, 4):                                  # never in a batch: as initialised
        np.testing.assert_array_equal(params["table"][row], start["table"][row])
        for slots in optimizer.slots.values():
            assert not slots["table"][row].any()
    assert not np.array_equal(params["table"][5], start["table"][5])


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_lazy_update_is_the_dense_update_when_every_step_touches_the_same_rows(name):
    """Rows that never get a gradient keep zero state, so dense and lazy agree exactly; the dense
    parameter is updated the same either way."""
    touched = [[1, 4]] * 3
    lazy, _ = _row_sparse_steps(name, True, touched)
    dense, _ = _row_sparse_steps(name, False, touched)
    for key in lazy:
        np.testing.assert_array_equal(lazy[key], dense[key], err_msg=key)


def test_lazy_adam_differs_from_dense_adam_once_a_row_sits_out_a_step():
    """Dense Adam keeps moving a row on its momentum after its gradient stops; lazy Adam waits."""
    touched = [[0, 1], [1], [1]]
    lazy, _ = _row_sparse_steps("adam", True, touched)
    dense, _ = _row_sparse_steps("adam", False, touched)
    assert not np.array_equal(lazy["table"][0], dense["table"][0])
    np.testing.assert_array_equal(lazy["dense"], dense["dense"])


def test_lazy_sgd_is_dense_sgd_whatever_the_rows():
    touched = [[0, 2], [2, 5], [3]]
    lazy, _ = _row_sparse_steps("sgd", True, touched)
    dense, _ = _row_sparse_steps("sgd", False, touched)
    np.testing.assert_array_equal(lazy["table"], dense["table"])


def test_norm_and_clipping_read_only_the_listed_rows_of_a_row_sparse_gradient():
    rng = np.random.default_rng(3)
    table = np.zeros((50, 4))
    table[[3, 7]] = rng.standard_normal((2, 4))
    grads = {"table": table, "dense": rng.standard_normal(6)}
    whole = math.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))
    rows = {"table": np.array([3, 7])}
    assert grad_norm(grads, rows) == pytest.approx(whole, rel=1e-12)
    expected = {name: grad * (0.5 / whole) for name, grad in grads.items()}
    assert clip_grad_norm(grads, 0.5, rows) == pytest.approx(whole, rel=1e-12)
    for name, grad in grads.items():
        np.testing.assert_allclose(grad, expected[name], rtol=1e-12)
