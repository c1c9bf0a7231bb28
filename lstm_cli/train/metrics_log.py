"""The run's metrics: `metrics.jsonl` (one JSON object per epoch; read, appended, truncated on
resume) and reading a metric out of a record or report (which way a metric improves:
`metric_registry`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lstm_cli import fsutil
from lstm_cli.errors import ConfigError, LstmError


def metric_value(report: dict[str, Any], metric: str) -> float:
    """A dotted key of a report (`token_accuracy`, `entity.f1`, `loss`) as a float."""
    value: Any = report
    for part in metric.split("."):
        if not isinstance(value, dict) or part not in value:
            raise ConfigError(f"train.early_stopping.metric: the dev report has no "
                              f"'{metric}'", hint="use token_accuracy, sequence_accuracy, "
                              "entity.f1, label_error_rate or loss")
        value = value[part]
    if value is None:
        raise ConfigError(f"train.early_stopping.metric '{metric}' is not defined for these "
                          f"labels", hint="entity.f1 needs BIO/IOBES labels")
    return float(value)


def flat_keys(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested config dict as {dotted key: value} (`model.embedding.dim`)."""
    out = {}
    for key, value in data.items():
        if isinstance(value, dict) and value and all(isinstance(k, str) for k in value):
            out.update(flat_keys(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def append_metrics(path: Path, record: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, sort_keys=True) + "\n")
        handle.flush()


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """The records of metrics.jsonl; a torn last line (a full disk mid-append) is dropped."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    last = max((number for number, line in enumerate(lines, start=1) if line), default=0)
    records = []
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        try:
            records.append(json.loads(line))
        except ValueError:
            if number == last:
                break
            raise LstmError("expected one JSON object per line, found invalid JSON", path=path,
                            line=number) from None
    return records


def truncate_metrics(path: Path, epochs: int) -> None:
    """Drop records of epochs the resumed checkpoint did not finish (a crash between writes)."""
    kept = [record for record in read_metrics(path) if record["epoch"] <= epochs]
    fsutil.atomic_write_text(path, "".join(json.dumps(r, sort_keys=True) + "\n" for r in kept))


def epoch_line(record: dict[str, Any], metric: str, value: float, improved: bool) -> str:
    dev = "" if metric == "train_loss" else f"{metric} {value:.4f}, "
    line = (f"epoch {record['epoch']}: train_loss {record['train_loss']:.4f}, {dev}"
            f"{record['seconds']:.1f}s, {record['train_tokens_per_s']:.0f} tok/s")
    return line + (" (best)" if improved else "")
