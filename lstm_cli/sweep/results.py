"""Run directories read back into rows for `lstm report`: one row per run, or per point.

A run directory is a folder with config.yaml and metrics.jsonl. A row holds, in this order:

    run                        the directory (a list of them for a row that averages seeds)
    <config keys>              the dotted config keys whose values differ across the runs
    status                     done (report.json), stopped (an early-stopping scheduler), incomplete
    epochs, best_epoch         epochs recorded; the epoch of the best checkpoint
    train_loss                 at the best epoch
    dev.<metric>               the dev report at the best epoch: token_accuracy and the run's
                               model-selection metric (train.early_stopping.metric)
    <split>.<metric>           report.json (the best checkpoint on test, else dev): token_accuracy,
                               sequence_accuracy, entity.f1, label_error_rate (CTC)
    wall_s, tokens_per_s       the sum of epoch seconds; training tokens per second over them

Runs that differ only in `seed` form one point; `group_rows` turns each point with several runs
into one row of means, with the sample standard deviation in `<column>.std`, `seed` the list of
seeds and `n` the number of runs.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lstm_cli.config import parse_yaml
from lstm_cli.errors import ConfigError, LstmError
from lstm_cli.eval.report import markdown_cell
from lstm_cli.metric_registry import higher_is_better
from lstm_cli.plots import Curve
from lstm_cli.sweep.plan import STOPPED_FILE, display_path, format_value, read_stopped, short_keys
from lstm_cli.train.metrics_log import flat_keys, metric_value, read_metrics

IGNORED_KEYS = {"output.dir"}
REPORT_METRICS = ("token_accuracy", "sequence_accuracy", "entity.f1", "label_error_rate")
FORMATS = ("table", "csv", "json", "markdown")
"""What `render` writes (`lstm report --format`)."""


@dataclass
class RunRecord:
    path: Path
    config: dict[str, Any]                 # flat: dotted key -> value
    metrics: list[dict[str, Any]]          # metrics.jsonl, one record per epoch
    report: dict[str, Any] | None          # report.json
    stopped: dict[str, Any] | None         # stopped.json

    @property
    def status(self) -> str:
        return "done" if self.report else "stopped" if self.stopped else "incomplete"


def is_run_dir(path: Path) -> bool:
    return (path / "config.yaml").is_file() and (path / "metrics.jsonl").is_file()


def find_run_dirs(paths: list[Path]) -> list[Path]:
    """The run directories given, or below the given folders (hidden folders skipped)."""
    found: list[Path] = []
    for root in paths:
        if not root.exists():
            raise LstmError("not found", path=root)
        if is_run_dir(root):
            found.append(root)
            continue
        below = []
        for folder, subfolders, _ in os.walk(root):
            subfolders[:] = sorted(name for name in subfolders
                                   if not name.startswith(".") and name != "checkpoints")
            if is_run_dir(Path(folder)):
                below.append(Path(folder))
                subfolders.clear()
        found += sorted(below)
    if not found:
        raise LstmError(f"no run directories below {', '.join(map(str, paths))}",
                        hint="a run directory holds config.yaml and metrics.jsonl")
    return list(dict.fromkeys(found))


def load_run(path: Path) -> RunRecord:
    try:
        config = parse_yaml((path / "config.yaml").read_text(encoding="utf-8"))[0] or {}
        metrics = read_metrics(path / "metrics.jsonl")
        report_path = path / "report.json"
        report = json.loads(report_path.read_text(encoding="utf-8")) \
            if report_path.exists() else None
    except (OSError, ValueError, RecursionError, yaml.YAMLError) as error:
        raise LstmError(f"unreadable run directory ({' '.join(str(error).split())})",
                        path=path) from None
    stopped = read_stopped(path)
    for name, value in [("config.yaml", config), ("report.json", report),
                        (STOPPED_FILE, stopped)]:
        if not isinstance(value, dict | None):
            raise LstmError(f"unreadable run directory ({name} holds a "
                            f"{type(value).__name__}, not a mapping)", path=path)
    for number, record in enumerate(metrics, start=1):
        problem = _metrics_problem(record)
        if problem:
            raise LstmError(f"unreadable run directory (metrics.jsonl record {number}: "
                            f"{problem})", path=path)
    if report is not None and not isinstance(report.get("best_epoch"), int | None):
        raise LstmError("unreadable run directory (report.json: best_epoch is not an epoch)",
                        path=path)
    return RunRecord(path, flat_keys(config), metrics, report, stopped)


def _metrics_problem(record: Any) -> str | None:
    """What makes one metrics.jsonl record unusable for a report, or None."""
    if not isinstance(record, dict):
        return f"a {type(record).__name__}, not an object"
    if not isinstance(record.get("epoch"), int) or isinstance(record["epoch"], bool):
        return "no integer 'epoch'"
    numbers = {"train_loss": record.get("train_loss"), "seconds": record.get("seconds", 0.0),
               "train_tokens_per_s": record.get("train_tokens_per_s", 0.0)}
    for name, value in numbers.items():
        if not isinstance(value, int | float) or isinstance(value, bool):
            return f"'{name}' is not a number"
    if not isinstance(record.get("dev"), dict | None):
        return "'dev' is not an object"
    return None


def varying_keys(records: list[RunRecord]) -> list[str]:
    """Config keys whose values differ across the runs, in config order."""
    keys = list(dict.fromkeys(key for record in records for key in record.config))
    return [key for key in keys if key not in IGNORED_KEYS and
            len({json.dumps(r.config.get(key), sort_keys=True) for r in records}) > 1]


def run_row(record: RunRecord, keys: list[str]) -> dict[str, Any]:
    """The row of one run (see the module docstring)."""
    row: dict[str, Any] = {"run": display_path(record.path)}
    row.update({key: record.config.get(key) for key in keys})
    metric = record.config.get("train.early_stopping.metric", "token_accuracy")
    best_epoch = record.report.get("best_epoch") if record.report else None
    if best_epoch is None:
        best_epoch = _best_epoch(record.metrics, metric,
                                 record.config.get("train.early_stopping.tie_metric"))
    best = next((r for r in record.metrics if r["epoch"] == best_epoch), None)
    row.update(status=record.status, epochs=len(record.metrics), best_epoch=best_epoch,
               train_loss=best["train_loss"] if best else None)
    if best and best.get("dev"):
        for name in dict.fromkeys(("token_accuracy", metric)):
            row[f"dev.{name}"] = _value(best["dev"], name)
    if record.report:
        split = record.report.get("split", "test")
        for name in REPORT_METRICS:
            value = _value(record.report, name)
            if value is not None:
                row.setdefault(f"{split}.{name}", value)
    seconds = sum(r.get("seconds", 0.0) for r in record.metrics)
    tokens = sum(r.get("train_tokens_per_s", 0.0) * r.get("seconds", 0.0)
                 for r in record.metrics)
    row.update(wall_s=round(seconds, 3), tokens_per_s=round(tokens / seconds, 1)
               if seconds > 0 else None)
    return row


def learning_curve(record: RunRecord, label: str) -> Curve:
    """The run's train loss and dev selection metric per epoch, for `plots`."""
    metric = record.config.get("train.early_stopping.metric", "token_accuracy")
    dev = [(r["epoch"], _value(r["dev"], metric)) for r in record.metrics if r.get("dev")]
    dev = [(epoch, value) for epoch, value in dev if value is not None]
    return Curve(label, [r["epoch"] for r in record.metrics],
                 [r["train_loss"] for r in record.metrics], [e for e, _ in dev],
                 [v for _, v in dev], metric)


