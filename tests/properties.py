"""What the property tests share: strategies for hostile file contents, and the one property
every reader of user files has.

The property: a reader either returns, or raises the project's own error (an `LstmError`)
that names the file it read (and, when it gives a line, a line the file has), within a few
seconds. Any other exception, or a hang, is a bug.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import strategies as st

from lstm_cli.errors import LstmError
from tests.support import time_limit

T = TypeVar("T")

SECONDS_PER_CALL = 10

# Text that readers meet in the wild: separators, line ends, BOMs, NULs, unusual whitespace and
# digits, numbers that do not fit, NaN spelt several ways, lone surrogates (JSON can spell them).
AWKWARD_PIECES = [
    "\t", " ", "\n", "\r\n", "\r", "\ufeff", "\x00", "\x0b", "\x1c", "\x85", "\u2028", "\u00a0",
    "#", "# x", "-DOCSTART-", "-", "1-2", "8.1", "_", "²", "٣", "nan", "NaN", "-inf", "1e999",
    "9" * 400, "9" * 5000, "0x1F", "1_000", "true", "null", "[", "]", "{", "}", '"', "\\ud800",
    "é", "𝔘", "O", "B-LOC", "I-PER",
]
AWKWARD_BYTES = [b"\xff", b"\xfe", b"\xc3", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\x00", b"\r",
                 b"\x80", b"\xf4\x90\x80\x80"]


def awkward_text(max_pieces: int = 40) -> st.SearchStrategy[str]:
    """Text assembled from short random strings and the awkward pieces above."""
    piece = st.one_of(st.sampled_from(AWKWARD_PIECES), st.text(max_size=6))
    return st.lists(piece, max_size=max_pieces).map("".join)


@st.composite
def corrupted(draw: st.DrawFn, text: str) -> bytes:
    """`text` as UTF-8 with a few awkward byte strings inserted at random offsets."""
    data = bytearray(text.encode("utf-8", "surrogatepass"))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(data)))
        data[at:at] = draw(st.sampled_from(AWKWARD_BYTES))
    return bytes(data)


def file_bytes(lines: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    """Arbitrary bytes, awkward text, and `lines` (well-formed-looking text) with bytes spliced
    in."""
    return st.one_of(
        st.binary(max_size=200),
        awkward_text().map(lambda text: text.encode("utf-8", "surrogatepass")),
        lines.flatmap(corrupted),
    )


def loads_or_names_the_file(read: Callable[[], T], path: Path) -> T | None:
    """`read()`'s result, or None when it raised an LstmError that names `path` (and a line of
    it, if any line). Anything else fails the test."""
    try:
        with time_limit(SECONDS_PER_CALL):
            return read()
    except LstmError as error:
        assert error.path is not None and Path(error.path) == path, error.render()
        if error.line is not None:
            assert 1 <= error.line <= max(1, path.read_bytes().count(b"\n") + 1), error.render()
        assert "\n" not in error.render(), error.render()
        return None


def nested_values(leaves: st.SearchStrategy[Any], max_leaves: int = 12
                  ) -> st.SearchStrategy[Any]:
    """Leaves, lists and string-keyed mappings of them, nested."""
    return st.recursive(
        leaves,
        lambda children: st.one_of(st.lists(children, max_size=4),
                                   st.dictionaries(st.text(max_size=5), children, max_size=4)),
        max_leaves=max_leaves)
