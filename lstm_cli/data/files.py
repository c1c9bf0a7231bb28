"""Opening text files for the readers: existence checks, strict UTF-8, CRLF and BOM tolerance."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lstm_cli.errors import DataError


def check_file(path: str | Path) -> Path:
    """Return `path` as a Path; raise DataError when it is missing or is a directory."""
    path = Path(path)
    if not path.exists():
        raise DataError("expected a data file, found nothing at this path", path=path)
    if path.is_dir():
        raise DataError("expected a data file, found a directory", path=path)
    return path


def iter_lines(path: str | Path, *, keep_ends: bool = False) -> Iterator[tuple[int, str]]:
    """Yield `(line_number, text)` for each line (1-based), without its `\\n` or `\\r\\n` ending
    (with it when `keep_ends`, so that character offsets count the whole file).

    Decoding is strict UTF-8 (a leading BOM is dropped); an undecodable byte raises DataError
    naming its byte offset in the file.
    """
    path = check_file(path)
    offset = 0
    with path.open("rb") as file:
        for number, raw in enumerate(file, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise DataError(
                    f"expected UTF-8 text, found byte 0x{raw[error.start]:02x} "
                    f"at byte offset {offset + error.start}", path=path, line=number) from None
            if number == 1:
                text = text.removeprefix("\ufeff")
            offset += len(raw)
            yield number, text if keep_ends else text.rstrip("\r\n")


def no_sequences(path: str | Path) -> DataError:
    """The error for a file that holds no sequence at all."""
    return DataError("expected at least one sequence, found none (the file is empty "
                     "or holds only blank and comment lines)", path=path)
