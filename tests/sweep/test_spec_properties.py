"""Properties of `load_sweep_spec`: any sweep file gives a SweepSpec or a ConfigError naming the
file (and a line of it), never another exception and never a hang."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

from lstm_cli.errors import ConfigError
from lstm_cli.sweep.spec import load_sweep_spec
from tests.properties import (
    SECONDS_PER_CALL,
    YAML_SCALARS,
    corrupted,
    nest,
    nested_values,
    yaml_documents,
)
from tests.support import time_limit

CONFIG_KEYS = ["train.epochs", "model.hidden_size", "seed", "data.feature_columns.pos",
               "model.hidden_size.x", "model", "model..x", "train.optimizer.lr", "model.dropout",
               "model.cell", "nope", ""]
SWEEP_KEYS = ["base", "output", "set", "grid", "random", "random.samples", "random.params",
              "seeds", "seed", "scheduler", "scheduler.asha", "scheduler.asha.metric",
              "scheduler.asha.grace_period", "scheduler.asha.mode", "bogus"]
VALUES = nested_values(YAML_SCALARS, max_leaves=4)
DISTRIBUTION = st.one_of(
    st.dictionaries(st.sampled_from(["uniform", "log_uniform", "int_uniform", "choice", "x"]),
                    st.one_of(st.lists(YAML_SCALARS, max_size=3), VALUES), max_size=2),
    VALUES)


@st.composite
def sweep_documents(draw: st.DrawFn) -> str:
    """A sweep file whose sections hold dotted config keys, right-looking or wrong."""
    spec = nest(draw(st.dictionaries(st.sampled_from(SWEEP_KEYS), VALUES, max_size=6)))
    for section, values in (("set", VALUES), ("grid", st.lists(YAML_SCALARS, max_size=3))):
        if draw(st.booleans()):
            spec[section] = draw(st.dictionaries(st.sampled_from(CONFIG_KEYS), values,
                                                 max_size=3))
    if draw(st.booleans()):
        spec["random"] = {"samples": draw(YAML_SCALARS), "params": draw(st.dictionaries(
            st.sampled_from(CONFIG_KEYS), DISTRIBUTION, max_size=3))}
    return yaml.safe_dump(spec, sort_keys=False)


@given(document=st.one_of(sweep_documents(), yaml_documents(SWEEP_KEYS),
                          sweep_documents().flatmap(corrupted)))
def test_any_sweep_file_gives_a_spec_or_a_config_error(tmp_path_factory, document):
    path = tmp_path_factory.mktemp("sweep") / "sweep.yaml"
    if isinstance(document, str):
        path.write_text(document, encoding="utf-8", errors="surrogatepass")
    else:
        path.write_bytes(document)
    try:
        with time_limit(SECONDS_PER_CALL):
            load_sweep_spec(path)
    except ConfigError as error:
        assert error.path is not None and Path(error.path) == path, error.render()
        if error.line is not None:
            assert 1 <= error.line <= path.read_bytes().count(b"\n") + 1, error.render()
        assert "\n" not in error.render()
