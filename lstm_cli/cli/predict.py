"""`lstm predict CHECKPOINT [INPUT|-]`: label new text, streaming in constant memory; a thin
layer over the Python API (`lstm_cli.api.Tagger`)."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import typer

from lstm_cli.cli.main import app
from lstm_cli.errors import DataError, LstmError

if TYPE_CHECKING:                    # imported where used, so that `predict --help` is fast
    from lstm_cli.api import TaggedSentence, Tagger
    from lstm_cli.data.types import Example
    from lstm_cli.model import TrainedModel


def _text_lines(source: str) -> Iterable[str]:
    """Plain text, line by line with the line ends kept (`\\r\\n` is two characters), so
    offsets count the characters of the input: stdin, or a UTF-8 file read strictly (a bad
    byte is a DataError naming its line and byte offset; a leading BOM is skipped)."""
    from lstm_cli.data.files import iter_lines

    if source != "-":
        return (line for _, line in iter_lines(source, keep_ends=True))
    raw = getattr(sys.stdin, "buffer", None)
    return sys.stdin if raw is None else io.TextIOWrapper(raw, encoding="utf-8", newline="")


def _is_text(model: TrainedModel, source: str, input_format: str, with_gold: bool) -> bool:
    """`auto` picks the format by suffix; any other suffix is plain text, unless `--with-gold`
    asks for labels (plain text has none) or the file holds columns (`_looks_like_columns`):
    then it is read in the model's training format."""
    if source == "-":
        if input_format not in ("auto", "text"):
            raise LstmError(f"--input-format {input_format} needs a file, not stdin")
        return True
    if input_format != "auto":
        return input_format == "text"
    from lstm_cli.data.dataset import format_of_suffix

    path = Path(source)
    return format_of_suffix(path.suffix) is None and not (
        with_gold or _looks_like_columns(model, path))


def _input_examples(model: TrainedModel, source: str, input_format: str,
                    with_gold: bool) -> Iterator[Example]:
    """A labelled or column file in the format `--input-format` (or its suffix) names.
    Without `--with-gold` a CoNLL file's label column is not read, so unlabelled files
    (tokens only) work too."""
    from lstm_cli.data.dataset import format_of_suffix
    from lstm_cli.data.prepare import iter_examples

    path = Path(source)
    fmt = input_format
    if fmt == "auto":
        fmt = format_of_suffix(path.suffix) or model.config.data.format
    unlabelled = {"label_column": None} if fmt == "conll" and not with_gold else {}
    return iter_examples(path, model.config.data, format=fmt, **unlabelled)


COLUMN_EVIDENCE_LINES = 5
"""How many token lines `_looks_like_columns` reads when they hold no TAB."""


def _looks_like_columns(model: TrainedModel, path: Path) -> bool:
    """Whether a file with no format suffix holds columns rather than plain text: its first
    token line holds a TAB (as most CoNLL files do), or — for a model trained on `conll` files,
    which may separate columns by spaces, as CoNLL-2000 and CoNLL-2003 do — its first
    `COLUMN_EVIDENCE_LINES` token lines (at least two) have the same number of fields and a
    column the model reads after the token (a feature column, or the label column) holds a
    value the model knows there on every one of them: `Confidence NN B-NP` is columns,
    `Angela Merkel` is text. Blank lines, `-DOCSTART-` lines and, with `data.comment_prefix`,
    comment lines do not count."""
    from lstm_cli.data.conll import looks_like_token_line

    data = model.config.data
    rows: list[list[str]] = []
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if not looks_like_token_line(line, data.comment_prefix):
                    continue
                if not rows and "\t" in line:
                    return True
                rows.append(line.split())
                if data.format != "conll" or len(rows) == COLUMN_EVIDENCE_LINES:
                    break
    except OSError:
        pass                  # the reader reports a missing or unreadable file properly
    widths = {len(fields) for fields in rows}
    if data.format != "conll" or len(rows) < 2 or len(widths) != 1 or min(widths) < 2:
        return False
    width = widths.pop()
    known: dict[int, set[str]] = {data.label_column % width: set(model.labels)}
    for name, column in data.feature_columns.items():   # an unlabelled file's last column
        if name in model.vocabs.features:                # may be a feature's
            known.setdefault(column, set()).update(model.vocabs.features[name].ids)
    return any(0 < column < width and all(fields[column] in values for fields in rows)
               for column, values in known.items())


