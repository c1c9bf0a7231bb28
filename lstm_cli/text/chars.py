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
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from itertools import pairwise
from pathlib import Path

from lstm_cli.data.types import Example
from lstm_cli.text.conllu_text import GoldDocument, read_conllu_text, skip_space
from lstm_cli.text.tokenize import Sentence, Token

MAX_CHARS = 250
LABELS = ("O", "I", "W", "T", "S")
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
# `apply_lexicon`'s `min_share` at prediction time, chosen on UD English EWT dev (README).
LEXICON_SHARE = 0.5
Lexicon = Mapping[str, Mapping[str, int]]


def segmentation(labels: list[str]) -> str:
    """The token and word boundaries of one whitespace-delimited chunk's labels as a string of
    `I`, `W`, `T`, one per character, as `decode` reads them: a sentence end (S) ends a
    token (T), `O` reads as `I`, and the chunk's last character always ends a token."""
    marks = ["T" if label == "S" else "I" if label == "O" else label for label in labels]
    marks[-1] = "T"
    return "".join(marks)


def chunk_lexicon(document: GoldDocument, min_count: int = 1) -> dict[str, dict[str, int]]:
    """How the training text segments each chunk (a maximal run of non-whitespace) of two
    or more characters seen at least `min_count` times: chunk -> {segmentation: count}."""
    labels = char_labels(document)
    counts: dict[str, Counter[str]] = {}
    for match in _CHUNKS.finditer(document.text):
        if match.end() - match.start() > 1:
            counts.setdefault(match.group(), Counter())[
                segmentation(labels[match.start():match.end()])] += 1
    return {chunk: dict(seen) for chunk, seen in counts.items()
            if sum(seen.values()) >= min_count}


def tokenizer_data(path: str | Path) -> dict[str, dict]:
    """What a tokeniser keeps beside its weights (`data.dataset.Format.model_data`): the
    `chunk_lexicon` of its training file."""
    return {"chunk_lexicon": chunk_lexicon(read_conllu_text(path))}


def apply_lexicon(text: str, labels: list[str], lexicon: Lexicon,
                  min_share: float) -> list[str]:
    """`labels` with the segmentations the training text never (or rarely) gives replaced by
    the one it gives most.

    Inside each chunk of `text` the predicted tokens are read left to right; the longest run
    of them whose characters form a chunk of the lexicon is looked up, and when the predicted
    segmentation of the run has a share of that chunk's training counts below `min_share`,
    the run takes the most frequent one (ties: the first seen). A sentence end predicted
    inside a replaced run moves to the end of the token that then holds it."""
    labels = list(labels)
    for match in _CHUNKS.finditer(text):
        ends = [position + 1 for position in range(match.start(), match.end())
                if labels[position] in ("T", "S")]
        if not ends or ends[-1] != match.end():
            ends.append(match.end())
        starts = [match.start(), *ends[:-1]]
        first = 0
        while first < len(starts):
            last = next((last for last in range(len(ends), first, -1)
                         if text[starts[first]:ends[last - 1]] in lexicon), None)
            if last is None:
                first += 1
                continue
            start, end = starts[first], ends[last - 1]
            seen = lexicon[text[start:end]]
            predicted = segmentation(labels[start:end])
            if seen.get(predicted, 0) < min_share * sum(seen.values()):
                _replace(labels, start, max(seen, key=seen.__getitem__))
            first = last
    return labels


def _replace(labels: list[str], start: int, marks: str) -> None:
    """Write the segmentation `marks` into `labels[start:]`, keeping a sentence end there."""
    position = max((p for p in range(start, start + len(marks)) if labels[p] == "S"),
                   default=None)
    labels[start:start + len(marks)] = marks
    if position is not None:
        labels[start + marks.index("T", position - start)] = "S"
