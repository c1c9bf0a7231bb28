"""The config schema: defaults, reference file, errors that name the key and line, overrides."""

from pathlib import Path

import pytest
import yaml

from lstm_cli.config import Config, load_config
from lstm_cli.errors import ConfigError

CONFIGS = Path(__file__).parents[1] / "configs"


def flat_keys(data, prefix=""):
    keys = set()
    for key, value in data.items():
        if isinstance(value, dict) and value:
            keys |= flat_keys(value, f"{prefix}{key}.")
        else:
            keys.add(f"{prefix}{key}")
    return keys


def test_reference_yaml_lists_every_key_with_its_default():
    reference = yaml.safe_load((CONFIGS / "reference.yaml").read_text())
    assert reference == Config().to_dict()
    assert flat_keys(reference) == flat_keys(Config().to_dict())


@pytest.mark.parametrize("path", sorted(path for path in CONFIGS.glob("**/*.yaml")
                                         if "sweeps" not in path.parts), ids=lambda p: p.name)
def test_shipped_configs_validate(path):
    load_config(path)


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("sweeps/*.yaml")), ids=lambda p: p.name)
def test_shipped_sweep_files_validate_with_their_base_configs(path):
    from lstm_cli.sweep.spec import load_sweep_spec

    spec = load_sweep_spec(path)
    load_config(path.parent / spec.base)


def write(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


def test_unknown_key_names_line_and_nearest(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, "seed: 1\nmodel:\n  hiden_size: 3\n"))
    assert error.value.line == 3
    assert "model.hiden_size" in str(error.value) and "model.hidden_size" in str(error.value)


@pytest.mark.parametrize("text,needle", [
    ("model:\n  hidden_size: -3\n", "model.hidden_size"),
    ("model:\n  dropout: 1.0\n", "model.dropout"),
    ("train:\n  optimizer:\n    lr: 0\n", "train.optimizer.lr"),
    ("model:\n  cell: lstn\n", "model.cell"),
    ("train:\n  epochs: many\n", "train.epochs"),
    ("- a\n- b\n", "mapping"),
    ("train: {epochs: 2}\ntrain: {epochs: 3}\n", "duplicate key"),
    ("model: [\n", "invalid YAML"),
    ("model:\n  chars: {encoder: cnn, width: 4}\n", "model.chars.width"),
    ("model:\n  chars: {encoder: cnn, width: 4}\n", "width must be odd"),
    ("model:\n  chars: {encoder: gru}\n", "model.chars.encoder"),
])
def test_bad_values_are_config_errors(tmp_path, text, needle):
    with pytest.raises(ConfigError, match=needle.replace(".", r"\.")):
        load_config(write(tmp_path, text))


def test_overrides_are_typed_and_checked(tmp_path):
    path = write(tmp_path, "model:\n  hidden_size: 8\n")
    config = load_config(path, ["model.hidden_size=16", "train.optimizer.lr=0.01",
                                "model.bidirectional=false", "data.split={train: 0.5, test: 0.5}"])
    assert config.model.hidden_size == 16 and config.train.optimizer.lr == 0.01
    assert config.model.bidirectional is False and config.data.split.test == 0.5
    with pytest.raises(ConfigError, match="did you mean 'model.hidden_size'"):
        load_config(path, ["model.hidden=3"])
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        load_config(path, ["model.hidden_size"])
    with pytest.raises(ConfigError, match="model.hidden_size"):
        load_config(path, ["model.hidden_size=big"])


@pytest.mark.parametrize(("train", "message"), [
    ({"ema": 0.99, "ema_epochs": 2.0}, "not both"),
    ({"ema_bias_correction": True}, "needs a weight average"),
    ({"schedule": {"warmup_steps": 10, "warmup_epochs": 1.0}}, "not both"),
])
def test_conflicting_average_or_warmup_settings_are_config_errors(tmp_path, train, message):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"train": train}))
    with pytest.raises(ConfigError, match=message):
        load_config(path)
