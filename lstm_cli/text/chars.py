"""Tokenisation and sentence splitting as character-level sequence labelling (as UDPipe and
Stanza do it), trained with this project's engine from any CoNLL-U file.

Each character of the raw text (`conllu_text.read_conllu_text`) gets one label:

    O  whitespace between tokens
    I  inside a token (not its last character, not the end of one of its words)
    W  the last character of a word inside a multiword token whose words spell it
       (`don't` = `do` + `n't`: `o` is W), so the model learns where such tokens split
    T  the last character of a token
    S  the last character of a sentence's last token

The model reads one paragraph at a time (the text between blank lines), cut at whitespace into
pieces of at most `MAX_CHARS` characters, each character as a token (any whitespace as " ").
A multiword token whose words do not spell it (French `du` = `de le`) is kept as one word: none
of UD English EWT's 2,614 multiword tokens is of that kind.

Data format `conllu_chars` (`iter_char_examples`) gives these examples to `lstm train`;
`trained.TrainedTokenizer` decodes a trained model's labels back into sentences of tokens.

Lexicons learnt from the training text correct what the model alone gets wrong (on UD English
EWT dev: `e- mail`, `Inc .`, `$ $ $`, `cannot` unsplit, `F-16` unsplit): `build_lexicon` counts
how the training text segments every run of whole tokens inside a chunk of non-whitespace,
keyed by its characters or by its shape (`lexicon_key`); `tokenizer_data` keeps both in the
checkpoint; `apply_lexicons` replaces a predicted segmentation that training rarely gives.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from itertools import pairwise
from pathlib import Path

import numpy as np

from lstm_cli.data.types import Example
from lstm_cli.text.conllu_text import GoldDocument, read_conllu_text, skip_space
from lstm_cli.text.tokenize import Sentence, Token

MAX_CHARS = 250
LABELS = ("O", "I", "W", "T", "S")
_O, _I, _W, _T, _S = range(len(LABELS))
_PARAGRAPHS = re.compile(r"\n[ \t\r\f\v]*\n\s*")


def char_labels(document: GoldDocument) -> list[str]:
    """One label (see the module docstring) per character of `document.text`."""
    labels = ["O"] * len(document.text)
    for sentence in document.sentences:
        for token in sentence.tokens:
            for position in range(token.start, token.end):
                if not document.text[position].isspace():
                    labels[position] = "I"
            forms = [word.form for word in token.words]
            surface = document.text[token.start:token.end]
            if len(forms) > 1 and "".join(forms) == surface:
                position = token.start
                for form in forms[:-1]:
                    position += len(form)
                    labels[position - 1] = "W"
            labels[token.end - 1] = "T"
        labels[sentence.end - 1] = "S"
    return labels


def paragraphs(text: str) -> list[tuple[int, int]]:
    """`(start, end)` of the paragraphs of `text`: blank-line separated, outer whitespace left
    out, empty ones dropped."""
    result = []
    start = 0
    for match in [*_PARAGRAPHS.finditer(text), None]:
        end = len(text) if match is None else match.start()
        start = skip_space(text, start, end)
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            result.append((start, end))
        if match is not None:
            start = match.end()
    return result


def _cut(text: str, start: int, stop: int, max_chars: int) -> int:
    """Where a piece from `start` ends: `stop` if it is near enough, else at the last
    whitespace at most `max_chars` on (at `max_chars` when there is none)."""
    if stop - start <= max_chars:
        return stop
    return next((i for i in range(start + max_chars, start, -1) if text[i].isspace()),
                start + max_chars)


def pieces(text: str, max_chars: int = MAX_CHARS) -> list[tuple[int, int, bool]]:
    """`(start, end, ends_paragraph)` of the training pieces: each paragraph cut at whitespace
    into pieces of at most `max_chars` characters (`_cut`), which do not overlap."""
    result = []
    for start, stop in paragraphs(text):
        while start < stop:
            end = _cut(text, start, stop, max_chars)
            result.append((start, end, end == stop))
            start = skip_space(text, end, stop)
    return result


def windows(text: str, max_chars: int = MAX_CHARS) -> list[tuple[int, int, int, int]]:
    """`(start, end, paragraph_start, paragraph_end)` of the windows a trained tokeniser reads:
    a paragraph longer than `max_chars` is read in windows cut as `pieces` cuts, each starting
    about half a window after the previous one, so every character is seen well inside some
    window (see `trained.TrainedTokenizer.split`)."""
    result = []
    for first, stop in paragraphs(text):
        start = first
        while True:
            end = _cut(text, start, stop, max_chars)
            result.append((start, end, first, stop))
            if end == stop:
                break
            half = _cut(text, start, stop, max_chars // 2)
            start = skip_space(text, half if half > start else end, stop)
    return result


def char_inputs(text: str) -> list[str]:
    """The model's tokens for a piece of text: its characters, any whitespace as " "."""
    return [" " if char.isspace() else char for char in text]


