"""`lstm eval CHECKPOINT_OR_RUN_DIR`: the accuracy report of a trained model on labelled data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from lstm_cli import fsutil
from lstm_cli.cli.common import print_json, stdout_console
from lstm_cli.cli.main import app
from lstm_cli.errors import LstmError
from lstm_cli.eval.report import report_table, unseen_labels_text
from lstm_cli.plots import plot_confusion, require_matplotlib


@app.command("eval")
def eval_cli(
    checkpoint: Path = typer.Argument(..., metavar="CHECKPOINT_OR_RUN_DIR",
                                      help="A checkpoint directory, or a run directory (its "
                                           "best checkpoint)."),
    data: list[Path] = typer.Option(None, "--data", "-d", help="Labelled data in the "
                                    "training format (repeatable; default: the config's test, "
                                    "else dev set)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    out: Path = typer.Option(None, "--out", "-o", help="Also write the report JSON here."),
    plot: Path = typer.Option(None, "--plot", help="Also draw the confusion matrix (of the "
                              "first --data) as a heatmap into this PNG."),
    raw_text_from: Path = typer.Option(None, "--raw-text-from", help="Score from raw text as "
                                       "the CoNLL 2018 shared task does: tokenise the # text "
                                       "of this gold CoNLL-U file, tag it, report token, "
                                       "sentence and word F1 and aligned UPOS F1."),
    tokenizer: str = typer.Option(None, "--tokenizer", help="With --raw-text-from: "
                                  "whitespace, rule or a trained tokeniser's run directory "
                                  "(default: the model's data.tokenizer; a tokeniser scores "
                                  "itself)."),
) -> None:
    """Evaluate a checkpoint: token accuracy, per-label P/R/F1, entity F1, confusion matrix.

    Example: lstm eval runs/quickstart --data data/queries/test.txt --json
    """
    if raw_text_from is not None:
        _raw_text_cli(checkpoint, raw_text_from, tokenizer, as_json, out)
        return
    if plot is not None:
        require_matplotlib()
    from lstm_cli.inference import evaluate
    from lstm_cli.model import load_model

    model = load_model(checkpoint)
    reports = []
    for name, examples in _datasets(model, data):
        report = evaluate(model, examples)
        if report.get("unseen_labels"):
            typer.echo(f"warning: {name} holds gold labels never seen in training, scored as "
                       f"errors: {unseen_labels_text(report['unseen_labels'])}", err=True)
        report["checkpoint"] = str(checkpoint)
        report["data"] = name
        reports.append(report)
    result = reports[0] if len(reports) == 1 else reports
    if plot is not None:
        plot_confusion(reports[0], plot, title=f"{checkpoint} on {reports[0]['data']}")
        typer.echo(f"confusion matrix written to {plot}", err=True)
    if _write_or_print_json(result, out, as_json):
        return
    console = stdout_console()
    for report in reports:
        console.print(report_table(report))


def _write_or_print_json(result: Any, out: Path | None, as_json: bool) -> bool:
    """Write `result` to `out` (atomically) if given; print it as JSON if `as_json`, and say
    whether it was printed (then the caller prints nothing else)."""
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        fsutil.atomic_write_text(out, json.dumps(result, indent=2, sort_keys=True) + "\n")
    if as_json:
        print_json(result)
    return as_json


def _datasets(model, paths: list[Path] | None):
    from lstm_cli.data.prepare import load_splits, read_examples

    config = model.config
    if paths:
        for path in paths:
            yield str(path), read_examples(path, config.data)
        return
    splits = load_splits(config)
    for name in ("test", "dev"):
        examples = getattr(splits, name)
        if examples:
            yield splits.sources[name], examples
            return
    raise LstmError("the checkpoint's config names no test or dev data",
                    hint="pass --data PATH")


def _raw_text_cli(checkpoint: Path, gold: Path, tokenizer: str | None, as_json: bool,
                  out: Path | None) -> None:
    """`--raw-text-from`: a tokeniser run is scored alone, any other model with its tokeniser."""
    from lstm_cli.api import Tagger
    from lstm_cli.eval.raw_text import evaluate_raw_text, word_errors_text
    from lstm_cli.model import load_model
    from lstm_cli.text.trained import TrainedTokenizer, load_tokenizer

    model = load_model(checkpoint)
    if model.config.data.format == "conllu_chars":
        tagger = None
        split = load_tokenizer(tokenizer) if tokenizer else TrainedTokenizer(model,
                                                                             str(checkpoint))
    else:
        tagger = Tagger(model, tokenizer)
        split = tagger.tokenizer
    report = evaluate_raw_text(gold, split, tagger)
    report["checkpoint"] = str(checkpoint)
    if _write_or_print_json(report, out, as_json):
        return
    for name in ("tokens", "sentences", "words", "upos", "xpos"):
        if name in report:
            scores = report[name]
            extra = (f"  aligned accuracy {100 * scores['aligned_accuracy']:.2f}"
                     if "aligned_accuracy" in scores else "")
            typer.echo(f"{name:<10} P {100 * scores['precision']:6.2f}  R "
                       f"{100 * scores['recall']:6.2f}  F1 {100 * scores['f1']:6.2f}{extra}")
    typer.echo(word_errors_text(report["word_errors"]))
