"""Adding an output layer is one class and its registry line: a per-step binary sigmoid output,
written here and registered at runtime, trains, evaluates, gradchecks and predicts through the
same commands as the built-in layers, with no other file touched."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lstm_cli.cli.main import main
from lstm_cli.engine.outputs import OUTPUTS
from lstm_cli.engine.outputs.base import STEP_LABELS, OutputLayer
from lstm_cli.engine.outputs.softmax import log_softmax
from tests.cli.helpers import write_config, write_conll

Array = np.ndarray


class SigmoidOutput(OutputLayer):
    """Label id 1 or another per step from one score: p(y_t = 1 | x) = σ(s_t), with the mean binary
    cross-entropy over real steps, ∂L/∂s_t = (σ(s_t) − y_t) / N."""

    targets = STEP_LABELS

    def __init__(self, num_labels: int, *, dtype=np.float32) -> None:
        super().__init__()
        self.num_labels, self.num_scores = num_labels, 1      # label ids 1 and not 1

    def loss(self, scores: Array, batch) -> tuple[float, Array]:
        real = batch.mask & (batch.label_ids >= 0)
        logits = scores[..., 0]                                          # (T, B)
        gold = (batch.label_ids == 1).astype(scores.dtype)
        log_p = log_softmax(np.stack([np.zeros_like(logits), logits], axis=-1))   # (T, B, 2)
        count = max(int(real.sum()), 1)
        nll = -np.where(gold == 1, log_p[..., 1], log_p[..., 0])
        d_scores = np.zeros_like(scores)
        d_scores[..., 0] = np.where(real, np.exp(log_p[..., 1]) - gold, 0) / count
        return float(nll[real].sum() / count), d_scores

    def decode(self, scores: Array, lengths: Array) -> list[Array]:
        positive = (scores[..., 0] > 0).astype(np.int64)
        return [positive[:length, b] for b, length in enumerate(lengths)]

    def probabilities(self, scores: Array, lengths: Array) -> list[Array]:
        logits = scores[..., 0]
        probs = np.exp(log_softmax(np.stack([np.zeros_like(logits), logits], axis=-1)))
        return [probs[:length, b] for b, length in enumerate(lengths)]


CITIES = {"paris", "london", "rome", "oslo"}
WORDS = sorted(CITIES | {"the", "news", "from", "today", "show", "me"})


def binary_sequences(count: int, seed: int) -> list[list[tuple[str, str]]]:
    rng = np.random.default_rng(seed)
    return [[(word, "city" if word in CITIES else "other")
             for word in rng.choice(WORDS, size=rng.integers(2, 7))] for _ in range(count)]


@pytest.fixture
def sigmoid_config(tmp_path, monkeypatch):
    monkeypatch.setitem(OUTPUTS, "sigmoid", SigmoidOutput)
    data = {name: str(write_conll(tmp_path / f"{name}.txt", binary_sequences(count, seed)))
            for name, count, seed in (("train", 60, 1), ("dev", 12, 2), ("test", 12, 3))}
    return write_config(tmp_path / "config.yaml", {
        "seed": 0, "data": {"format": "conll", **data},
        "model": {"hidden_size": 8, "embedding": {"dim": 8}, "output": "sigmoid"},
        "train": {"epochs": 8, "batch_size": 8, "threads": 1,
                  "optimizer": {"name": "adam", "lr": 0.02}}})


def test_a_new_output_layer_trains_and_predicts(cli, sigmoid_config, tmp_path):
    run = tmp_path / "run"
    result = cli("train", sigmoid_config, "--out", run, "--quiet")
    assert result.code == 0, result.err
    report = json.loads((run / "report.json").read_text())
    assert report["token_accuracy"] > 0.9
    predicted = cli("predict", run, "-", stdin="paris news\n")
    assert predicted.code == 0, predicted.err
    assert predicted.out.split() == ["paris", "city", "news", "other"]


def test_a_new_output_layer_gradchecks(cli, sigmoid_config):
    result = cli("gradcheck", sigmoid_config, "--json")
    assert result.code == 0, result.out + result.err
    assert "classifier.weight" in json.loads(result.out)["errors"]


def test_a_new_output_layer_is_refused_once_unregistered(sigmoid_config, monkeypatch):
    monkeypatch.delitem(OUTPUTS, "sigmoid")
    assert main(["gradcheck", str(sigmoid_config)]) == 2