def run_label(record: RunRecord, keys: list[str], short: dict[str, str]) -> str:
    """`hidden_size=64, lr=0.01` from the varying keys, else the directory name."""
    parts = [f"{short[key]}={format_value(record.config.get(key))}" for key in keys]
    return ", ".join(parts) or record.path.name


def _best_epoch(metrics: list[dict[str, Any]], metric: str,
                tie_metric: str | None) -> int | None:
    """The epoch the run's own selection keeps (`train.loop.improves`, ties broken by
    `tie_metric`), replayed over its records; by train loss without dev data."""
    from lstm_cli.train.loop import LoopState, improves

    best = LoopState()
    for record in metrics:
        if record.get("dev"):
            value, name, tie_name = _value(record["dev"], metric), metric, tie_metric
            tie = _value(record["dev"], tie_metric) if tie_metric else None
        else:
            value, name, tie_name, tie = record["train_loss"], "train_loss", None, None
        if value is not None and improves(value, tie, best, name, tie_name):
            best.best_metric, best.best_tie_metric = value, tie
            best.best_epoch = record["epoch"]
    return best.best_epoch or None


def _value(report: dict[str, Any], name: str) -> float | None:
    try:
        return metric_value(report, name)
    except (ConfigError, TypeError, ValueError):     # absent, or not a number (a hand edit)
        return None


