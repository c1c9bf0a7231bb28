"""Rendering an evaluation report: a rich renderable, Markdown text, and the files on disk.

A report is the dict from `metrics.evaluate_labels` (aligned labels),
`metrics.evaluate_strings` (CTC, told apart by its `label_error_rate` key),
`sequence_metrics.evaluate_classes` (one class per sequence: `accuracy`) or
`sequence_metrics.evaluate_values` (real values: `mse`), optionally with
`checkpoint` and `data` added by the caller (shown when they are strings). Scores are stored as
fractions and shown as percentages with two decimals. The rich and Markdown forms are built from
the same sections, so they always carry the same numbers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rich.console import Group
from rich.table import Table
from rich.text import Text

from lstm_cli import fsutil

MAX_CONFUSION_LABELS = 25
"""The confusion matrix is shown only for label sets up to this size."""


@dataclass
class Section:
    """One table of a report: a title, column headers and rows of display strings."""

    title: str
    headers: list[str]
    rows: list[list[str]]


def _pct(fraction: float) -> str:
    return f"{100 * fraction:.2f}%"


def _is_ctc(report: dict) -> bool:
    return "label_error_rate" in report


def _is_regression(report: dict) -> bool:
    """`sequence_metrics.evaluate_values`: real-valued targets."""
    return "mse" in report


def _is_classification(report: dict) -> bool:
    """`sequence_metrics.evaluate_classes`: one class per sequence."""
    return "accuracy" in report


def _summary_rows(report: dict) -> list[list[str]]:
    rows = [[key.capitalize(), report[key]] for key in ("checkpoint", "data")
            if isinstance(report.get(key), str)]
    rows.append(["Sequences", str(report["num_sequences"])])
    if _is_regression(report):
        within = f"Within ±{report['tolerance']:g}"
        return [*rows,
                ["Values", str(report["num_values"])],
                ["MSE", f"{report['mse']:.6f}"],
                ["MAE", f"{report['mae']:.6f}"],
                [f"{within} (values)", _pct(report["within_tolerance"])],
                [f"{within} (sequences)", _pct(report["sequence_accuracy"])]]
    if _is_classification(report):
        return [*rows,
                ["Accuracy", _pct(report["accuracy"])],
                ["Macro precision", _pct(report["macro"]["precision"])],
                ["Macro recall", _pct(report["macro"]["recall"])],
                ["Macro F1", _pct(report["macro"]["f1"])]]
    if _is_ctc(report):
        return [*rows,
                ["Reference labels", str(report["num_labels"])],
                ["Edits", str(report["num_edits"])],
                ["Label error rate", _pct(report["label_error_rate"])],
                ["Sequence accuracy", _pct(report["sequence_accuracy"])]]
    rows += [["Tokens", str(report["num_tokens"])],
             ["Token accuracy", _pct(report["token_accuracy"])]]
    if "unseen_token_accuracy" in report:
        unseen = report["num_unseen_tokens"]
        rows += [[f"… on words seen in training ({report['num_tokens'] - unseen})",
                  _pct(report["seen_token_accuracy"])],
                 [f"… on words unseen in training ({unseen})",
                  _pct(report["unseen_token_accuracy"])]]
    if report.get("unseen_labels"):
        rows.append(["Gold labels never seen in training (scored as errors)",
                     unseen_labels_text(report["unseen_labels"])])
    rows += [["Sequence accuracy", _pct(report["sequence_accuracy"])],
             ["Macro precision", _pct(report["macro"]["precision"])],
             ["Macro recall", _pct(report["macro"]["recall"])],
             ["Macro F1", _pct(report["macro"]["f1"])]]
    entity = report["entity"]
    if entity is not None:
        rows += [["Entity scheme", entity["scheme"]],
                 ["Entities gold / found / correct",
                  f"{entity['gold']} / {entity['found']} / {entity['correct']}"],
                 ["Entity precision", _pct(entity["precision"])],
                 ["Entity recall", _pct(entity["recall"])],
                 ["Entity F1", _pct(entity["f1"])]]
    return rows


def unseen_labels_text(unseen: dict[str, int]) -> str:
    """`I-LST (3 tokens), B-X (1 token)` for a report's `unseen_labels`."""
    return ", ".join(f"{label} ({count} token{'s' if count != 1 else ''})"
                     for label, count in unseen.items())


