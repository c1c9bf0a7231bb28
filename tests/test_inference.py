"""inference.py: predictions in input order whatever the batching, gold labels ignored by
`predict`, probabilities that agree with the labels, and `evaluate` scoring what `predict`
says."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_cli.config import Config
from lstm_cli.data.types import Example
from lstm_cli.data.vocab import Vocabs
from lstm_cli.inference import evaluate, predict
from lstm_cli.model import TrainedModel, build_model
from tests.cli.helpers import make_sequences


def examples(count: int, seed: int) -> list[Example]:
    return [Example(tokens=[t for t, _ in pairs], labels=[label for _, label in pairs],
                    source=f"s{seed}:{i}") for i, pairs in enumerate(make_sequences(count, seed))]


def untrained(output: str = "softmax", **data) -> TrainedModel:
    """A randomly initialised model over the vocabularies of examples(30, 1)."""
    config = Config.model_validate({"data": data, "model": {
        "hidden_size": 6, "embedding": {"dim": 5}, "output": output, "dtype": "float64"}})
    vocabs = Vocabs.build(examples(30, 1))
    return TrainedModel(config, vocabs, build_model(config, vocabs,
                                                    rng=np.random.default_rng(3)))


@pytest.mark.parametrize("output", ["softmax", "crf"])
def test_predictions_come_back_in_input_order_whatever_the_batch_size(output):
    model, data = untrained(output), examples(17, 2)
    by_one = predict(model, data, batch_size=1)
    assert [len(p.labels) for p in by_one] == [len(e) for e in data]
    for batch_size in (3, 64):
        assert [p.labels for p in predict(model, data, batch_size=batch_size)] == \
            [p.labels for p in by_one]


def test_predict_ignores_the_gold_labels():
    model, data = untrained(), examples(9, 2)
    unlabelled = [Example(tokens=e.tokens) for e in data]
    assert [p.labels for p in predict(model, data)] == \
        [p.labels for p in predict(model, unlabelled)]


def test_softmax_probabilities_are_distributions_whose_argmax_is_the_label():
    model, data = untrained(), examples(6, 2)
    for prediction, example in zip(predict(model, data, with_probs=True), data, strict=True):
        assert prediction.probs.shape == (len(example), len(model.labels))
        np.testing.assert_allclose(prediction.probs.sum(axis=1), 1.0, rtol=1e-9)
        assert [model.labels[k] for k in prediction.probs.argmax(axis=1)] == prediction.labels


def test_evaluate_scores_what_predict_says():
    model, data = untrained(), examples(11, 2)
    predicted = [p.labels for p in predict(model, data)]
    pairs = [(g, p) for e, labels in zip(data, predicted, strict=True)
             for g, p in zip(e.labels, labels, strict=True)]
    report = evaluate(model, data, batch_size=4)
    assert report["num_tokens"] == len(pairs) and report["num_sequences"] == len(data)
    assert report["token_accuracy"] == pytest.approx(np.mean([g == p for g, p in pairs]))
    assert np.isfinite(report["loss"]) and report["loss"] > 0


def test_evaluate_scores_labels_never_seen_in_training_as_errors():
    model, data = untrained(), examples(4, 2)
    data[2] = Example(tokens=["paris", "news"], labels=["B-NEW", "O"], source="test.txt:9")
    report = evaluate(model, data, batch_size=4)
    assert report["unseen_labels"] == {"B-NEW": 1}
    predicted = [p.labels for p in predict(model, data)]             # the same predictions
    pairs = [(g, p) for e, labels in zip(data, predicted, strict=True)
             for g, p in zip(e.labels, labels, strict=True)]
    assert report["token_accuracy"] == pytest.approx(np.mean([g == p for g, p in pairs]))
    assert report["per_label"]["B-NEW"]["recall"] == 0.0
    clean = evaluate(model, [e for i, e in enumerate(data) if i != 2], batch_size=4)
    assert report["loss"] == clean["loss"]                # over the sequences without them
    assert "unseen_labels" not in clean


def test_a_windowed_model_predicts_every_token_once():
    model, data = untrained(window={"size": 3, "stride": 1}), examples(8, 2)
    predictions = predict(model, data, with_probs=True)
    assert [len(p.labels) for p in predictions] == [len(e) for e in data]
    assert all(p.probs.shape == (len(e), len(model.labels))
               for p, e in zip(predictions, data, strict=True))
    assert evaluate(model, data)["num_tokens"] == sum(len(e) for e in data)
