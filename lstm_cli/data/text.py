"""Plain text for prediction: one sequence per line, tokens split on whitespace, no labels."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lstm_cli.data.files import check_file, iter_lines, no_sequences
from lstm_cli.data.types import Example


def iter_text(path: str | Path) -> Iterator[Example]:
    """Yield one unlabelled Example per non-blank line of `path`."""
    path = check_file(path)
    found = False
    for number, line in iter_lines(path):
        tokens = line.split()
        if tokens:
            found = True
            yield Example(tokens=tokens, source=f"{path}:{number}")
    if not found:
        raise no_sequences(path)


def read_text(path: str | Path) -> list[Example]:
    """All lines of `path` as unlabelled Examples."""
    return list(iter_text(path))
