import io
import json
import os

import pytest
from rich.console import Console

from lstm_cli.eval.metrics import evaluate_labels, evaluate_strings
from lstm_cli.eval.report import report_markdown, report_table, summary_line, write_report

LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


@pytest.fixture
def report() -> dict:
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-LOC", "O"], ["B-PER", "O", "O"]]
    pred = [["B-PER", "I-PER", "O", "I-LOC"], ["O", "B-PER", "O"], ["B-PER", "O", "O"]]
    return evaluate_labels(gold, pred, LABELS)


def render(renderable) -> str:
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(renderable)
    return console.file.getvalue()


def test_report_numbers_as_expected(report):
    # 8 of 10 tokens; 1 of 3 sentences; chunks: gold 4, found 4, correct 3
    assert report["token_accuracy"] == 0.8
    assert report["sequence_accuracy"] == pytest.approx(1 / 3)
    assert (report["entity"]["gold"], report["entity"]["found"], report["entity"]["correct"]) \
        == (4, 4, 3)


def test_markdown_contains_the_numbers(report):
    text = report_markdown(report, "Dev set")
    assert text.startswith("# Dev set\n")
    for expected in ("| Token accuracy | 80.00% |", "| Sequence accuracy | 33.33% |",
                     "| Entity F1 | 75.00% |", "| Entities gold / found / correct | 4 / 4 / 3 |",
                     "| B-PER | 66.67% | 100.00% | 80.00% | 2 |",
                     "| PER | 66.67% | 100.00% | 80.00% | 2 | 3 | 2 |",
                     "## Confusion matrix", "| B-LOC | 0 | 1 | 0 | 0 | 1 |"):
        assert expected in text


def test_markdown_escapes_pipes_in_labels():
    report = evaluate_labels([["a|b"]], [["a|b"]], ["a|b"])
    assert "| a\\|b | 100.00% |" in report_markdown(report)


def test_confusion_matrix_is_left_out_above_25_labels():
    labels = [f"L{i}" for i in range(26)]
    report = evaluate_labels([labels], [labels], labels)
    assert "Confusion" not in report_markdown(report)
    assert "Confusion" not in render(report_table(report))
    small = evaluate_labels([labels[:25]], [labels[:25]], labels[:25])
    assert "Confusion" in report_markdown(small)


def test_rich_rendering_shows_the_tables(report):
    text = render(report_table(report))
    for expected in ("Token accuracy", "80.00%", "Entities by type (IOB2)", "Per label",
                     "Confusion matrix", "I-LOC"):
        assert expected in text


def test_rich_rendering_keeps_brackets_in_labels():
    report = evaluate_labels([["[-NP", "]-NP"]], [["[-NP", "O"]], ["O", "[-NP", "]-NP"])
    text = render(report_table(report))
    assert "[-NP" in text and "]-NP" in text


def test_summary_line(report):
    assert summary_line(report) == "token_acc 80.00% | seq_acc 33.33% | entity F1 75.00"
    pos = evaluate_labels([["NN"]], [["VB"]], ["NN", "VB"])
    assert summary_line(pos) == "token_acc 0.00% | seq_acc 0.00%"


def test_ctc_report_renders():
    report = evaluate_strings([["a", "b", "c", "d"]], [["a", "c", "d"]])
    assert summary_line(report) == "LER 25.00% | seq_acc 0.00%"
    assert "| Label error rate | 25.00% |" in report_markdown(report)
    assert "25.00%" in render(report_table(report))


def test_checkpoint_and_data_are_shown_when_given(report):
    report = {**report, "checkpoint": "runs/best.npz", "data": "dev.conll"}
    text = report_markdown(report)
    assert "| Checkpoint | runs/best.npz |" in text and "| Data | dev.conll |" in text


def test_write_report_writes_sorted_json_and_markdown(report, tmp_path):
    out = tmp_path / "eval" / "dev"
    json_path, md_path = write_report(report, out, title="Dev set")
    assert json_path == out / "report.json" and md_path == out / "report.md"
    text = json_path.read_text(encoding="utf-8")
    assert text == json.dumps(report, sort_keys=True, indent=2) + "\n"
    assert json.loads(text) == report
    assert md_path.read_text(encoding="utf-8") == report_markdown(report, "Dev set")
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "report.md"]
    umask = os.umask(0)
    os.umask(umask)
    assert json_path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_write_report_replaces_atomically_and_cleans_up_on_failure(report, tmp_path, monkeypatch):
    write_report(report, tmp_path)
    old = (tmp_path / "report.json").read_text(encoding="utf-8")
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))

    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    changed = {**report, "token_accuracy": 0.1}
    with pytest.raises(OSError, match="disk full"):
        write_report(changed, tmp_path)
    assert synced, "the temporary file is fsynced before the rename"
    assert (tmp_path / "report.json").read_text(encoding="utf-8") == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "report.md"]

    monkeypatch.undo()
    write_report(changed, tmp_path)
    assert json.loads((tmp_path / "report.json").read_text())["token_accuracy"] == 0.1