def group_rows(rows: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    """One row per point (same values of `keys` except seed): means and `.std` when several."""
    point_keys = [key for key in keys if key != "seed"]
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(json.dumps([row.get(k) for k in point_keys], sort_keys=True,
                                     default=str), []).append(row)
    if all(len(group) == 1 for group in groups.values()):
        return rows
    return [_aggregate(group, keys) for group in groups.values()]


def _aggregate(group: list[dict[str, Any]], keys: list[str]) -> dict[str, Any]:
    first = group[0]
    row: dict[str, Any] = {"run": first["run"] if len(group) == 1 else
                           [r["run"] for r in group], "n": len(group)}
    for key in keys:
        row[key] = [r.get(key) for r in group] if key == "seed" and len(group) > 1 \
            else first.get(key)
    row["status"] = ",".join(sorted({r["status"] for r in group}))
    measured = [c for c in dict.fromkeys(c for r in group for c in r)
                if c not in row and c not in keys]
    for column in measured:
        values = [r[column] for r in group if isinstance(r.get(column), int | float)]
        row[column] = sum(values) / len(values) if values else None
        if len(group) > 1:
            row[f"{column}.std"] = _std(values)
    return row


def _std(values: list[float]) -> float | None:
    if len(values) < 2:
        return None
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def all_columns(rows: list[dict[str, Any]], keys: list[str]) -> list[str]:
    """Every column of the rows, `.std` columns excluded, in the module docstring's order."""
    seen = list(dict.fromkeys(c for row in rows for c in row if not c.endswith(".std")))

    def rank(column: str) -> tuple[int, int]:
        if column in ("run", "n"):
            group = 0
        elif column in keys:
            group = 1
        elif column in ("status", "epochs", "best_epoch", "train_loss"):
            group = 2
        elif column in ("wall_s", "tokens_per_s"):
            group = 5
        else:
            group = 3 if column.startswith("dev.") else 4
        return group, seen.index(column)

    return sorted(seen, key=rank)


def resolve_column(name: str, columns: list[str]) -> str:
    """A column by its full name or by a unique dotted tail (`lr` for train.optimizer.lr)."""
    if name in columns:
        return name
    matches = [c for c in columns if c.endswith("." + name)]
    if len(matches) == 1:
        return matches[0]
    hint = f"it could be {', '.join(matches)}" if matches else \
        f"columns: {', '.join(columns)}"
    raise LstmError(f"no column '{name}'", hint=hint)


def descending(column: str) -> bool:
    """Whether `--sort column` puts high values first (scores and speed; not losses)."""
    if column == "tokens_per_s":
        return True
    return column.split(".")[0] in ("dev", "test", "train") and higher_is_better(column)


def sort_rows(rows: list[dict[str, Any]], column: str | None, keys: list[str], *,
              reverse: bool = False) -> list[dict[str, Any]]:
    """By `column` (best first for scores), else by the config keys; missing values last."""
    def key_of(value: Any) -> tuple:
        if isinstance(value, list):
            value = str(value)
        return (value is None, isinstance(value, str), 0 if value is None else value)

    if column is None:
        ordered = sorted(rows, key=lambda r: [key_of(r.get(k)) for k in keys] +
                         [key_of(str(r["run"]))])
        return ordered[::-1] if reverse else ordered
    present = [r for r in rows if r.get(column) is not None]
    missing = [r for r in rows if r.get(column) is None]
    ordered = sorted(present, key=lambda r: key_of(r[column]),
                     reverse=descending(column) != reverse)
    return ordered + missing


def render(rows: list[dict[str, Any]], columns: list[str], fmt: str, keys: list[str]) -> Any:
    """`table` returns a rich Table; csv, json and markdown return text. The table and Markdown
    headers shorten config keys (`lr` for train.optimizer.lr) as run names do."""
    if fmt == "json":
        return json.dumps([_select(row, columns) for row in rows], indent=2,
                          ensure_ascii=False) + "\n"
    if fmt == "csv":
        selected = [_select(row, columns) for row in rows]
        header = list(dict.fromkeys(c for row in selected for c in row))
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        for row in selected:
            writer.writerow([_csv_cell(row.get(c)) for c in header])
        return buffer.getvalue()
    cells = [[_cell(row, column, keys) for column in columns] for row in rows]
    short = short_keys(keys)
    headers = [short.get(column, column) for column in columns]
    if fmt == "markdown":
        lines = ["| " + " | ".join(headers) + " |",
                 "|" + "|".join("---" for _ in columns) + "|"]
        lines += ["| " + " | ".join(map(markdown_cell, row)) + " |" for row in cells]
        return "\n".join(lines) + "\n"
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False)
    for column, header in zip(columns, headers, strict=True):
        numeric = column not in ("run", "status") and column not in keys
        table.add_column(header, justify="right" if numeric else "left")
    for row in cells:
        table.add_row(*row)
    return table


def _select(row: dict[str, Any], columns: list[str]) -> dict[str, Any]:
    selected = {}
    for column in columns:
        selected[column] = row.get(column)
        if f"{column}.std" in row:
            selected[f"{column}.std"] = row[f"{column}.std"]
    return selected


def _csv_cell(value: Any) -> Any:
    if isinstance(value, list):
        return ";".join(map(str, value))
    return "" if value is None else value


def _cell(row: dict[str, Any], column: str, keys: list[str]) -> str:
    value = row.get(column)
    if column == "run" and isinstance(value, list):
        return f"{len(value)} runs"
    if column in keys or column in ("run", "status", "n"):
        if isinstance(value, list):
            return ",".join(format_value(v) for v in value)
        return "" if value is None else format_value(value)
    text = _number(value, column)
    std = row.get(f"{column}.std")
    return f"{text} ± {_number(std, column)}" if std is not None else text


def _number(value: Any, column: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if column in ("epochs", "best_epoch"):
            return f"{value:.1f}"
        if column == "wall_s":
            return f"{value:.1f}" if value >= 10 else f"{value:.2f}"
        if column == "tokens_per_s":
            return f"{value:.0f}"
        return f"{value:.4f}"
    return str(value)
