"""Checkpoints written before this code still load: one tiny checkpoint per output layer, written
by main's code at fadba1c (tests/fixtures/make_checkpoint_fixtures.py), loaded and run here."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lstm_cli.checkpoint import load_checkpoint
from lstm_cli.data.prepare import load_splits
from lstm_cli.data.types import Example
from lstm_cli.engine.outputs import OUTPUTS
from lstm_cli.inference import predict
from lstm_cli.model import load_model
from lstm_cli.train.metrics_log import flat_keys

CHECKPOINTS = Path(__file__).resolve().parent / "fixtures" / "checkpoints"


@pytest.mark.parametrize("output", sorted(OUTPUTS))
def test_a_checkpoint_written_by_earlier_code_loads_and_predicts(output):
    path = CHECKPOINTS / output
    model = load_model(path)
    meta = json.loads((path / "meta.json").read_text())
    saved_config, loaded_config = flat_keys(meta["config"]), flat_keys(model.config.to_dict())
    assert {key: loaded_config.get(key) for key in saved_config} == saved_config  # new keys aside
    assert isinstance(model.tagger.output, OUTPUTS[output])
    saved = load_checkpoint(path).params
    params = model.tagger.named_params()
    assert set(params) == set(saved)
    for name, value in params.items():
        np.testing.assert_array_equal(value, saved[name])
    if model.config.data.builtin is not None:
        examples = load_splits(model.config).test
    else:
        examples = [Example(tokens=["paris", "news", "from", "bbc"])]
    predictions = predict(model, examples)
    assert len(predictions) == len(examples)
    if model.tagger.output.targets.token_labels:
        assert [len(p.labels) for p in predictions] == [len(e) for e in examples]
    if model.tagger.output.targets.real:
        assert all(np.isfinite(p.values).all() for p in predictions)
    else:
        assert {label for p in predictions for label in p.labels} <= set(model.labels)
