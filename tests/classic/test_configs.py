"""Config keys of the sequence-level outputs, the shipped classic configs, and `lstm train` with
them end to end."""

import copy
import json
from pathlib import Path

import pytest
import yaml

from lstm_cli.classic.runner import CELLS, run_trial, task_config
from lstm_cli.classic.tasks import TASKS
from lstm_cli.cli.main import main
from lstm_cli.config import config_from_dict, load_config
from lstm_cli.errors import ConfigError
from lstm_cli.metric_registry import higher_is_better

CLASSIC = Path(__file__).parents[2] / "configs" / "classic"


@pytest.mark.parametrize("name", sorted(TASKS))
def test_shipped_config_is_the_one_lstm_classic_trains(name):
    path = CLASSIC / f"{name}.yaml"
    assert yaml.safe_load(path.read_text()) == TASKS[name].config
    assert load_config(path).model_dump() == task_config(TASKS[name], "lstm", 0).model_dump()


def test_cell_variants_are_overrides_of_the_same_config():
    task = TASKS["temporal-order"]
    models = {cell: task_config(task, cell, 0).model for cell in CELLS}
    assert (models["lstm"].cell, models["lstm"].peepholes) == ("lstm", False)
    assert models["lstm-peephole"].peepholes and models["lstm-nfg"].variant == "NFG"
    assert models["gru"].cell == "gru" and models["rnn"].cell == "rnn"
    assert {m.hidden_size for m in models.values()} == {task.config["model"]["hidden_size"]}
    with pytest.raises(ConfigError, match="unknown cell 'lstm2'"):
        task_config(task, "lstm2", 0)


def test_an_epoch_horizon_is_refused_for_online_training():
    task = TASKS["temporal-order"]
    with pytest.raises(ConfigError, match="train.ema_epochs counts epochs"):
        task_config(task, "lstm", 0, ["train.ema_epochs=2"])
    assert task_config(task, "lstm", 0, ["train.ema=0.99"]).train.ema == 0.99


def test_regression_needs_a_regression_metric_and_no_windows():
    with pytest.raises(ConfigError, match="'token_accuracy' is not in a regression report"):
        config_from_dict({"model": {"output": "regression"}})
    with pytest.raises(ConfigError, match="data.window cuts sequences into windows"):
        config_from_dict({"model": {"output": "last_softmax"}, "data": {"window": {"size": 5}}})
    config = config_from_dict({"model": {"output": "regression", "regression": {"size": 2}},
                               "train": {"early_stopping": {"metric": "mae"}}})
    assert config.model.regression.tolerance == 0.04 and config.model.sequence.pool == "last"


def test_error_metrics_are_minimised():
    assert not higher_is_better("mse") and not higher_is_better("mae")
    assert higher_is_better("within_tolerance") and higher_is_better("accuracy")


@pytest.mark.parametrize("name,summary", [("adding", "MSE "), ("temporal-order", "acc ")])
def test_lstm_train_runs_a_classic_config(tmp_path, capsys, name, summary):
    code = main(["train", str(CLASSIC / f"{name}.yaml"), "--out", str(tmp_path / "run"),
                 "--set", "train.epochs=1", "--set", "data.builtin.size=40", "--quiet"])
    assert code == 0
    assert capsys.readouterr().out.startswith(summary)
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["num_sequences"] == 4
    assert main(["eval", str(tmp_path / "run"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["num_sequences"] == 4


def test_config_from_dict_leaves_the_callers_dict_alone():
    data = {"model": {"hidden_size": 8, "crf": {"constraints": True}}}
    config_from_dict(data, ["model.hidden_size=4", "model.crf.constraints=false",
                            "model.variant=NFG"])
    assert data == {"model": {"hidden_size": 8, "crf": {"constraints": True}}}


def test_a_cell_override_does_not_leak_into_the_next_cells_config():
    """`lstm classic --cells lstm-nfg,lstm` once trained the `lstm` row without forget gates."""
    task = TASKS["continual-reber"]
    assert task_config(task, "lstm-nfg", 0).model.variant == "NFG"
    assert task_config(task, "lstm", 0).model.variant == "vanilla"


def test_runs_leave_the_task_table_unchanged():
    before = copy.deepcopy({name: task.config for name, task in TASKS.items()})
    for name in TASKS:
        for cell in CELLS:
            run_trial(TASKS[name], cell, seed=0, budget=8, overrides=["train.batch_size=4"])
    assert {name: task.config for name, task in TASKS.items()} == before
