"""Running a trained model over Examples: predictions, and the accuracy report against gold.

One function serves dev evaluation during training, `lstm eval` and `lstm predict`. Windowed
models (`data.window`) see each window and have their per-window predictions stitched back, so
every original token is predicted and scored once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from lstm_cli.data.batching import Batch, make_batch
from lstm_cli.data.encoding import encode_example
from lstm_cli.data.prepare import window_spec
from lstm_cli.data.types import Example
from lstm_cli.data.windows import make_windows, stitch
from lstm_cli.eval.metrics import evaluate_labels, evaluate_strings
from lstm_cli.model import TrainedModel


@dataclass
class Prediction:
    """Labels for one sequence (a label string for CTC) and, on request, per-step probabilities
    (length, C) in the checkpoint's label order."""

    labels: list[str]
    probs: np.ndarray | None = None


def batches_in_order(model: TrainedModel, examples: Sequence[Example], batch_size: int,
                     *, with_labels: bool) -> Iterator[Batch]:
    """Encoded batches of neighbouring-length examples; `batch.index` maps back to `examples`."""
    order = sorted(range(len(examples)), key=lambda i: -len(examples[i]))
    for start in range(0, len(order), batch_size):
        chunk = order[start:start + batch_size]
        encoded = [encode_example(examples[i] if with_labels
                                  else replace(examples[i], labels=None, target=None),
                                  model.vocabs) for i in chunk]
        yield make_batch(encoded, index=chunk)


def _run(model: TrainedModel, examples: Sequence[Example], batch_size: int, *,
         with_probs: bool, with_labels: bool) -> tuple[list[Prediction], float | None]:
    """Predictions in input order, and the mean loss over batches when gold labels are used."""
    tagger, labels = model.tagger, model.labels
    predictions: list[Prediction | None] = [None] * len(examples)
    losses, weights = [], []
    for batch in batches_in_order(model, examples, batch_size, with_labels=with_labels):
        scores, _ = tagger.scores(batch)
        if with_labels:
            losses.append(tagger.output.loss(scores, batch)[0])
            weights.append(int(batch.mask.sum()))
        paths = tagger.output.decode(scores, batch.lengths)
        probs = tagger.output.probabilities(scores, batch.lengths) if with_probs else None
        for column, position in enumerate(batch.index):
            predictions[position] = Prediction(
                [labels[k] for k in paths[column]],
                None if probs is None else probs[column])
    loss = float(np.average(losses, weights=weights)) if losses else None
    return predictions, loss


def predict(model: TrainedModel, examples: Sequence[Example], *, batch_size: int = 64,
            with_probs: bool = False) -> list[Prediction]:
    """The model's labels for every example (gold labels in the examples are ignored)."""
    return _predict(model, examples, batch_size, with_probs=with_probs, with_labels=False)[0]


def _predict(model: TrainedModel, examples: Sequence[Example], batch_size: int, *,
             with_probs: bool, with_labels: bool) -> tuple[list[Prediction], float | None]:
    spec = window_spec(model.config.data)
    if spec is None or model.config.model.output == "ctc":
        return _run(model, examples, batch_size, with_probs=with_probs, with_labels=with_labels)
    windows = make_windows(examples, spec)
    window_predictions, loss = _run(model, [w.example for w in windows], batch_size,
                                    with_probs=with_probs, with_labels=with_labels)
    labels = stitch(windows, [p.labels for p in window_predictions],
                    [len(example) for example in examples])
    probs: list[np.ndarray | None] = [None] * len(examples)
    if with_probs:
        probs = [np.zeros((len(example), len(model.labels))) for example in examples]
        for window, prediction in zip(windows, window_predictions):
            for (i, t), row in zip(window.origins, prediction.probs[window.scored]):
                probs[i][t] = row
    return [Prediction(lab, prob) for lab, prob in zip(labels, probs)], loss


def evaluate(model: TrainedModel, examples: Sequence[Example], *,
             batch_size: int = 64) -> dict:
    """The accuracy report of the model on labelled examples (see eval.metrics), with `loss`."""
    model.vocabs.labels.check({label for example in examples
                               for label in (example.labels or example.target or ())},
                              source=examples[0].source if examples else None)
    predictions, loss = _predict(model, examples, batch_size, with_probs=False, with_labels=True)
    if model.config.model.output == "ctc":
        report = evaluate_strings([example.target or [] for example in examples],
                                  [p.labels for p in predictions])
    else:
        report = evaluate_labels([example.labels or [] for example in examples],
                                 [p.labels for p in predictions], model.labels)
    report["loss"] = loss
    return report
