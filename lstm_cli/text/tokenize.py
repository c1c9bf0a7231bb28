"""Tokenisers: text -> sentences of tokens, each with Unicode character offsets into the text.

Every tokeniser satisfies `Tokenizer`: `split(text)` returns sentences, each a list of `Token`
with `text[token.start:token.end] == token.text`. A multiword token (`don't` = `do` + `n't` in
UD English) carries its words' offsets in `words`; `words_of` turns a sentence into the words a
tagger labels, each again a `Token` at its own offsets.

- `whitespace`: each non-blank line is a sentence, tokens are runs of non-whitespace (what
  `lstm predict` always did with plain text, now with offsets);
- `rule`: syntok's rule-based sentence splitter and tokeniser (English-oriented);
- a run or checkpoint directory of a tokeniser trained by `lstm` (`trained.TrainedTokenizer`;
  `trained.load_tokenizer` loads any of the three by name or path).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

BUILTIN_TOKENIZERS = ("whitespace", "rule")
_NON_SPACE = re.compile(r"\S+")


@dataclass(frozen=True)
class Token:
    """`text` found at `start:end` (Unicode characters, end exclusive) in the input; `words`
    holds the `(start, end)` of each word of a multiword token, and is empty otherwise."""

    text: str
    start: int
    end: int
    words: tuple[tuple[int, int], ...] = ()

    def shifted(self, offset: int) -> Token:
        """The same token with every offset moved by `offset`."""
        return Token(self.text, self.start + offset, self.end + offset,
                     tuple((start + offset, end + offset) for start, end in self.words))


Sentence = list[Token]


class Tokenizer(Protocol):
    """Splits text into sentences of tokens (see the module docstring)."""

    name: str
    by_line: bool        # True: every line is split on its own (a line is never two sentences
                         # joined); False: paragraphs (blank-line separated) are split whole

    def split(self, text: str) -> list[Sentence]: ...


def words_of(sentence: Sentence) -> list[Token]:
    """The words of a sentence: each token, or each word of a multiword token, as a Token."""
    words: list[Token] = []
    for token in sentence:
        if not token.words:
            words.append(token)
            continue
        for start, end in token.words:
            words.append(Token(token.text[start - token.start:end - token.start], start, end))
    return words


class WhitespaceTokenizer:
    """One sentence per non-blank line; tokens split on whitespace."""

    name = "whitespace"
    by_line = True

    def split(self, text: str) -> list[Sentence]:
        sentences = []
        position = 0
        for line in text.splitlines(keepends=True):
            tokens = [Token(match.group(), position + match.start(), position + match.end())
                      for match in _NON_SPACE.finditer(line)]
            if tokens:
                sentences.append(tokens)
            position += len(line)
        return sentences


class RuleTokenizer:
    """syntok's segmenter: paragraphs (blank lines), sentences and tokens, English rules
    (`don't` -> `do` `n't`, `BBC.` -> `BBC` `.`, abbreviations such as `Mr.` kept whole)."""

    name = "rule"
    by_line = False

    def split(self, text: str) -> list[Sentence]:
        from syntok import segmenter

        sentences = []
        for paragraph in segmenter.analyze(text):
            for syntok_sentence in paragraph:
                tokens = []
                for token in syntok_sentence:
                    end = token.offset + len(token.value)
                    if token.value:
                        tokens.append(Token(text[token.offset:end], token.offset, end))
                if tokens:
                    sentences.append(tokens)
        return sentences


def iter_sentences(stream: Iterable[str], tokenizer: Tokenizer, *,
                   max_block: int = 1 << 16) -> Iterator[tuple[Sentence, str, int]]:
    """Stream the sentences of a text stream: `(sentence, block, block_start)` with the
    sentence's offsets counted from the start of the stream and `block` the text the sentence
    was cut from, starting at character `block_start`.

    Open the stream with `newline=""` so that `\\r\\n` counts as two characters, as it is in the
    file. A line-based tokeniser gets one line at a time; the others a paragraph (up to a blank
    line, or `max_block` characters at a line end), so memory stays bounded."""
    position = 0
    lines: list[str] = []
    block_start = 0
    size = 0
    for line in stream:
        if not lines:
            block_start = position
        lines.append(line)
        size += len(line)
        position += len(line)
        if tokenizer.by_line or not line.strip() or size >= max_block:
            yield from _split_block("".join(lines), block_start, tokenizer)
            lines, size = [], 0
    if lines:
        yield from _split_block("".join(lines), block_start, tokenizer)


def _split_block(block: str, start: int, tokenizer: Tokenizer
                 ) -> Iterator[tuple[Sentence, str, int]]:
    if not block.strip():
        return
    for sentence in tokenizer.split(block):
        yield [token.shifted(start) for token in sentence], block, start
