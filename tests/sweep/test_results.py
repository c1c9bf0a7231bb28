"""`lstm report`: one row per run (json, csv, markdown, table), the config keys that differ,
mean ± std over the seeds of a point, sorting and column choice."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml

from lstm_cli.eval.report import markdown_cell
from lstm_cli.sweep.results import group_rows, render

from .helpers import GRID_NAMES


def test_json_rows_hold_the_overrides_and_the_scores(grid_sweep, cli):
    result = cli("report", grid_sweep["output"], "--format", "json")
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    assert [Path(row["run"]).name for row in rows] == GRID_NAMES   # sorted by size, then lr
    for row in rows:
        assert set(row) >= {"model.hidden_size", "train.optimizer.lr", "status", "best_epoch",
                            "dev.token_accuracy", "test.token_accuracy",
                            "test.sequence_accuracy", "wall_s", "tokens_per_s"}
        assert "train.epochs" not in row                          # the same in every run
        report = json.loads((Path(row["run"]) / "report.json").read_text())
        assert row["test.token_accuracy"] == report["token_accuracy"]
        assert row["best_epoch"] == report["best_epoch"]
        assert row["status"] == "done" and row["tokens_per_s"] > 0
    assert [(r["model.hidden_size"], r["train.optimizer.lr"]) for r in rows] == [
        (4, 0.003), (4, 0.01), (6, 0.003), (6, 0.01)]


def test_csv_and_markdown_carry_the_same_rows(grid_sweep, cli):
    columns = "hidden_size,lr,test.token_accuracy"
    table = list(csv.DictReader(io.StringIO(cli("report", grid_sweep["output"], "-f", "csv",
                                                "--columns", columns).out)))
    assert list(table[0]) == ["model.hidden_size", "train.optimizer.lr", "test.token_accuracy"]
    assert [row["model.hidden_size"] for row in table] == ["4", "4", "6", "6"]
    markdown = cli("report", grid_sweep["output"], "-f", "markdown", "--columns", columns).out
    lines = markdown.splitlines()
    assert lines[0] == "| hidden_size | lr | test.token_accuracy |"
    assert lines[1] == "|---|---|---|" and len(lines) == 6
    for line, row in zip(lines[2:], table, strict=True):
        assert f"{float(row['test.token_accuracy']):.4f}" in line


def test_sort_puts_the_best_score_first_and_a_table_is_the_default(grid_sweep, cli):
    rows = json.loads(cli("report", grid_sweep["output"], "-f", "json", "--sort",
                          "dev.token_accuracy").out)
    scores = [row["dev.token_accuracy"] for row in rows]
    assert scores == sorted(scores, reverse=True)
    table = cli("report", grid_sweep["output"])
    assert table.code == 0 and "hidden_size" in table.out and "hidden_size=6,lr=0.01" in table.out
    assert cli("report", grid_sweep["output"], "--sort", "nope").code == 2
    missing = cli("report", grid_sweep["dir"] / "nothing-here")
    assert missing.code == 2 and "not found" in missing.err


def _fake_run(directory: Path, hidden_size: int, seed: int, accuracy: float) -> None:
    directory.mkdir(parents=True)
    config = {"seed": seed, "model": {"hidden_size": hidden_size},
              "train": {"early_stopping": {"metric": "token_accuracy"}}}
    (directory / "config.yaml").write_text(yaml.safe_dump(config))
    records = [{"epoch": epoch, "train_loss": 1.0 / epoch, "lr": 0.01, "seconds": 2.0,
                "train_tokens_per_s": 100.0, "dev": {"token_accuracy": accuracy * epoch / 2}}
               for epoch in (1, 2)]
    (directory / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (directory / "report.json").write_text(json.dumps(
        {"token_accuracy": accuracy, "sequence_accuracy": accuracy / 2, "entity": None,
         "best_epoch": 2, "split": "test"}))


def test_the_seeds_of_a_point_are_averaged(tmp_path, cli):
    for size, seed, accuracy in [(4, 0, 0.5), (4, 1, 0.7), (8, 0, 0.9)]:
        _fake_run(tmp_path / f"hidden_size={size},seed={seed}", size, seed, accuracy)
    rows = json.loads(cli("report", tmp_path, "-f", "json").out)
    assert len(rows) == 2
    averaged, single = rows
    assert averaged["n"] == 2 and averaged["seed"] == [0, 1] and len(averaged["run"]) == 2
    assert averaged["test.token_accuracy"] == pytest.approx(0.6)
    assert averaged["test.token_accuracy.std"] == pytest.approx(0.1414213, abs=1e-6)
    assert averaged["wall_s"] == pytest.approx(4.0) and averaged["tokens_per_s"] == 100.0
    assert single["n"] == 1 and single["seed"] == 0 and "test.token_accuracy.std" not in single
    per_run = json.loads(cli("report", tmp_path, "-f", "json", "--per-run").out)
    assert len(per_run) == 3
    table = cli("report", tmp_path).out
    assert "0.6000 ± 0.1414" in table and "2 runs" in table


def test_rows_of_different_points_are_not_merged():
    rows = [{"run": "a", "x": 1, "seed": 0, "score": 1.0},
            {"run": "b", "x": 2, "seed": 0, "score": 2.0}]
    assert group_rows(rows, ["x", "seed"]) == rows


def test_markdown_cells_are_escaped_as_in_evaluation_reports():
    value = "a|b\\c"
    text = render([{"run": "r", "note": value}], ["run", "note"], "markdown", ["note"])
    assert text.splitlines()[-1] == f"| r | {markdown_cell(value)} |" == "| r | a\\|b\\\\c |"


def test_a_run_without_its_report_names_the_epoch_its_own_selection_kept():
    from lstm_cli.sweep.results import _best_epoch

    metrics = [{"epoch": 1, "train_loss": 0.9, "dev": {"token_accuracy": 0.8, "loss": 0.5}},
               {"epoch": 2, "train_loss": 0.5, "dev": {"token_accuracy": 0.9, "loss": 0.4}},
               {"epoch": 3, "train_loss": 0.4, "dev": {"token_accuracy": 0.9, "loss": 0.3}},
               {"epoch": 4, "train_loss": 0.3, "dev": {"token_accuracy": 0.9, "loss": 0.35}}]
    assert _best_epoch(metrics, "token_accuracy", None) == 2      # the first of equal epochs
    assert _best_epoch(metrics, "token_accuracy", "loss") == 3    # ties go to the lower dev loss
    no_dev = [{"epoch": e, "train_loss": loss} for e, loss in ((1, 0.5), (2, 0.3), (3, 0.3))]
    assert _best_epoch(no_dev, "token_accuracy", "loss") == 2