def write_predictions(model: TrainedModel, results: Iterable[tuple[Example | None,
                                                                    TaggedSentence]],
                      stream: TextIO, *, fmt: str, with_probs: bool, with_gold: bool) -> int:
    """Write `(input example, result)` pairs as they come; returns the number of sequences.

    conll: `token [TAB gold] TAB label [TAB probs]` per token and a blank line per sequence for
    per-token outputs (softmax, CRF); one line per sequence, `prediction [TAB gold]`, for the
    others (a CTC label string, a `last_softmax` class, regression values). jsonl: the
    result's record (`TaggedSentence.to_dict`: tokens, labels, offsets, spans, probs), with
    `gold` after the labels."""
    from lstm_cli.api import CHUNK

    count = 0
    per_token = model.tagger.output.targets.token_labels
    for example, tagged in results:
        gold = _gold(model, example) if with_gold else None
        if with_gold and gold is None:
            raise DataError("--with-gold needs gold labels in the input",
                            path=example.source if example else None, hint="give labelled "
                            "data, with --input-format if its suffix does not say its format")
        if fmt == "jsonl":
            record = tagged.to_dict()
            if with_gold:
                record = {"tokens": record.pop("tokens"), "labels": record.pop("labels"),
                          "gold": gold, **record}
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        elif not per_token:
            gold_text = "\t" + " ".join(gold) if with_gold else ""
            stream.write(" ".join(tagged.labels) + gold_text + "\n")
        else:
            for position, (token, label) in enumerate(zip(tagged.tokens, tagged.labels,
                                                          strict=False)):
                gold_text = f"\t{gold[position]}" if with_gold else ""
                probs = ""
                if with_probs:
                    probs = "\t" + " ".join(f"{p:.4f}" for p in tagged.probs[position])
                stream.write(f"{token}{gold_text}\t{label}{probs}\n")
            stream.write("\n")
        count += 1
        if count % CHUNK == 0:
            stream.flush()
    stream.flush()
    return count


def _gold(model: TrainedModel, example: Example | None) -> list[str] | None:
    """The example's gold output as text, in the form the model predicts, or None."""
    import numpy as np

    if example is None:
        return None
    targets = model.tagger.output.targets
    gold = getattr(example, targets.example_field)
    if gold is None:
        return None
    if targets.real:
        return [f"{v:.6g}" for v in np.ravel(gold)]
    return [gold] if targets.per_sequence else gold


@app.command("predict")
def predict_cli(
    checkpoint: Path = typer.Argument(..., metavar="CHECKPOINT_OR_RUN_DIR"),
    source: str = typer.Argument("-", metavar="INPUT", help="Input file, or - for stdin "
                                 "(plain text, split by --tokenizer)."),
    out: Path = typer.Option(None, "--out", "-o", help="Write here instead of stdout."),
    fmt: str = typer.Option("conll", "--format", "-f", help="Output: conll (token<TAB>label, "
                            "blank line between sequences) or jsonl."),
    input_format: str = typer.Option("auto", "--input-format", help="text, conll, conllu, "
                                     "jsonl or dense (auto: by file suffix, else text)."),
    with_probs: bool = typer.Option(False, "--probs", help="Add per-label probabilities."),
    with_gold: bool = typer.Option(False, "--with-gold", help="Keep the gold labels (a column "
                                   "before the prediction, as conlleval reads it)."),
    tokenizer: str = typer.Option(None, "--tokenizer", help="How plain text is split: "
                                  "whitespace (a line is a sentence), rule (syntok), or a "
                                  "trained tokeniser's run directory (default: the model's "
                                  "data.tokenizer)."),
) -> None:
    """Label new sequences with a trained model.

    Example: echo "latest business news from reuters" | lstm predict runs/quickstart -
    """
    if fmt not in ("conll", "jsonl"):
        raise LstmError(f"--format must be conll or jsonl, not {fmt!r}")
    if input_format not in ("auto", "text", "conll", "conllu", "jsonl", "dense"):
        raise LstmError(f"--input-format must be auto, text, conll, conllu, jsonl or dense, "
                        f"not {input_format!r}")
    from lstm_cli.api import load

    tagger = load(checkpoint, tokenizer=tokenizer)
    model = tagger.model
    if _is_text(model, source, input_format, with_gold):
        results = _text_results(tagger, source, with_probs)
    else:
        results = tagger.iter_examples(_input_examples(model, source, input_format, with_gold),
                                       with_probs=with_probs)
    if out is None:
        write_predictions(model, results, sys.stdout, fmt=fmt, with_probs=with_probs,
                          with_gold=with_gold)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as stream:
        write_predictions(model, results, stream, fmt=fmt, with_probs=with_probs,
                          with_gold=with_gold)


def _text_results(tagger: Tagger, source: str,
                  with_probs: bool) -> Iterator[tuple[None, TaggedSentence]]:
    """Plain text split by the tagger's tokeniser; a file without a sentence is an error."""
    from lstm_cli.data.files import no_sequences

    found = False
    try:
        for tagged in tagger.tag_stream(_text_lines(source), with_probs=with_probs):
            found = True
            yield None, tagged
    except UnicodeDecodeError as error:                 # stdin
        raise DataError(f"expected UTF-8 text on stdin ({error.reason})") from None
    if not found and source != "-":
        raise no_sequences(Path(source))
