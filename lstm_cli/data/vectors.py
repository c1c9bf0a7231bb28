"""Pretrained word vectors in text form, and the embedding matrix they initialise.

Read: word2vec text and fastText `.vec` (a `count dim` header line) and GloVe (no header): one
word per line followed by its values, split on whitespace, so trailing tabs or spaces are fine.
The first occurrence of a repeated word wins. Binary word2vec files are not supported.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lstm_cli.data.files import iter_lines
from lstm_cli.data.vocab import Vocab
from lstm_cli.errors import DataError


@dataclass
class Vectors:
    """`matrix[i]` (float64, [len(words), dim]) is the vector of `words[i]`."""

    words: list[str]
    matrix: np.ndarray

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1])


@dataclass
class Coverage:
    """How much of a vocabulary the vectors cover, for the training log.

    types: vocabulary words other than <pad> and <unk>; types_covered: of those, the ones given
    a vector (types_lowercased only through the lowercase fallback); tokens / tokens_covered: the
    same over training token counts (`Vocab.counts`; 0 for a vocabulary loaded from a checkpoint).
    """

    types: int
    types_covered: int
    types_lowercased: int
    tokens: int
    tokens_covered: int

    def describe(self) -> str:
        """One line, e.g. `vectors cover 930/1436 types (64.8%) (2 via lowercase), 9476/11100
        tokens (85.4%)`."""
        return (f"vectors cover {_share(self.types_covered, self.types)} types "
                f"({self.types_lowercased} via lowercase), "
                f"{_share(self.tokens_covered, self.tokens)} tokens")


def read_vectors(path: str | Path, *, dim: int | None = None,
                 keep: Container[str] | None = None) -> Vectors:
    """The vectors of `path`; `dim`, if given, is the required dimension; `keep`, if given,
    limits the result to those words (to save memory on large files; every line is still
    checked)."""
    words: list[str] = []
    rows: list[np.ndarray] = []
    seen: set[str] = set()
    header: tuple[int, int] | None = None
    first_row = None
    count = 0
    for number, line in iter_lines(path):
        fields = line.split()
        if not fields:
            continue
        if first_row is None and header is None and _is_header(fields):
            header = (number, int(fields[0]))
            _check_dim(int(fields[1]), dim, path, number, "the header says")
            dim = int(fields[1])
            continue
        if first_row is None:
            _check_dim(len(fields) - 1, dim, path, number, "found")
            dim, first_row = len(fields) - 1, number
        elif len(fields) - 1 != dim:
            raise DataError(f"expected {dim} values after the word (as on line {first_row}), "
                            f"found {len(fields) - 1}", path=path, line=number)
        count += 1
        word = fields[0]
        if word in seen or (keep is not None and word not in keep):
            continue
        seen.add(word)
        words.append(word)
        rows.append(_values(fields[1:], path, number))
    if first_row is None:
        raise DataError("expected at least one word vector, found none", path=path)
    if header is not None and header[1] != count:
        raise DataError(f"expected {header[1]} vectors (as the header on line {header[0]} says), "
                        f"found {count}", path=path)
    matrix = np.stack(rows) if rows else np.zeros((0, dim))
    return Vectors(words=words, matrix=matrix)


def build_embedding_matrix(vocab: Vocab, vectors: Vectors, rng: np.random.Generator, *,
                           scale: float = 0.1) -> tuple[np.ndarray, Coverage]:
    """An embedding matrix [len(vocab), vectors.dim] float64 for `vocab`.

    Row 0 (<pad>) is zero. A word takes the vector of the same word, else (lowercase fallback)
    of the first vector word equal to it once both are lower-cased and normalised as the vocab
    normalises; any other row, <unk> included, is drawn from U(-scale, scale) with `rng`.
    """
    matrix = rng.uniform(-scale, scale, size=(len(vocab), vectors.dim))
    matrix[vocab.pad_id] = 0.0
    exact = {word: row for row, word in enumerate(vectors.words)}
    folded: dict[str, int] = {}
    for row, word in enumerate(vectors.words):
        folded.setdefault(vocab.normalize(word).lower(), row)
    covered = lowercased = tokens_covered = 0
    for word in vocab.words[2:]:
        row = exact.get(word)
        if row is None:
            row = folded.get(word.lower())
            lowercased += row is not None
        if row is not None:
            matrix[vocab.ids[word]] = vectors.matrix[row]
            covered += 1
            tokens_covered += vocab.counts.get(word, 0)
    return matrix, Coverage(types=len(vocab) - 2, types_covered=covered,
                            types_lowercased=lowercased, tokens=sum(vocab.counts.values()),
                            tokens_covered=tokens_covered)


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.1f}%)" if whole else f"{part}/{whole}"


def vector_dim(path: str | Path) -> int:
    """The width of the vectors in `path`, as `read_vectors` reads it (the header's second
    number, else the fields of the first line less the word) without reading the rest."""
    for _, line in iter_lines(path):
        fields = line.split()
        if fields:
            return int(fields[1]) if _is_header(fields) else len(fields) - 1
    raise DataError("expected word vectors, found an empty file", path=path)


def _is_header(fields: list[str]) -> bool:
    return len(fields) == 2 and all(field.isascii() and field.isdigit() for field in fields)


def _check_dim(found: int, dim: int | None, path: str | Path, line: int, how: str) -> None:
    if dim is not None and found != dim:
        raise DataError(f"expected {dim}-dimensional vectors, {how} {found}", path=path,
                        line=line)


def _values(fields: list[str], path: str | Path, line: int) -> np.ndarray:
    """`fields` as float64, with a DataError naming the first non-numeric or non-finite one."""
    try:
        values = np.array(fields, dtype=np.float64)
    except ValueError:
        column, text = next((j, f) for j, f in enumerate(fields, start=2) if not _is_float(f))
        raise DataError(f"expected a number in column {column}, found {text!r}", path=path,
                        line=line) from None
    if not np.isfinite(values).all():
        column = int(np.argmax(~np.isfinite(values))) + 2
        raise DataError(f"expected finite numbers, found {fields[column - 2]!r} in column "
                        f"{column}", path=path, line=line)
    return values


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
