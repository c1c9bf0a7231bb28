"""The Python API: load a trained model and label token lists or raw text.

    from lstm_cli import load
    tagger = load("runs/x")                        # a run directory or a checkpoint directory
    tagger.predict([["Show", "me", "the", "news"]])  # -> [TaggedSentence(tokens, labels, spans)]
    tagger.tag("Raw text. Two sentences.")         # tokenise, split sentences, predict; offsets

`predict` batches its input and reads it as a stream (`iter_predict` yields results as it
goes, holding `CHUNK` sentences at a time); `tag` and `tag_stream` split text with the
tokeniser recorded in the checkpoint (`data.tokenizer`) or the one given. `lstm predict` is a
thin layer over `Tagger`.

Spans: for a model whose labels are written in a chunk scheme (IOB1, IOB2, IOBES, as
`data.schemes.detect_scheme` finds), every result carries the chunks `eval.chunks.extract_chunks`
finds in its labels, the very chunks the conlleval-style scorer counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import numpy as np

from lstm_cli.data.schemes import detect_scheme
from lstm_cli.data.types import Example
from lstm_cli.eval.chunks import extract_chunks
from lstm_cli.model import TrainedModel, load_model
from lstm_cli.text.tokenize import Tokenizer, iter_sentences, words_of
from lstm_cli.text.trained import load_tokenizer

# Sentences held in memory at once while streaming. Batches are cut from a chunk sorted by
# length, so a larger chunk gives batches of closer lengths (EWT test set, model alone: 1.07 s
# at 256, 0.82 at 2048).
CHUNK = 2048
_Place = tuple[list[tuple[int, int]], str, int]


@dataclass
class Span:
    """A chunk: labels `start:end` (token indices, end exclusive) of one `type`; `text` is the
    input text it covers (its tokens joined by spaces when there is no input text), and
    `char_start:char_end` its Unicode character offsets in that input (None without one)."""

    type: str
    start: int
    end: int
    text: str
    char_start: int | None = None
    char_end: int | None = None

    def to_dict(self) -> dict:
        record = {"type": self.type, "start": self.start, "end": self.end, "text": self.text}
        if self.char_start is not None:
            record.update(char_start=self.char_start, char_end=self.char_end)
        return record


@dataclass
class TaggedSentence:
    """One sentence's result: its tokens and labels (a CTC string, a class or regression
    values for the other outputs), the spans when the model has a chunk scheme (else None),
    `offsets[i] = (char_start, char_end)` of token i in the input text when it came from text,
    and per-label probabilities on request."""

    tokens: list[str]
    labels: list[str]
    spans: list[Span] | None = None
    offsets: list[tuple[int, int]] | None = None
    probs: np.ndarray | None = None

    def to_dict(self) -> dict:
        """The JSON-ready record `lstm predict --format jsonl` writes (without gold)."""
        record: dict = {"tokens": self.tokens, "labels": self.labels}
        if self.offsets is not None:
            record["offsets"] = [list(pair) for pair in self.offsets]
        if self.spans is not None:
            record["spans"] = [span.to_dict() for span in self.spans]
        if self.probs is not None:
            record["probs"] = [[round(float(p), 6) for p in row] for row in self.probs]
        return record


def make_spans(tokens: Sequence[str], labels: Sequence[str],
               offsets: Sequence[tuple[int, int]] | None = None, text: str | None = None,
               text_start: int = 0) -> list[Span]:
    """The chunks of one sentence's labels (`extract_chunks`) as Spans; with `offsets` (into
    an input of which `text` is the part starting at character `text_start`) they get
    character offsets and their text as written."""
    spans = []
    for type_, start, end in extract_chunks(labels):
        if offsets is None:
            spans.append(Span(type_, start, end, " ".join(tokens[start:end])))
            continue
        char_start, char_end = offsets[start][0], offsets[end - 1][1]
        covered = (text[char_start - text_start:char_end - text_start] if text is not None
                   else " ".join(tokens[start:end]))
        spans.append(Span(type_, start, end, covered, char_start, char_end))
    return spans


class Tagger:
    """A trained model with the tokeniser it labels plain text with."""

    def __init__(self, model: TrainedModel, tokenizer: Tokenizer | str | None = None, *,
                 batch_size: int = 64) -> None:
        self.model = model
        self.batch_size = batch_size
        self._tokenizer = tokenizer
        per_token = model.tagger.output.targets.token_labels
        self.scheme = detect_scheme(model.labels) if per_token and model.frame_dim == 0 \
            else None

    @property
    def tokenizer(self) -> Tokenizer:
        """The tokeniser given to `load`, else the one recorded at training time."""
        if self._tokenizer is None or isinstance(self._tokenizer, str):
            self._tokenizer = _as_tokenizer(self._tokenizer or self.model.config.data.tokenizer)
        return self._tokenizer

    def predict(self, sentences: Iterable[Sequence[str]], *,
                with_probs: bool = False) -> list[TaggedSentence]:
        """Label sentences given as token lists (any iterable); results in input order."""
        return list(self.iter_predict(sentences, with_probs=with_probs))

    def iter_predict(self, sentences: Iterable[Sequence[str]], *,
                     with_probs: bool = False) -> Iterator[TaggedSentence]:
        """`predict` as a stream: reads and labels `CHUNK` sentences at a time."""
        examples = (Example(tokens=list(tokens)) for tokens in sentences)
        for _, tagged in self.iter_examples(examples, with_probs=with_probs):
            yield tagged

    def iter_examples(self, examples: Iterable[Example], *, with_probs: bool = False
                      ) -> Iterator[tuple[Example, TaggedSentence]]:
        """Each example with its result (gold labels in it are ignored), `CHUNK` at a time."""
        return self._label(((example, None) for example in examples), with_probs)

    def _label(self, items: Iterable[tuple[Example, _Place | None]], with_probs: bool
               ) -> Iterator[tuple[Example, TaggedSentence]]:
        """Label `(example, place)` pairs; a place gives the sentence's token offsets and the
        text they point into, with the offset of that text's first character."""
        from lstm_cli.inference import predict

        iterator = iter(items)
        while chunk := list(islice(iterator, CHUNK)):
            examples = [example for example, _ in chunk]
            predictions = predict(self.model, examples, batch_size=self.batch_size,
                                  with_probs=with_probs)
            for (example, place), prediction in zip(chunk, predictions, strict=True):
                token_offsets, text, text_start = place or (None, None, 0)
                spans = None
                if self.scheme is not None:
                    spans = make_spans(example.tokens, prediction.labels, token_offsets, text,
                                       text_start)
                yield example, TaggedSentence(list(example.tokens), prediction.labels, spans,
                                              token_offsets, prediction.probs)

    def tag(self, text: str, *, tokenizer: Tokenizer | str | None = None,
            with_probs: bool = False) -> list[TaggedSentence]:
        """Split `text` into sentences and label them; offsets index `text`."""
        import io

        return list(self.tag_stream(io.StringIO(text, newline=""), tokenizer=tokenizer,
                                    with_probs=with_probs))

    def tag_stream(self, stream: Iterable[str], *, tokenizer: Tokenizer | str | None = None,
                   with_probs: bool = False) -> Iterator[TaggedSentence]:
        """`tag` over a text stream or any iterable of lines with their ends (open a file
        with `newline=""`: offsets count every character of the input, `\\r\\n` as two), in
        constant memory."""
        tokenizer = self.tokenizer if tokenizer is None else _as_tokenizer(tokenizer)
        items = ((Example(tokens=[word.text for word in words]),
                  ([(word.start, word.end) for word in words], block, block_start))
                 for sentence, block, block_start in iter_sentences(stream, tokenizer)
                 for words in [words_of(sentence)])
        for _, tagged in self._label(items, with_probs):
            yield tagged


def load(path: str | Path, *, tokenizer: Tokenizer | str | None = None,
         batch_size: int = 64) -> Tagger:
    """A Tagger for the checkpoint in `path` (a run directory: its best checkpoint).
    `tokenizer` (`whitespace`, `rule`, a trained tokeniser's directory, or a Tokenizer)
    replaces the one recorded at training time."""
    return Tagger(load_model(path), tokenizer, batch_size=batch_size)


def _as_tokenizer(tokenizer: Tokenizer | str) -> Tokenizer:
    """A tokeniser given by name (`whitespace`, `rule`) or run directory, loaded; else itself."""
    return load_tokenizer(tokenizer) if isinstance(tokenizer, str) else tokenizer
