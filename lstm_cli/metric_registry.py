"""The metrics a report holds, each with its direction: is a higher value better?

Model selection (`train.early_stopping.metric`), sweep summaries, Ray's search mode and the
sort order of `lstm report` read directions from here rather than guessing from a metric's
name. Reports are named as `engine.outputs.base.Targets.report` names them: labels (aligned,
from `eval.metrics.evaluate_labels`), strings (CTC, `eval.metrics.evaluate_strings`), classes
(`eval.sequence_metrics.evaluate_classes`) and values (`eval.sequence_metrics.evaluate_values`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """A dotted report key, whether a higher value is better, and the reports that hold it."""

    name: str
    higher_is_better: bool
    reports: tuple[str, ...]


_LABELS = ("labels", "classes")
_ALL = ("labels", "strings", "classes", "values")

METRICS: dict[str, Metric] = {metric.name: metric for metric in (
    Metric("token_accuracy", True, _LABELS),
    Metric("seen_token_accuracy", True, ("labels",)),
    Metric("unseen_token_accuracy", True, ("labels",)),
    Metric("accuracy", True, ("classes",)),
    Metric("mse", False, ("values",)),
    Metric("mae", False, ("values",)),
    Metric("within_tolerance", True, ("values",)),
    Metric("sequence_accuracy", True, ("labels", "strings", "values")),
    Metric("label_error_rate", False, ("strings",)),
    *(Metric(f"{average}.{score}", True, _LABELS) for average in ("micro", "macro")
      for score in ("precision", "recall", "f1")),
    *(Metric(f"entity.{score}", True, ("labels",)) for score in ("precision", "recall", "f1")),
    Metric("loss", False, _ALL),
    Metric("train_loss", False, ()),
)}
"""Every metric by its report key (`train_loss` is the metrics.jsonl key of the training loss)."""

OPEN_REPORTS = ("labels", "strings", "classes")
"""Reports whose every numeric key may select a model (`per_label.B-PER.f1`, …); the others
offer only the metrics registered for them."""


def selectable_metrics(report: str) -> tuple[str, ...] | None:
    """The metrics of `report` that model selection can use; None when any key of it can."""
    if report in OPEN_REPORTS:
        return None
    return tuple(name for name, metric in METRICS.items() if report in metric.reports)


def higher_is_better(metric: str) -> bool:
    """The direction of a metric: a report key (`entity.f1`), a split's column (`dev.loss`) or
    a key below one (`per_label.B-PER.f1` reads as `f1`). Keys that are no registered metric
    (counts, speeds) sort high first."""
    parts = metric.split(".")
    if parts[0] in ("dev", "test", "train") and len(parts) > 1:
        parts = parts[1:]
    for start in range(len(parts)):
        known = METRICS.get(".".join(parts[start:]))
        if known is not None:
            return known.higher_is_better
    return True
