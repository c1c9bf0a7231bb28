"""CoNLL-U (Universal Dependencies): ten tab-separated fields per word line.

Words are FORM; the label is one of UPOS, XPOS or DEPREL. Multiword-token ranges (`3-4`), empty
nodes (`8.1`) and `#` comment lines are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lstm_cli.data.files import check_file, iter_lines, no_sequences
from lstm_cli.data.types import Example
from lstm_cli.errors import ConfigError, DataError

LABEL_FIELDS = {"upos": 3, "xpos": 4, "deprel": 7}
FORM = 1
NUM_FIELDS = 10


def iter_conllu(path: str | Path, *, label_field: str | None = "upos") -> Iterator[Example]:
    """Yield one Example per sentence; `label_field` is "upos", "xpos", "deprel" or None
    (unlabelled)."""
    if label_field is not None and label_field not in LABEL_FIELDS:
        raise ConfigError(f"expected label_field to be one of {', '.join(LABEL_FIELDS)}, "
                          f"found {label_field!r}")
    path = check_file(path)
    label_column = None if label_field is None else LABEL_FIELDS[label_field]
    rows: list[list[str]] = []
    start = None
    found = False
    for number, line in iter_lines(path):
        if not line.strip() and rows:
            found = True
            yield _example(rows, label_column, f"{path}:{start}")
            rows = []
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != NUM_FIELDS:
            raise DataError(f"expected {NUM_FIELDS} tab-separated fields, found {len(fields)}",
                            path=path, line=number)
        if "-" in fields[0] or "." in fields[0]:
            continue
        if not fields[FORM].strip():
            raise DataError("expected a word in the FORM field, found an empty field",
                            path=path, line=number)
        if label_column is not None and not fields[label_column].strip():
            raise DataError(f"expected a label in the {label_field.upper()} field, found an "
                            "empty field", path=path, line=number)
        if not rows:
            start = number
        rows.append(fields)
    if rows:
        found = True
        yield _example(rows, label_column, f"{path}:{start}")
    if not found:
        raise no_sequences(path)


def read_conllu(path: str | Path, **options) -> list[Example]:
    """All sentences of `path`; options as for `iter_conllu`."""
    return list(iter_conllu(path, **options))


def _example(rows: list[list[str]], label_column: int | None, source: str) -> Example:
    return Example(tokens=[row[FORM] for row in rows],
                   labels=None if label_column is None else [row[label_column] for row in rows],
                   source=source)
