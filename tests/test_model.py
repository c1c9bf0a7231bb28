"""model.py: building a model from a config and vocabularies, and rebuilding it from its
checkpoint."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_cli.checkpoint import save_checkpoint
from lstm_cli.config import Config
from lstm_cli.data.types import Example
from lstm_cli.data.vocab import Vocabs
from lstm_cli.errors import CheckpointError, ConfigError
from lstm_cli.inference import predict
from lstm_cli.model import TrainedModel, build_model, load_model, model_meta

EXAMPLES = [Example(tokens=["new", "york", "news"], labels=["B-LOC", "I-LOC", "O"],
                    features={"pos": ["NNP", "NNP", "NN"]}),
            Example(tokens=["obama", "today"], labels=["B-PER", "O"],
                    features={"pos": ["NNP", "NN"]})]


def config(**model) -> Config:
    return Config.model_validate({"data": {"feature_columns": {"pos": 1}}, "model": {
        "hidden_size": 4, "embedding": {"dim": 3}, "features": {"pos": 2}, **model}})


def test_the_same_rng_seed_builds_the_same_model_and_another_seed_another():
    vocabs = Vocabs.build(EXAMPLES)
    first, second, other = (build_model(config(), vocabs, rng=np.random.default_rng(seed))
                            .named_params() for seed in (0, 0, 1))
    assert all(first[name].tobytes() == second[name].tobytes() for name in first)
    assert any(first[name].tobytes() != other[name].tobytes() for name in first)


def test_input_and_output_gate_biases_start_where_the_config_says():
    tagger = build_model(config(input_bias=-1.5, output_bias=0.5, forget_bias=2.0),
                         Vocabs.build(EXAMPLES), rng=np.random.default_rng(0))
    for units in tagger.rnn.layers:
        for unit in units:
            bias = unit.cell.params["bias"]
            assert (unit.cell.gate(bias, "i") == -1.5).all()
            assert (unit.cell.gate(bias, "o") == 0.5).all()
            assert (unit.cell.gate(bias, "f") == 2.0).all()


def test_a_feature_column_without_an_embedding_size_is_a_config_error():
    with pytest.raises(ConfigError, match="model.features"):
        build_model(config(features={}), Vocabs.build(EXAMPLES), rng=np.random.default_rng(0))


@pytest.mark.parametrize("model", [{}, {"output": "crf", "cell": "gru"},
                                   {"chars": {"dim": 3, "hidden_size": 2}, "num_layers": 2}],
                         ids=["lstm-softmax", "gru-crf", "chars-two-layers"])
def test_a_saved_model_loads_with_the_same_weights_and_predictions(tmp_path, model):
    vocabs = Vocabs.build(EXAMPLES, chars=bool(model.get("chars")))
    settings = config(**model)
    saved = TrainedModel(settings, vocabs, build_model(settings, vocabs,
                                                       rng=np.random.default_rng(5)))
    save_checkpoint(tmp_path / "best", params=saved.tagger.named_params(),
                    meta=model_meta(saved))
    loaded = load_model(tmp_path / "best")
    assert loaded.config == saved.config and loaded.labels == saved.labels
    for name, value in saved.tagger.named_params().items():
        assert loaded.tagger.named_params()[name].tobytes() == value.tobytes(), name
    assert [p.labels for p in predict(loaded, EXAMPLES)] == \
        [p.labels for p in predict(saved, EXAMPLES)]


def test_arrays_of_another_shape_are_a_checkpoint_error(tmp_path):
    vocabs = Vocabs.build(EXAMPLES)
    saved = TrainedModel(config(), vocabs, build_model(config(), vocabs,
                                                       rng=np.random.default_rng(0)))
    params = dict(saved.tagger.named_params())
    params["classifier.bias"] = np.zeros(len(saved.labels) + 1, dtype=np.float32)
    save_checkpoint(tmp_path / "best", params=params, meta=model_meta(saved))
    with pytest.raises(CheckpointError, match="classifier.bias"):
        load_model(tmp_path / "best")
