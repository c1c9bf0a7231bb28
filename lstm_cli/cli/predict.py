"""`lstm predict CHECKPOINT [INPUT|-]`: label new text, streaming in constant memory."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import typer

from lstm_cli.cli.main import app
from lstm_cli.errors import DataError, LstmError

if TYPE_CHECKING:                    # imported where used, so that `predict --help` is fast
    from lstm_cli.data.types import Example
    from lstm_cli.model import TrainedModel

# Sequences held in memory at once. Batches are cut from a chunk sorted by length, so a larger
# chunk gives batches of closer lengths (EWT test set, model alone: 1.07 s at 256, 0.82 at 2048).
CHUNK = 2048
FORMATS_BY_SUFFIX = {".conllu": "conllu", ".jsonl": "jsonl", ".npz": "dense"}


def _stdin_text() -> Iterator[Example]:
    """Plain text on stdin: one sequence per line, whitespace-separated tokens."""
    from lstm_cli.data.types import Example
    for number, line in enumerate(sys.stdin, start=1):
        tokens = line.split()
        if tokens:
            yield Example(tokens=tokens, source=f"<stdin>:{number}")


def _input_examples(model: TrainedModel, source: str, input_format: str,
                    with_gold: bool) -> Iterator[Example]:
    """`auto` picks the format by suffix; any other suffix is plain text, or the model's
    training format with `--with-gold` (plain text has no gold labels) or when the file's
    first token line holds a TAB (column data, as CoNLL files are; blank lines, `-DOCSTART-`
    lines and, with `data.comment_prefix`, comment lines do not count). Without `--with-gold`
    a CoNLL file's label column is not read, so unlabelled files (tokens only) work too."""
    from lstm_cli.data.prepare import iter_examples
    if source == "-":
        if input_format not in ("auto", "text"):
            raise LstmError(f"--input-format {input_format} needs a file, not stdin")
        return _stdin_text()
    path = Path(source)
    fmt = input_format
    if fmt == "auto":
        columns = with_gold or _first_token_line_has_tab(path,
                                                         model.config.data.comment_prefix)
        fmt = FORMATS_BY_SUFFIX.get(path.suffix,
                                    model.config.data.format if columns else "text")
    unlabelled = {"label_column": None} if fmt == "conll" and not with_gold else {}
    return iter_examples(path, model.config.data, format=fmt, **unlabelled)


def _first_token_line_has_tab(path: Path, comment_prefix: str | None) -> bool:
    from lstm_cli.data.conll import DOCUMENT_MARKER
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if not line.strip() or line.split()[0] == DOCUMENT_MARKER or \
                        (comment_prefix and line.startswith(comment_prefix)):
                    continue
                return "\t" in line
    except OSError:
        pass                  # the reader reports a missing or unreadable file properly
    return False


def _chunks(items: Iterable[Example], size: int) -> Iterator[list[Example]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def write_predictions(model: TrainedModel, examples: Iterable[Example], stream: TextIO, *,
                      fmt: str, with_probs: bool, with_gold: bool) -> int:
    """Predict chunk by chunk and write as we go; returns the number of sequences.

    conll: `token [TAB gold] TAB label [TAB probs]` per token and a blank line per sequence for
    per-token outputs (softmax, CRF); one line per sequence, `prediction [TAB gold]`, for the
    others (a CTC label string, a `last_softmax` class, regression values)."""
    from lstm_cli.inference import predict
    count = 0
    per_token = model.config.model.output in ("softmax", "crf")
    for chunk in _chunks(examples, CHUNK):
        predictions = predict(model, chunk, with_probs=with_probs)
        for example, prediction in zip(chunk, predictions, strict=False):
            gold = _gold(model, example) if with_gold else None
            if with_gold and gold is None:
                raise DataError("--with-gold needs gold labels in the input",
                                path=example.source, hint="give labelled data, with "
                                "--input-format if its suffix does not say its format")
            if fmt == "jsonl":
                record = {"tokens": example.tokens, "labels": prediction.labels}
                if with_gold:
                    record["gold"] = gold
                if with_probs:
                    record["probs"] = [[round(float(p), 6) for p in row]
                                       for row in prediction.probs]
                stream.write(json.dumps(record, ensure_ascii=False) + "\n")
            elif not per_token:
                gold_text = "\t" + " ".join(gold) if with_gold else ""
                stream.write(" ".join(prediction.labels) + gold_text + "\n")
            else:
                for position, (token, label) in enumerate(zip(example.tokens,
                                                              prediction.labels, strict=False)):
                    gold_text = f"\t{gold[position]}" if with_gold else ""
                    probs = ""
                    if with_probs:
                        probs = "\t" + " ".join(f"{p:.4f}" for p in prediction.probs[position])
                    stream.write(f"{token}{gold_text}\t{label}{probs}\n")
                stream.write("\n")
            count += 1
        stream.flush()
    return count


def _gold(model: TrainedModel, example: Example) -> list[str] | None:
    """The example's gold output as text, in the form the model predicts, or None."""
    import numpy as np
    config = model.config.model
    if config.output == "ctc":
        return example.target
    if config.output == "last_softmax":
        return None if example.label is None else [example.label]
    if config.output == "regression":
        value = example.step_values if config.regression.per_step else example.value
        return None if value is None else [f"{v:.6g}" for v in np.ravel(value)]
    return example.labels


@app.command("predict")
def predict_cli(
    checkpoint: Path = typer.Argument(..., metavar="CHECKPOINT_OR_RUN_DIR"),
    source: str = typer.Argument("-", metavar="INPUT", help="Input file, or - for stdin "
                                 "(plain text: one sequence per line)."),
    out: Path = typer.Option(None, "--out", "-o", help="Write here instead of stdout."),
    fmt: str = typer.Option("conll", "--format", "-f", help="Output: conll (token<TAB>label, "
                            "blank line between sequences) or jsonl."),
    input_format: str = typer.Option("auto", "--input-format", help="text, conll, conllu, "
                                     "jsonl or dense (auto: by file suffix, else text)."),
    with_probs: bool = typer.Option(False, "--probs", help="Add per-label probabilities."),
    with_gold: bool = typer.Option(False, "--with-gold", help="Keep the gold labels (a column "
                                   "before the prediction, as conlleval reads it)."),
) -> None:
    """Label new sequences with a trained model.

    Example: echo "latest business news from reuters" | lstm predict runs/quickstart -
    """
    if fmt not in ("conll", "jsonl"):
        raise LstmError(f"--format must be conll or jsonl, not {fmt!r}")
    if input_format not in ("auto", "text", "conll", "conllu", "jsonl", "dense"):
        raise LstmError(f"--input-format must be auto, text, conll, conllu, jsonl or dense, "
                        f"not {input_format!r}")
    from lstm_cli.model import load_model
    model = load_model(checkpoint)
    examples = _input_examples(model, source, input_format, with_gold)
    if out is None:
        write_predictions(model, examples, sys.stdout, fmt=fmt, with_probs=with_probs,
                          with_gold=with_gold)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as stream:
        write_predictions(model, examples, stream, fmt=fmt, with_probs=with_probs,
                          with_gold=with_gold)