def iter_char_examples(path: str | Path, *, max_chars: int = MAX_CHARS) -> Iterator[Example]:
    """The `conllu_chars` reader: one Example per piece of the file's raw text, its characters
    as tokens and their labels."""
    document = read_conllu_text(path)
    labels = char_labels(document)
    for start, end, _ in pieces(document.text, max_chars):
        yield Example(tokens=char_inputs(document.text[start:end]), labels=labels[start:end],
                      source=f"{path}:char {start}")


def decode(text: str, labels: list[str]) -> list[Sentence]:
    """Sentences of tokens from one label per character of `text`. Whitespace always ends a
    token and non-whitespace is always in one (an `O` on it reads as `I`); the end of the text
    ends a sentence."""
    sentences: list[Sentence] = []
    tokens: list[Token] = []
    start: int | None = None
    splits: list[int] = []

    def close(end: int) -> None:
        nonlocal start, splits
        if start is None:
            return
        words = ()
        if splits:
            bounds = [start, *splits, end]
            words = tuple(pairwise(bounds))
        tokens.append(Token(text[start:end], start, end, words))
        start, splits = None, []

    for position, (char, label) in enumerate(zip(text, labels, strict=True)):
        if char.isspace():
            close(position)
            continue
        if start is None:
            start = position
        if label == "W" and position + 1 < len(text) and not text[position + 1].isspace():
            splits.append(position + 1)
        elif label in ("T", "S"):
            close(position + 1)
            if label == "S" and tokens:
                sentences.append(tokens)
                tokens = []
    close(len(text))
    if tokens:
        sentences.append(tokens)
    return sentences


_CHUNKS = re.compile(r"\S+")
Lexicon = Mapping[str, Mapping[str, int]]
# The lexicons a tokeniser keeps (`tokenizer_data`), in the order `apply_lexicons` consults
# them: name -> (by shape, minimum count kept, `min_share` at prediction time). Chosen on UD
# English EWT dev (README).
LEXICONS = {"chunk_lexicon": (False, 1, 0.5), "shape_lexicon": (True, 2, 0.1)}
# The most tokens a lexicon's run holds, so that a long stretch without spaces costs linear time.
MAX_RUN_TOKENS = 8


def segmentation(labels: Sequence[str]) -> str:
    """The token and word boundaries of a stretch of non-whitespace as `decode` reads its
    labels: a string of `I`, `W`, `T`, one per character, where a sentence end (S) ends a
    token (T), `O` reads as `I`, and the last character always ends a token."""
    marks = ["T" if label == "S" else "I" if label == "O" else label for label in labels]
    marks[-1] = "T"
    return "".join(marks)


def lexicon_key(surface: str, by_shape: bool) -> tuple[str, list[int]]:
    """The key under which a lexicon files `surface`, and the ends of its units: its
    characters as they are; or, by shape, its runs of upper-case letters, of lower-case
    letters and of digits, each one unit written `A`, `a` or `9`, any other character a unit
    written as itself (`e-mail` -> `a-a`, `F-16` -> `A-9`)."""
    if not by_shape:
        return surface, list(range(1, len(surface) + 1))
    key: list[str] = []
    ends: list[int] = []
    for position, char in enumerate(surface):
        kind = (("A" if char.isupper() else "a") if char.isalpha()
                else "9" if char.isdigit() else char)
        if key and key[-1] == kind and kind in "Aa9":
            ends[-1] = position + 1
        else:
            key.append(kind)
            ends.append(position + 1)
    return "".join(key), ends


def _unit_marks(marks: str, ends: Sequence[int]) -> str | None:
    """The marks of a segmentation at its units' ends; None when a boundary falls inside a
    unit (a shape lexicon cannot say where)."""
    start = 0
    for end in ends:
        if any(mark != "I" for mark in marks[start:end - 1]):
            return None
        start = end
    return "".join(marks[end - 1] for end in ends)


def _char_marks(unit_marks: str, ends: Sequence[int]) -> str:
    """`_unit_marks` undone: `I` inside each unit, its mark at its end."""
    marks, start = [], 0
    for mark, end in zip(unit_marks, ends, strict=True):
        marks.append("I" * (end - start - 1) + mark)
        start = end
    return "".join(marks)


