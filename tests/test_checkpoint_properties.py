"""Properties of checkpoint loading: a checkpoint whose meta.json or arrays.npz has been edited,
truncated or replaced either loads as a model or raises an LstmError naming a file of the
checkpoint; never another exception and never a hang."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lstm_cli.checkpoint import ARRAYS_FILE, META_FILE, save_checkpoint
from lstm_cli.config import Config
from lstm_cli.data.types import Example
from lstm_cli.data.vocab import Vocabs
from lstm_cli.errors import LstmError
from lstm_cli.model import TrainedModel, build_model, load_model, model_meta
from tests.properties import AWKWARD_PIECES, SECONDS_PER_CALL, file_bytes, nested_values
from tests.support import time_limit


@pytest.fixture(scope="module")
def good_checkpoint(tmp_path_factory) -> Path:
    """A small untrained model's checkpoint (BiLSTM, characters, a feature column)."""
    config = Config.model_validate({
        "data": {"feature_columns": {"pos": 1}},
        "model": {"hidden_size": 4, "embedding": {"dim": 4}, "chars": {"dim": 3,
                  "hidden_size": 2}, "features": {"pos": 2}}})
    examples = [Example(tokens=["paris", "news"], labels=["B-LOC", "O"],
                        features={"pos": ["NNP", "NN"]})]
    vocabs = Vocabs.build(examples, chars=True)
    tagger = build_model(config, vocabs, rng=np.random.default_rng(0))
    directory = tmp_path_factory.mktemp("checkpoint") / "best"
    return save_checkpoint(directory, params=tagger.named_params(),
                           meta=model_meta(TrainedModel(config, vocabs, tagger)))


def json_paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path of keys and indices into a JSON value, the empty path included."""
    paths = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            paths += json_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:3]):
            paths += json_paths(item, (*prefix, index))
    return paths


JSON_VALUES = nested_values(st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.integers(), st.floats(),
    st.text(max_size=4), st.sampled_from(AWKWARD_PIECES)), max_leaves=6)


@st.composite
def meta_edits(draw: st.DrawFn, meta: dict) -> list[tuple[tuple, Any]]:
    """A few (path, new value) edits of `meta`; a new value of `...` deletes the entry."""
    paths = json_paths(meta)[1:]
    return draw(st.lists(st.tuples(st.sampled_from(paths),
                                   st.one_of(st.just(...), JSON_VALUES)), min_size=1, max_size=3))


def edit(meta: dict, path: tuple, value: Any) -> None:
    node = meta
    for part in path[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return                                    # an earlier edit removed the way there
    try:
        if value is ...:
            del node[path[-1]]
        else:
            node[path[-1]] = value
    except (KeyError, IndexError, TypeError):
        pass


def loads_or_names_a_file_of(directory: Path) -> None:
    try:
        with time_limit(SECONDS_PER_CALL):
            load_model(directory)
    except LstmError as error:
        assert error.path is not None and Path(error.path).is_relative_to(directory), \
            error.render()
        assert "\n" not in error.render()


@given(data=st.data())
def test_an_edited_meta_json_loads_or_names_the_checkpoint(good_checkpoint, tmp_path_factory,
                                                           data):
    directory = tmp_path_factory.mktemp("edited") / "best"
    shutil.copytree(good_checkpoint, directory)
    meta = json.loads((directory / META_FILE).read_text())
    for path, value in data.draw(meta_edits(meta)):
        edit(meta, path, value)
    (directory / META_FILE).write_text(json.dumps(meta))
    loads_or_names_a_file_of(directory)


@given(which=st.sampled_from([META_FILE, ARRAYS_FILE]),
       data=file_bytes(st.sampled_from(["{}", '{"format_version": 1}', "[" * 5000, "1e999"])))
def test_any_bytes_in_a_checkpoint_file_name_it(good_checkpoint, tmp_path_factory, which, data):
    directory = tmp_path_factory.mktemp("replaced") / "best"
    shutil.copytree(good_checkpoint, directory)
    (directory / which).write_bytes(data)
    loads_or_names_a_file_of(directory)


@pytest.mark.parametrize("path,value", [
    (("frame_dim",), float("inf")), (("vocabs", "features"), None), (("vocabs",), []),
    (("config", "model", "features"), ...), (("vocabs", "labels", "labels"), 7),
], ids=["infinite-frame-dim", "no-feature-vocabs", "vocabs-a-list", "no-feature-sizes",
        "labels-a-number"])
def test_meta_json_that_found_a_bug_names_the_checkpoint(good_checkpoint, tmp_path, path, value):
    directory = tmp_path / "best"
    shutil.copytree(good_checkpoint, directory)
    meta = json.loads((directory / META_FILE).read_text())
    edit(meta, path, value)
    (directory / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(LstmError, match="meta.json does not describe a model"):
        load_model(directory)
