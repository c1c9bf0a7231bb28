"""The training loop: patience that waits for the weight average to move, warm-up in epochs,
ties of the selection metric broken by a second one."""

from __future__ import annotations

import json

import pytest

from lstm_cli.config import Config
from lstm_cli.train.loop import LoopState, improves, patience_start
from tests.cli.helpers import (
    assert_same_weights,
    tiny_config_dict,
    write_config,
    write_tiny_data,
)


def _frozen_run(tmp_path, cli, **train) -> list[int]:
    """Train with a learning rate too small to change any prediction (the dev metric never
    improves after epoch 1) and patience 1; return the epochs run."""
    data = write_tiny_data(tmp_path / "data")
    sections = {"epochs": 8, "optimizer": {"name": "sgd", "lr": 1e-12},
                "early_stopping": {"patience": 1}}
    for key, value in train.items():
        if isinstance(value, dict):
            sections.setdefault(key, {}).update(value)
        else:
            sections[key] = value
    config = write_config(tmp_path / "c.yaml", tiny_config_dict(data, train=sections))
    run = tmp_path / "run"
    result = cli("train", config, "--out", run, "-q")
    assert result.code == 0, result.err
    lines = (run / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line)["epoch"] for line in lines]


def test_patience_stops_a_flat_run_after_patience_epochs_by_default(tmp_path, cli):
    assert _frozen_run(tmp_path, cli, ema=0.999) == [1, 2]          # as before


def test_patience_waits_for_the_average_s_horizon(tmp_path, cli):
    # A run that once stopped at epoch patience + 1, evaluating the initial weights, now runs
    # through the average's 3-epoch horizon before patience counts.
    assert _frozen_run(tmp_path, cli, ema_epochs=2.5) == [1, 2, 3, 4]


def test_patience_does_not_count_the_first_min_epochs(tmp_path, cli):
    assert _frozen_run(tmp_path, cli, early_stopping={"min_epochs": 4}) == [1, 2, 3, 4, 5]


def test_patience_start_is_the_later_of_min_epochs_and_the_horizon():
    def start(**train):
        return patience_start(Config.model_validate({"train": train}))

    assert start() == 0
    assert start(ema=0.999) == 0
    assert start(ema_epochs=2.2) == 3
    assert start(ema_epochs=2.0, early_stopping={"min_epochs": 5}) == 5


@pytest.mark.parametrize("value, tie, expected", [
    (0.98, 0.20, True),     # a better metric wins whatever its loss
    (0.95, 0.01, False),    # a worse one loses whatever its loss
    (0.96, 0.05, True),     # equal metric, lower loss
    (0.96, 0.10, False),    # equal metric, equal loss: the earlier epoch stays
    (0.96, 0.30, False),
])
def test_a_tie_metric_decides_between_equal_metrics(value, tie, expected):
    best = LoopState(best_metric=0.96, best_epoch=3, best_tie_metric=0.10)
    assert improves(value, tie, best, "token_accuracy", "loss") is expected
    # without a tie metric the first of equal epochs stays the best, as before
    assert improves(value, tie, best, "token_accuracy", None) is (value > 0.96)
    assert improves(value, None, LoopState(), "token_accuracy", None)


def test_the_best_checkpoint_is_the_lowest_loss_of_the_best_metric(tmp_path, cli):
    data = write_tiny_data(tmp_path / "data")
    config = write_config(tmp_path / "c.yaml", tiny_config_dict(data, train={
        "epochs": 6, "early_stopping": {"metric": "token_accuracy", "tie_metric": "loss"}}))
    result = cli("train", config, "--out", tmp_path / "run", "-q")
    assert result.code == 0, result.err
    dev = [json.loads(line)["dev"]
           for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    top = max(epoch["token_accuracy"] for epoch in dev)
    chosen = min((epoch["loss"], number) for number, epoch in enumerate(dev, 1)
                 if epoch["token_accuracy"] == top)[1]
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["best_epoch"] == chosen


def test_a_tie_metric_must_be_in_the_output_s_report():
    with pytest.raises(ValueError, match="tie_metric"):
        Config.model_validate({"model": {"output": "regression"}, "train": {
            "early_stopping": {"metric": "mse", "tie_metric": "entity.f1"}}})


def test_warmup_in_epochs_is_that_many_epochs_of_steps(tmp_path, cli):
    data = write_tiny_data(tmp_path / "data", train=40)             # 5 batches of 8 an epoch
    steps_config = tiny_config_dict(data, train={"schedule": {"warmup_steps": 10}})
    epochs_config = tiny_config_dict(data, train={"schedule": {"warmup_epochs": 2.0}})
    runs = []
    for name, config in (("steps", steps_config), ("epochs", epochs_config)):
        path = write_config(tmp_path / f"{name}.yaml", config)
        assert cli("train", path, "--out", tmp_path / name, "-q").code == 0
        runs.append(tmp_path / name)
    assert_same_weights(*runs)
