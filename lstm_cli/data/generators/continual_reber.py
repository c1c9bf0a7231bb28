"""`continual-reber`: next-symbol prediction on an unsegmented stream of embedded Reber strings.

Gers, Schmidhuber & Cummins (2000): embedded Reber strings (see `reber.py`) are concatenated
into one stream, `B T … T E B P … P E B …`, with no marker between strings and no state reset;
the network must predict every next symbol, so it has to learn on its own when the remembered
branch symbol (T or P) stops mattering. An Example is a stream of `length + 1` symbols that
starts at the beginning of a string and is cut after `length + 1` symbols (possibly mid-string):
tokens are the stream without its last symbol, labels the stream without its first. The set of
grammatical next symbols after each prefix is `allowed_next_stream(tokens)` (after `E` it is
`{B}`); the written JSONL stores it as `"allowed"`.
"""

from __future__ import annotations

import numpy as np

from lstm_cli.data.generators.reber import EMBEDDED, embedded_reber_string
from lstm_cli.data.types import Example

STREAM_LENGTH = 500
"""Predictions per generated stream (symbols read)."""


def continual_reber_stream(rng: np.random.Generator, length: int) -> list[str]:
    """`length` symbols of concatenated embedded Reber strings, starting at a string's `B`."""
    stream: list[str] = []
    while len(stream) < length:
        stream.extend(embedded_reber_string(rng))
    return stream[:length]


def allowed_next_stream(tokens: list[str]) -> list[list[str]]:
    """For each prefix `tokens[:t + 1]` of a stream, the sorted symbols the grammar allows next;
    ValueError if `tokens` is not a prefix of a stream of embedded Reber strings."""
    state: object = "start"
    allowed = []
    for symbol in tokens:
        if symbol not in EMBEDDED[state]:
            raise ValueError(f"{''.join(tokens)!r} is not a prefix of an embedded Reber stream")
        state = EMBEDDED[state][symbol]
        if state == "end":                       # the next string begins at once
            state = "start"
        allowed.append(sorted(EMBEDDED[state]))
    return allowed


def generate_continual_reber(rng: np.random.Generator, size: int,
                             length: int = STREAM_LENGTH) -> list[Example]:
    """`size` streams of `length` predictions each; sources are `continual-reber:<i>`."""
    examples = []
    for i in range(size):
        stream = continual_reber_stream(rng, length + 1)
        examples.append(Example(tokens=stream[:-1], labels=stream[1:],
                                source=f"continual-reber:{i + 1}"))
    return examples
