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
from lstm_cli.data.encoding import encode_example, unseen_gold_labels
from lstm_cli.data.prepare import check_sequence_targets, window_spec
from lstm_cli.data.types import Example
from lstm_cli.data.windows import make_windows, stitch
from lstm_cli.eval.metrics import evaluate_labels, evaluate_strings, seen_unseen_accuracy
from lstm_cli.eval.sequence_metrics import evaluate_classes, evaluate_values
from lstm_cli.model import TrainedModel


@dataclass
class Prediction:
    """Labels for one sequence (a label string for CTC, one label for `last_softmax`) and, on
    request, per-step probabilities (length, C) in the checkpoint's label order ((1, C) for
    `last_softmax`). A regression model's predictions are `values`, (K,) or (length, K), and
    `labels` holds them as text."""

    labels: list[str]
    probs: np.ndarray | None = None
    values: np.ndarray | None = None


def batches_in_order(model: TrainedModel, examples: Sequence[Example], batch_size: int,
                     *, with_labels: bool) -> Iterator[Batch]:
    """Encoded batches of neighbouring-length examples; `batch.index` maps back to `examples`."""
    order = sorted(range(len(examples)), key=lambda i: -len(examples[i]))
    for start in range(0, len(order), batch_size):
        chunk = order[start:start + batch_size]
        encoded = [encode_example(examples[i] if with_labels
                                  else replace(examples[i], labels=None, target=None, label=None,
                                               value=None, step_values=None),
                                  model.vocabs, cache=model.word_types) for i in chunk]
        yield make_batch(encoded, index=chunk)


def _run(model: TrainedModel, examples: Sequence[Example], batch_size: int, *,
         with_probs: bool, with_labels: bool) -> tuple[list[Prediction], float | None]:
    """Predictions in input order, and the mean loss over batches when gold labels are used."""
    tagger, labels = model.tagger, model.labels
    predictions: list[Prediction | None] = [None] * len(examples)
    losses, weights = [], []
    for batch in batches_in_order(model, examples, batch_size, with_labels=with_labels):
        scores, _ = tagger.scores(batch, keep_tape=False)
        if with_labels:
            losses.append(tagger.output.loss(scores, batch)[0])
            weights.append(batch.size if tagger.output.targets.per_sequence
                           else int(batch.mask.sum()))
        paths = tagger.output.decode(scores, batch.lengths)
        if tagger.output.targets.real:
            for column, position in enumerate(batch.index):
                values = np.asarray(paths[column], dtype=np.float64)
                predictions[position] = Prediction([f"{v:.6g}" for v in values.reshape(-1)],
                                                   values=values)
            continue
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
    if spec is None or not model.tagger.output.targets.token_labels:
        return _run(model, examples, batch_size, with_probs=with_probs, with_labels=with_labels)
    windows = make_windows(examples, spec)
    window_predictions, loss = _run(model, [w.example for w in windows], batch_size,
                                    with_probs=with_probs, with_labels=with_labels)
    labels = stitch(windows, [p.labels for p in window_predictions],
                    [len(example) for example in examples])
    probs: list[np.ndarray | None] = [None] * len(examples)
    if with_probs:
        probs = [np.zeros((len(example), len(model.labels))) for example in examples]
        for window, prediction in zip(windows, window_predictions, strict=False):
            for (i, t), row in zip(window.origins, prediction.probs[window.scored], strict=False):
                probs[i][t] = row
    return [Prediction(lab, prob) for lab, prob in zip(labels, probs, strict=False)], loss


def evaluate(model: TrainedModel, examples: Sequence[Example], *,
             batch_size: int = 64) -> dict:
    """The accuracy report of the model on labelled examples (see eval.metrics), with `loss`.

    Gold labels never seen in training are scored as errors (the model cannot predict them),
    as conlleval does; the report then lists them with their token counts under
    `unseen_labels`, and `loss` covers only the sequences without them.

    Outputs with one target per sequence or real targets (`last_softmax`, `regression`) get the
    reports of `eval.sequence_metrics`."""
    targets = model.tagger.output.targets
    if targets.report in ("classes", "values"):
        return _evaluate_sequences(model, examples, batch_size)
    unseen = unseen_gold_labels(examples, model.vocabs)
    if unseen:
        predictions, loss = _predict_past_unseen(model, examples, batch_size)
    else:
        predictions, loss = _predict(model, examples, batch_size, with_probs=False,
                                     with_labels=True)
    gold = [getattr(example, targets.example_field) or [] for example in examples]
    if targets.report == "strings":
        report = evaluate_strings(gold, [p.labels for p in predictions])
    else:
        pred = [p.labels for p in predictions]
        report = evaluate_labels(gold, pred, model.labels)
        if model.frame_dim == 0 and model.config.model.embedding.dim > 0:
            report.update(seen_unseen_accuracy([example.tokens for example in examples], gold,
                                               pred, model.vocabs.tokens.is_trained))
    report["loss"] = loss
    if unseen:
        report["unseen_labels"] = unseen
    return report


def _predict_past_unseen(model: TrainedModel, examples: Sequence[Example],
                         batch_size: int) -> tuple[list[Prediction], float | None]:
    """Predictions for every example, and the loss over the examples whose gold labels were
    all seen in training (a label without an id has no loss; None when no example is left)."""
    scorable = [not model.vocabs.labels.unseen(example.labels or ()) for example in examples]
    clean = [example for example, ok in zip(examples, scorable, strict=True) if ok]
    rest = [example for example, ok in zip(examples, scorable, strict=True) if not ok]
    clean_predictions, loss = _predict(model, clean, batch_size, with_probs=False,
                                       with_labels=True) if clean else ([], None)
    rest_predictions = iter(predict(model, rest, batch_size=batch_size))
    clean_iter = iter(clean_predictions)
    return [next(clean_iter) if ok else next(rest_predictions) for ok in scorable], loss


def _evaluate_sequences(model: TrainedModel, examples: Sequence[Example],
                        batch_size: int) -> dict:
    """The report of a sequence-level output: classes (`last_softmax`) or real values."""
    output = model.tagger.output
    check_sequence_targets(model.config, examples)
    gold = [getattr(example, output.targets.example_field) for example in examples]
    if output.targets.report == "classes":
        first = next((e for e, g in zip(examples, gold, strict=True)
                      if model.vocabs.labels.unseen([g])), None)
        if first is not None:
            model.vocabs.labels.check(set(gold), source=first.source)
    predictions, loss = _run(model, examples, batch_size, with_probs=False, with_labels=True)
    if output.targets.report == "classes":
        report = evaluate_classes(gold, [p.labels[0] for p in predictions], model.labels)
    else:
        report = evaluate_values([np.reshape(g, np.shape(p.values))
                                  for g, p in zip(gold, predictions, strict=True)],
                                 [p.values for p in predictions], output.tolerance)
    report["loss"] = loss
    return report
