"""Each list of names is written once, beside what it names: the config schema reads the
registries, and metric directions come from one table."""

from __future__ import annotations

import inspect

import pytest

from lstm_cli.config import Config, DataConfig, ModelConfig, config_from_dict
from lstm_cli.data.dataset import CONFIG_FORMATS, FORMATS, format_of_suffix
from lstm_cli.engine.activations import ACTIVATIONS
from lstm_cli.engine.cells import CELLS, LSTM_VARIANTS
from lstm_cli.engine.outputs import OUTPUTS
from lstm_cli.errors import ConfigError
from lstm_cli.metric_registry import METRICS, higher_is_better, selectable_metrics
from lstm_cli.model import cell_options
from lstm_cli.train.optim import OPTIMIZERS
from lstm_cli.train.schedule import SCHEDULES

FIELDS = {"data.format": CONFIG_FORMATS, "model.cell": CELLS, "model.variant": LSTM_VARIANTS,
          "model.gate_activation": ACTIVATIONS, "model.output": OUTPUTS,
          "train.optimizer.name": OPTIMIZERS, "train.schedule.name": SCHEDULES}


def _schema_enum(dotted: str) -> list[str]:
    schema = Config.model_json_schema()
    section, node = dotted.rsplit(".", 1)
    definition = {"data": "DataConfig", "model": "ModelConfig",
                  "train.optimizer": "OptimizerConfig", "train.schedule": "ScheduleConfig"}
    return schema["$defs"][definition[section]]["properties"][node]["enum"]


@pytest.mark.parametrize("dotted", sorted(FIELDS))
def test_config_names_are_the_registry_keys(dotted):
    names = list(FIELDS[dotted])
    assert _schema_enum(dotted) == names
    for name in names:
        overrides = [f"{dotted}={name}"]
        if dotted == "model.output" and name == "regression":
            overrides.append("train.early_stopping.metric=mse")
        config_from_dict({}, overrides)
    expected = ", ".join(repr(name) for name in names[:-1]) + f" or {names[-1]!r}"
    with pytest.raises(ConfigError, match=f"must be {expected}".replace("(", r"\(")):
        config_from_dict({}, [f"{dotted}=nonesuch"])


@pytest.mark.parametrize("metric,higher", [
    ("token_accuracy", True), ("entity.f1", True), ("dev.entity.f1", True),
    ("test.macro.precision", True), ("loss", False), ("dev.loss", False),
    ("train_loss", False), ("label_error_rate", False), ("dev.label_error_rate", False),
    ("mse", False), ("mae", False), ("within_tolerance", True), ("accuracy", True),
    ("dev.per_label.B-LOC.f1", True), ("dev.num_tokens", True)])
def test_each_metric_has_its_direction(metric, higher):
    assert higher_is_better(metric) is higher


def test_a_values_report_offers_its_own_metrics_only():
    assert selectable_metrics("values") == ("mse", "mae", "within_tolerance",
                                            "sequence_accuracy", "loss")
    assert selectable_metrics("labels") is None
    assert all(metric.reports or name == "train_loss" for name, metric in METRICS.items())


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_each_cell_names_the_config_keys_of_its_options(cell):
    parameters = inspect.signature(CELLS[cell].__init__).parameters
    for option, key in CELLS[cell].config_options:
        assert option in parameters and key in ModelConfig.model_fields
    config = config_from_dict({"model": {"cell": cell, "rnn_nonlinearity": "relu"}})
    options = cell_options(config)
    assert options.get("nonlinearity") == ("relu" if cell == "rnn" else None)
    assert ("variant" in options) is (cell == "lstm")


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_format_names_the_config_keys_of_its_reader_options(name):
    parameters = inspect.signature(FORMATS[name].read).parameters
    for option, key in FORMATS[name].config_options:
        assert option in parameters and key in DataConfig.model_fields
    for suffix in FORMATS[name].suffixes:
        assert format_of_suffix(suffix) == name


def test_a_suffix_names_at_most_one_format():
    suffixes = [suffix for fmt in FORMATS.values() for suffix in fmt.suffixes]
    assert len(suffixes) == len(set(suffixes))
    assert format_of_suffix(".txt") is None
