"""Properties of `load_config`: any file and any `--set` overrides either give a Config or a
ConfigError that names the file (and a line of it) or the `--set` at fault; never another
exception and never a hang (YAML alias and nesting bombs included)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lstm_cli.config import MAX_YAML_NODES, Config, load_config
from lstm_cli.errors import ConfigError
from tests.properties import (
    AWKWARD_PIECES,
    SECONDS_PER_CALL,
    YAML_SNIPPETS,
    corrupted,
    yaml_alias_bomb,
    yaml_documents,
    yaml_nesting_bomb,
)
from tests.support import time_limit


def dotted_keys(data: dict, prefix: str = "") -> list[str]:
    keys = []
    for key, value in data.items():
        keys.append(f"{prefix}{key}")
        if isinstance(value, dict):
            keys += dotted_keys(value, f"{prefix}{key}.")
    return keys


CONFIG_KEYS = dotted_keys(Config().to_dict()) + ["data.feature_columns.pos",
                                                 "model.features.pos", "model.class_weights.O"]

OVERRIDE = st.builds(
    lambda key, sep, value: f"{key}{sep}{value}",
    st.one_of(st.sampled_from(CONFIG_KEYS), st.sampled_from(["", ".", "model..x", "seed.x",
                                                             "nope", " model.cell "])),
    st.sampled_from(["=", "=", "", "=="]),
    st.one_of(st.sampled_from(AWKWARD_PIECES), st.sampled_from(YAML_SNIPPETS),
              st.text(max_size=8), st.just("[" * 3000)))


def load_or_blame(path: Path, overrides: list[str]) -> Config | None:
    """The config, or None after checking that the ConfigError names the file or the --set."""
    try:
        with time_limit(SECONDS_PER_CALL):
            return load_config(path, overrides)
    except ConfigError as error:
        text = error.render()
        if error.path is None:
            assert error.message.startswith("--set"), text
        else:
            assert Path(error.path) == path, text
        if error.line is not None:
            assert 1 <= error.line <= path.read_bytes().count(b"\n") + 1, text
        assert "\n" not in text
        return None


@given(text=yaml_documents(CONFIG_KEYS), overrides=st.lists(OVERRIDE, max_size=3),
       crlf=st.booleans())
def test_any_yaml_and_overrides_give_a_config_or_a_config_error(tmp_path_factory, text,
                                                                overrides, crlf):
    path = tmp_path_factory.mktemp("config") / "c.yaml"
    path.write_text(text.replace("\n", "\r\n") if crlf else text, encoding="utf-8",
                    errors="surrogatepass", newline="")
    config = load_or_blame(path, overrides)
    if config is not None:                    # what loads, saves and loads again unchanged
        path.write_text(config.to_yaml(), encoding="utf-8")
        assert load_config(path) == config


@given(data=st.one_of(st.binary(max_size=200),
                      yaml_documents(CONFIG_KEYS).flatmap(corrupted)))
def test_any_bytes_give_a_config_or_a_config_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("config") / "c.yaml"
    path.write_bytes(data)
    load_or_blame(path, [])


@pytest.mark.parametrize("under", ["seed", "model.features", "anchors.deeper"])
def test_an_alias_bomb_is_refused_at_once(tmp_path, under):
    path = tmp_path / "c.yaml"
    path.write_text(yaml_alias_bomb(depth=30, fan_out=9, under=under))
    refused = f"more than {MAX_YAML_NODES} values"
    with time_limit(SECONDS_PER_CALL), pytest.raises(ConfigError, match=refused):
        load_config(path)
    with time_limit(SECONDS_PER_CALL), pytest.raises(ConfigError, match="--set seed"):
        tens = ", ".join(["*a"] * 10)
        load_config(_empty(tmp_path),
                    [f"seed=[&a [1, 1], &b [{tens}], {tens.replace('a', 'b')}]"])


def _empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.yaml"
    path.write_text("")
    return path


@pytest.mark.parametrize("snippet,expect", [
    ("seed: 2001-02-30", "c.yaml:1: invalid YAML: cannot read '2001-02-30' as timestamp"),
    ("seed: " + "9" * 5000, "c.yaml:1: invalid YAML: cannot read"),
    ("seed: !!float abc", "c.yaml:1: invalid YAML: cannot read 'abc' as float"),
    ("train:\n  epochs: !!bool maybe", "c.yaml:2: invalid YAML: cannot read 'maybe' as bool"),
    ("seed: !!timestamp abc", "c.yaml:1: invalid YAML: cannot read 'abc' as timestamp"),
    ("model: &m {features: *m}", "refers to a value that contains it"),
    (yaml_nesting_bomb(100_000), "c.yaml:1: invalid YAML: brackets nest deeper than 200"),
    ("".join(" " * i + f"k{i}:\n" for i in range(1000)), "c.yaml: invalid YAML: nesting too deep"),
    ("seed: 1\x00", "c.yaml:1: invalid YAML: unacceptable character #x0000"),
], ids=["no-such-date", "5000-digits", "bad-float", "bad-bool", "bad-timestamp", "self-alias",
        "deep-brackets", "deep-indentation", "nul"])
def test_values_yaml_cannot_hold_name_the_file_and_line(tmp_path, snippet, expect):
    path = tmp_path / "c.yaml"
    path.write_text(snippet)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert expect in caught.value.render()


@pytest.mark.parametrize("value", ["2001-02-30", "9" * 5000, "[" * 3000, "!!bool maybe"],
                         ids=["no-such-date", "5000-digits", "deep", "bad-tag"])
def test_an_override_yaml_cannot_read_is_taken_as_a_string(tmp_path, value):
    with pytest.raises(ConfigError, match=r"^--set seed: .* \(found '"):
        load_config(_empty(tmp_path), [f"seed={value}"])


def test_merge_keys_still_override_what_they_merge(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("base: &base {hidden_size: 4, num_layers: 2}\n"
                    "model: {<<: *base, hidden_size: 8}\n")
    with pytest.raises(ConfigError, match="c.yaml:1: unknown key 'base'"):
        load_config(path)
    path.write_text("model: {<<: {hidden_size: 4, num_layers: 2}, hidden_size: 8}\n")
    model = load_config(path).model
    assert (model.hidden_size, model.num_layers) == (8, 2)

