"""Token normalisation applied by the vocabulary, never by the readers.

Readers keep tokens exactly as written so that prediction output echoes the input; a `Vocab`
built with `lowercase=True` / `digits=True` applies `normalizer(...)` to every token it counts,
encodes or extends with, and saves both flags in `to_dict()` so a checkpoint encodes prediction
input the same way it encoded training data.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_DIGIT = re.compile(r"\d")


def lowercase(token: str) -> str:
    """`token` in lower case."""
    return token.lower()


def normalize_digits(token: str) -> str:
    """`token` with every digit replaced by `0` (`"1999-12"` -> `"0000-00"`)."""
    return _DIGIT.sub("0", token)


def normalizer(*, lowercase: bool = False, digits: bool = False) -> Callable[[str], str]:
    """The composition of the chosen normalisations (the identity when none is chosen)."""
    steps = [step for step, wanted in ((str.lower, lowercase), (normalize_digits, digits))
             if wanted]

    def normalize(token: str) -> str:
        for step in steps:
            token = step(token)
        return token

    return normalize
