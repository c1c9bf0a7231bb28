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

SECONDS_PER_CALL = 60
"""Long enough for any example on a loaded machine (each takes milliseconds to a second), short
enough that a hang fails the test instead of stalling the suite."""

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


# --- YAML documents ----------------------------------------------------------------------------

YAML_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
    st.text(max_size=6), st.sampled_from(AWKWARD_PIECES),
    st.sampled_from(["lstm", "adam", "conll", "softmax", "0.01", "1e-3", "yes", "~"]))

# Text that no dump of plain data produces: tags a constructor cannot satisfy, dates that do not
# exist, integers too long for int(), duplicate keys, merge keys, self-referring aliases,
# anchors, flow and block styles mixed, tabs, odd indentation.
YAML_SNIPPETS = [
    "!!float abc", "!!int abc", "!!bool maybe", "!!timestamp abc", "!!binary zz", "!!set {a, b}",
    "!!omap [a: 1]", "!!python/object:os.system {}", "2001-02-30", "2001-12-14t21:59:43.10-05:00",
    "9" * 5000, "0x" + "f" * 5000, "1:30:00", ".nan", "-.inf", "&a [*a]", "&b {x: *b}",
    "[1, 2", "{a: 1, a: 2}", "'unterminated", "|\n  block\n", "*undefined", "? [a]\n: 1",
    "<<: {a: 1}", "\t1", "- 1\n- 2", "a: b: c",
]


def yaml_nesting_bomb(depth: int) -> str:
    return "seed: " + "[" * depth + "]" * depth + "\n"


def yaml_alias_bomb(depth: int, fan_out: int, under: str) -> str:
    """`depth` levels of anchors, each a list of `fan_out` aliases of the one before, the last
    given as the value of the dotted key `under` (fan_out ** depth values once expanded)."""
    lines = ["x0: &x0 [lol, lol]"]
    for level in range(1, depth + 1):
        lines.append(f"x{level}: &x{level} [{', '.join([f'*x{level - 1}'] * fan_out)}]")
    parts = under.split(".")
    nested = "".join(f"{'  ' * i}{part}:\n" for i, part in enumerate(parts[:-1]))
    nested += f"{'  ' * (len(parts) - 1)}{parts[-1]}: *x{depth}\n"
    return "anchors:\n" + "".join(f"  {line}\n" for line in lines) + nested


def nest(dotted: dict[str, Any]) -> dict[str, Any]:
    """{"a.b": 1, "a.c": 2} -> {"a": {"b": 1, "c": 2}} (a later key replaces an earlier value
    that is in its way)."""
    root: dict[str, Any] = {}
    for key, value in dotted.items():
        *parents, last = key.split(".")
        node = root
        for part in parents:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[last] = value
    return root


@st.composite
def yaml_documents(draw: st.DrawFn, keys: list[str]) -> str:
    """A YAML document over the dotted `keys` (and misspellings of them) with right-looking
    and wrong values, or a hostile document: a snippet spliced in, a list or scalar document,
    an alias bomb, a nesting bomb."""
    import yaml

    key = st.one_of(st.sampled_from(keys), st.sampled_from(keys).map(lambda k: k[:-1]),
                    st.text(max_size=4))
    dotted = draw(st.dictionaries(key, nested_values(YAML_SCALARS, max_leaves=4), max_size=8))
    text = yaml.safe_dump(nest(dotted), sort_keys=False, allow_unicode=draw(st.booleans()))
    kind = draw(st.sampled_from(["plain", "plain", "snippet", "document", "alias", "nesting"]))
    if kind == "snippet":
        lines = text.splitlines(keepends=True)
        at = draw(st.integers(0, len(lines)))
        where = draw(st.sampled_from(keys)).rpartition(".")[2]
        lines.insert(at, f"{where}: {draw(st.sampled_from(YAML_SNIPPETS))}\n")
        text = "".join(lines)
    elif kind == "document":
        text = draw(st.sampled_from(["- a\n- b\n", "42\n", "just text\n", "", "---\n...\n",
                                     "a: 1\n---\nb: 2\n", "\ufeffseed: 1\r\n", "~\n"]))
    elif kind == "alias":
        text += yaml_alias_bomb(draw(st.integers(1, 40)), draw(st.integers(2, 9)),
                                draw(st.sampled_from(keys)))
    elif kind == "nesting":
        text += yaml_nesting_bomb(draw(st.integers(10, 5000)))
    return text