def build_lexicon(document: GoldDocument, *, by_shape: bool = False,
                  min_count: int = 1) -> dict[str, dict[str, int]]:
    """How the training text segments every run of whole tokens (two or more characters, at
    most `MAX_RUN_TOKENS` tokens) inside a chunk (a maximal stretch of non-whitespace):
    key (`lexicon_key`) -> {segmentation at its units: count}, for the keys seen at least
    `min_count` times."""
    labels = char_labels(document)
    counts: dict[str, Counter[str]] = {}
    for match in _CHUNKS.finditer(document.text):
        marks = segmentation(labels[match.start():match.end()])
        token_ends = [index + 1 for index, mark in enumerate(marks) if mark == "T"]
        for first, start in enumerate([0, *token_ends[:-1]]):
            for end in token_ends[first:first + MAX_RUN_TOKENS]:
                if end - start < 2:
                    continue
                key, ends = lexicon_key(match.group()[start:end], by_shape)
                unit_marks = _unit_marks(marks[start:end], ends)
                if unit_marks is not None:
                    counts.setdefault(key, Counter())[unit_marks] += 1
    return {key: dict(seen) for key, seen in counts.items() if sum(seen.values()) >= min_count}


def tokenizer_data(path: str | Path) -> dict[str, dict]:
    """What a tokeniser keeps beside its weights (`data.dataset.Format.model_data`): the
    `LEXICONS` of its training file."""
    document = read_conllu_text(path)
    return {name: build_lexicon(document, by_shape=by_shape, min_count=min_count)
            for name, (by_shape, min_count, _) in LEXICONS.items()}


def apply_lexicons(text: str, labels: Sequence[str],
                   lexicons: Sequence[tuple[Lexicon, bool, float]],
                   log_probs: np.ndarray | None = None) -> list[str]:
    """`labels` with the segmentations the training text rarely gives replaced by one it
    gives often. `lexicons` holds `(lexicon, by_shape, min_share)`, consulted in turn;
    `log_probs` (one row per character, columns in `LABELS` order) are the model's.

    Inside each chunk of `text` the predicted tokens are read left to right, and the longest
    run of them (at most `MAX_RUN_TOKENS`) whose key (`lexicon_key`) the lexicon holds is
    looked up. When the predicted segmentation of the run has a share of the key's training
    counts below `min_share`, the run takes, among the segmentations with a share of at
    least `min_share` (else the most frequent one), the one the model finds likeliest
    (without `log_probs`: the most frequent; ties: the first seen). A prediction that cuts
    inside a unit of a shape lexicon stands. A run a lexicon has looked up is left alone by
    the lexicons after it. A sentence end predicted inside a replaced run moves to the end of
    the token that then holds it."""
    labels = list(labels)
    for match in _CHUNKS.finditer(text):
        decided = [False] * (match.end() - match.start())
        for lexicon, by_shape, min_share in lexicons:
            ends = [position + 1 for position in range(match.start(), match.end())
                    if labels[position] in ("T", "S")]
            if not ends or ends[-1] != match.end():
                ends.append(match.end())
            starts = [match.start(), *ends[:-1]]
            first = 0
            while first < len(starts):
                found = next(
                    ((last, key, units)
                     for last in range(min(len(ends), first + MAX_RUN_TOKENS), first, -1)
                     for key, units in [lexicon_key(text[starts[first]:ends[last - 1]],
                                                    by_shape)]
                     if key in lexicon and not any(
                         decided[starts[first] - match.start():ends[last - 1] - match.start()])),
                    None)
                if found is None:
                    first += 1
                    continue
                last, key, units = found
                start, end = starts[first], ends[last - 1]
                seen = lexicon[key]
                predicted = _unit_marks(segmentation(labels[start:end]), units)
                least = min_share * sum(seen.values())
                if predicted is not None and seen.get(predicted, 0) < least:
                    candidates = [marks for marks, count in seen.items() if count >= least] \
                        or [max(seen, key=seen.__getitem__)]
                    if log_probs is None:
                        choice = max(candidates, key=seen.__getitem__)
                    else:
                        choice = max(candidates, key=lambda marks: _log_likelihood(
                            log_probs[start:end], _char_marks(marks, units)))
                    _replace(labels, start, _char_marks(choice, units))
                decided[start - match.start():end - match.start()] = [True] * (end - start)
                first = last
    return labels


def _log_likelihood(log_probs: np.ndarray, marks: str) -> float:
    """log P(segmentation `marks`) under the model's per-character `log_probs`: a token end
    is T or S, inside a token I or O (both read as I), W itself."""
    total = 0.0
    for row, mark in zip(log_probs, marks, strict=True):
        if mark == "T":
            total += np.logaddexp(row[_T], row[_S])
        elif mark == "I":
            total += np.logaddexp(row[_I], row[_O])
        else:
            total += row[_W]
    return float(total)


def _replace(labels: list[str], start: int, marks: str) -> None:
    """Write the segmentation `marks` into `labels[start:]`, keeping a sentence end there."""
    position = max((p for p in range(start, start + len(marks)) if labels[p] == "S"),
                   default=None)
    labels[start:start + len(marks)] = marks
    if position is not None:
        labels[start + marks.index("T", position - start)] = "S"