def report_sections(report: dict) -> list[Section]:
    """The tables of a report, in order: summary; then, for aligned labels, per label, entity
    scores by type (when there is a chunk scheme) and the confusion matrix (rows gold, columns
    predicted; when there are at most MAX_CONFUSION_LABELS labels)."""
    sections = [Section("Summary", ["Metric", "Value"], _summary_rows(report))]
    if _is_ctc(report) or _is_regression(report):
        return sections
    sections.append(Section(
        "Per label", ["Label", "Precision", "Recall", "F1", "Support"],
        [[label, _pct(s["precision"]), _pct(s["recall"]), _pct(s["f1"]), str(s["support"])]
         for label, s in report["per_label"].items()]))
    entity = report["entity"]
    if entity is not None:
        sections.append(Section(
            f"Entities by type ({entity['scheme']})",
            ["Type", "Precision", "Recall", "F1", "Support", "Found", "Correct"],
            [[type_, _pct(s["precision"]), _pct(s["recall"]), _pct(s["f1"]),
              str(s["support"]), str(s["found"]), str(s["correct"])]
             for type_, s in entity["per_type"].items()]))
    labels = report["confusion"]["labels"]
    if len(labels) <= MAX_CONFUSION_LABELS:
        sections.append(Section(
            "Confusion matrix (rows: gold, columns: predicted)", ["gold \\ predicted", *labels],
            [[label, *map(str, row)]
             for label, row in zip(labels, report["confusion"]["matrix"], strict=True)]))
    return sections


def report_table(report: dict) -> Group:
    """The report as a rich renderable: one table per section of `report_sections`."""
    tables = []
    for section in report_sections(report):
        # Text, not str: a label such as `[-NP` must not be read as rich markup.
        table = Table(title=Text(section.title), title_justify="left")
        table.add_column(Text(section.headers[0]))
        for header in section.headers[1:]:
            table.add_column(Text(header), justify="right")
        for row in section.rows:
            table.add_row(*map(Text, row))
        tables.append(table)
    return Group(*tables)


def markdown_cell(text: str) -> str:
    """Text as one cell of a Markdown pipe table: backslashes and pipes escaped."""
    return text.replace("\\", "\\\\").replace("|", "\\|")


def report_markdown(report: dict, title: str = "Evaluation report") -> str:
    """The report as Markdown: `# title`, then per section a `##` heading and a pipe table
    (first column left-aligned, the numbers right-aligned)."""
    lines = [f"# {title}", ""]
    for section in report_sections(report):
        lines += [f"## {section.title}", "",
                  "| " + " | ".join(map(markdown_cell, section.headers)) + " |",
                  "| --- |" + " ---: |" * (len(section.headers) - 1)]
        lines += ["| " + " | ".join(map(markdown_cell, row)) + " |" for row in section.rows]
        lines.append("")
    return "\n".join(lines)


def summary_line(report: dict) -> str:
    """One line for logs: `token_acc 97.12% | seq_acc 80.10% | entity F1 91.03` (the entity part
    only with a chunk scheme); for CTC, `LER 12.34% | seq_acc 50.00%`; for one class per
    sequence, `acc 95.00% | macro F1 94.10`; for real values, `MSE 0.0012 | MAE 0.0251 | within
    ±0.04 93.00%` (the fraction of sequences whose every value is within the tolerance)."""
    if _is_regression(report):
        return (f"MSE {report['mse']:.4g} | MAE {report['mae']:.4g} | within "
                f"±{report['tolerance']:g} {_pct(report['sequence_accuracy'])}")
    if _is_classification(report):
        return (f"acc {_pct(report['accuracy'])} | macro F1 "
                f"{100 * report['macro']['f1']:.2f}")
    seq_acc = f"seq_acc {_pct(report['sequence_accuracy'])}"
    if _is_ctc(report):
        return f"LER {_pct(report['label_error_rate'])} | {seq_acc}"
    parts = [f"token_acc {_pct(report['token_accuracy'])}", seq_acc]
    if report["entity"] is not None:
        parts.append(f"entity F1 {100 * report['entity']['f1']:.2f}")
    return " | ".join(parts)


def write_report(report: dict, out_dir: str | Path,
                 title: str = "Evaluation report") -> tuple[Path, Path]:
    """Write `report.json` (sorted keys, indent 2) and `report.md` into `out_dir` (created if
    missing), each atomically; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / "report.json", out / "report.md"
    fsutil.atomic_write_text(json_path, json.dumps(report, sort_keys=True, indent=2) + "\n")
    fsutil.atomic_write_text(md_path, report_markdown(report, title))
    return json_path, md_path
