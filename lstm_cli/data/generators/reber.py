"""`embedded-reber`: next-symbol prediction on embedded Reber grammar strings.

The Reber grammar is a finite automaton over B, T, P, S, X, V, E; the embedded grammar wraps a
Reber string as `B T <reber> T E` or `B P <reber> P E`, so predicting the second-to-last symbol
needs the second symbol remembered across the whole inner string. An Example's tokens are a
string without its last symbol and its labels the string without its first (label t = the next
symbol). Because the automaton is deterministic, the set of grammatical next symbols after each
prefix is a function of the tokens: `allowed_next(tokens)`; the written JSONL also stores it as
`"allowed"` (one sorted list per position) for tools outside this package. A network has
"solved" a string when at every step it gives the highest outputs to exactly the allowed symbols.
"""

from __future__ import annotations

import numpy as np

from lstm_cli.data.types import Example

SYMBOLS = ("B", "T", "P", "S", "X", "V", "E")
# Reber automaton: state -> {symbol: next state}; 7 is the accepting state.
REBER = {0: {"B": 1}, 1: {"T": 2, "P": 3}, 2: {"S": 2, "X": 4}, 3: {"T": 3, "V": 5},
         4: {"X": 3, "S": 6}, 5: {"P": 4, "V": 6}, 6: {"E": 7}, 7: {}}


def _embedded_automaton() -> dict[object, dict[str, object]]:
    """B, then T or P, then a Reber string (states tagged with that branch), the branch
    symbol again, then E."""
    automaton: dict[object, dict[str, object]] = {"start": {"B": "branch"},
                                                  "branch": {"T": ("T", 0), "P": ("P", 0)},
                                                  "close": {"E": "end"}, "end": {}}
    for branch in "TP":
        for state, edges in REBER.items():
            automaton[(branch, state)] = {symbol: (branch, target)
                                          for symbol, target in edges.items()}
        automaton[(branch, 7)] = {branch: "close"}
    return automaton


EMBEDDED = _embedded_automaton()


def embedded_reber_string(rng: np.random.Generator) -> list[str]:
    """One string of the embedded Reber grammar, each branch taken with probability 1/2."""
    state: object = "start"
    symbols = []
    while EMBEDDED[state]:
        edges = sorted(EMBEDDED[state].items())
        symbol, state = edges[rng.integers(len(edges))]
        symbols.append(symbol)
    return symbols


def allowed_next(tokens: list[str]) -> list[list[str]]:
    """For each prefix `tokens[:t + 1]`, the sorted symbols the grammar allows next; ValueError
    if `tokens` is not a prefix of an embedded Reber string."""
    state: object = "start"
    allowed = []
    for symbol in tokens:
        if symbol not in EMBEDDED[state]:
            raise ValueError(f"{''.join(tokens)!r} is not an embedded Reber prefix")
        state = EMBEDDED[state][symbol]
        allowed.append(sorted(EMBEDDED[state]))
    return allowed


def is_embedded_reber(symbols: list[str]) -> bool:
    """Whether `symbols` is a complete embedded Reber string."""
    try:
        allowed = allowed_next(symbols)
    except ValueError:
        return False
    return bool(symbols) and allowed[-1] == []


def generate_reber(rng: np.random.Generator, size: int) -> list[Example]:
    """`size` next-symbol examples; sources are `embedded-reber:<i>`."""
    strings = [embedded_reber_string(rng) for _ in range(size)]
    return [Example(tokens=s[:-1], labels=s[1:], source=f"embedded-reber:{i + 1}")
            for i, s in enumerate(strings)]
