"""CoNLL column files: one token per line, columns split on whitespace (or a given separator),
a blank line after each sequence.

Every line that is not blank is a token line, with two exceptions:
- a `-DOCSTART-` line that forms a sequence of its own (blank lines, or the file's ends, on both
  sides) is a document marker (CoNLL-2003) and is skipped; a `-DOCSTART-` line next to other
  token lines is a token line like any other;
- with `comment_prefix` (none by default: no CoNLL column format has comments), a line that
  starts with it where a sequence would start is a comment, unless it has the file's column
  count (the count of the first line that does not start with the prefix): `#<TAB>O` stays a
  token.
Every token line must have the file's column count and a non-empty field in each column read;
anything else is a DataError naming the line, so no token is ever dropped or shifted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from lstm_cli.data.files import check_file, iter_lines, no_sequences
from lstm_cli.data.types import Example
from lstm_cli.errors import DataError

DOCUMENT_MARKER = "-DOCSTART-"


def looks_like_token_line(line: str, comment_prefix: str | None = None) -> bool:
    """Whether a line read from a CoNLL file, out of context, is likely a token line: not
    blank, not a `-DOCSTART-` marker and, with `comment_prefix`, not starting with it. For
    sniffing a file's first lines (its column count, whether it holds columns at all); the
    reader itself decides by context (see the module docstring)."""
    fields = line.split()
    return bool(fields) and fields[0] != DOCUMENT_MARKER and not (
        comment_prefix and line.startswith(comment_prefix))


def iter_conll(path: str | Path, *, token_column: int = 0, label_column: int | None = -1,
               features: Mapping[str, int] | None = None, separator: str | None = None,
               comment_prefix: str | None = None) -> Iterator[Example]:
    """Yield one Example per sequence of `path`.

    token_column, label_column: column indices (negative counts from the right); a None
    label_column reads unlabelled data. features: feature name -> column index, read as strings.
    separator: None splits on runs of whitespace; e.g. `"\\t"` allows spaces inside tokens
    (fields are then stripped, and an empty field is an error). comment_prefix: see the module
    docstring.
    """
    path = check_file(path)
    features = dict(features or {})
    wanted = {"token": token_column, **{f"feature {name!r}": column
                                        for name, column in features.items()}}
    if label_column is not None:
        wanted["label"] = label_column
    comment_columns = None if comment_prefix is None else \
        _columns_without_prefix(path, separator, comment_prefix)
    num_columns = first_line = start = None
    rows: list[list[str]] = []
    marker: tuple[int, list[str]] | None = None    # a -DOCSTART- line that began a sequence

    def add_row(number: int, fields: list[str]) -> None:
        nonlocal num_columns, first_line, start
        if num_columns is None:
            num_columns, first_line = len(fields), number
            _check_columns(wanted, num_columns, path, number)
        elif len(fields) != num_columns:
            raise DataError(f"expected {num_columns} columns (as on line {first_line}), "
                            f"found {len(fields)}", path=path, line=number)
        for what, column in wanted.items():
            if not fields[column]:
                raise DataError(f"expected a {what} in column {column}, found an empty or "
                                "whitespace-only field", path=path, line=number)
        if not rows:
            start = number
        rows.append(fields)

    found = False
    for number, line in iter_lines(path):
        if not line.strip():
            if rows:
                found = True
                yield _example(rows, token_column, label_column, features, f"{path}:{start}")
                rows = []
            marker = None
            continue
        fields = _split(line, separator)
        if (comment_prefix is not None and not rows and marker is None
                and line.startswith(comment_prefix) and len(fields) != comment_columns):
            continue
        if separator is None and "\t" in line and any(not f.strip() for f in line.split("\t")):
            raise DataError("expected a token in every tab-separated field, found an empty or "
                            "whitespace-only one", path=path, line=number)
        if not rows and marker is None and fields[0] == DOCUMENT_MARKER:
            marker = (number, fields)
            continue
        if marker is not None:                   # not a sequence of its own: a token line
            add_row(*marker)
            marker = None
        add_row(number, fields)
    if rows:
        found = True
        yield _example(rows, token_column, label_column, features, f"{path}:{start}")
    if not found:
        raise no_sequences(path)


def _split(line: str, separator: str | None) -> list[str]:
    return line.split() if separator is None else [f.strip() for f in line.split(separator)]


def _columns_without_prefix(path: Path, separator: str | None, prefix: str) -> int | None:
    """The column count of the first line that is not blank and does not start with `prefix`
    (None if there is none)."""
    for _, line in iter_lines(path):
        if line.strip() and not line.startswith(prefix):
            return len(_split(line, separator))
    return None


def read_conll(path: str | Path, **options) -> list[Example]:
    """All sequences of `path`; options as for `iter_conll`."""
    return list(iter_conll(path, **options))


def write_conll(path: str | Path, examples: Iterable[Example]) -> None:
    """Write `token<TAB>feature...<TAB>label` lines (features in dict order), a blank line after
    each sequence; unlabelled examples get no label column."""
    with Path(path).open("w", encoding="utf-8", newline="\n") as file:
        for example in examples:
            columns = [example.tokens, *example.features.values()]
            if example.labels is not None:
                columns.append(example.labels)
            file.writelines("\t".join(row) + "\n" for row in zip(*columns, strict=True))
            file.write("\n")


def _check_columns(wanted: Mapping[str, int], num_columns: int, path: Path, line: int) -> None:
    for what, column in wanted.items():
        if not -num_columns <= column < num_columns:
            raise DataError(f"expected a {what} column at index {column}, found only "
                            f"{num_columns} columns", path=path, line=line)
    if "label" in wanted and wanted["token"] % num_columns == wanted["label"] % num_columns:
        raise DataError(f"expected separate token and label columns, found {num_columns} "
                        f"column(s), so both are column {wanted['token'] % num_columns}",
                        path=path, line=line, hint="is the label column missing?")


def _example(rows: list[list[str]], token_column: int, label_column: int | None,
             features: Mapping[str, int], source: str) -> Example:
    return Example(
        tokens=[row[token_column] for row in rows],
        labels=None if label_column is None else [row[label_column] for row in rows],
        features={name: [row[column] for row in rows] for name, column in features.items()},
        source=source)
