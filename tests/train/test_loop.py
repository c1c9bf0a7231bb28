"""The training loop: patience that waits for the weight average to move, warm-up in epochs."""

from __future__ import annotations

import json

from lstm_cli.config import Config
from lstm_cli.train.loop import patience_start
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
