"""Word-form features derived from each token: prefixes, suffixes and a shape.

They are categorical inputs like feature columns, but computed from the token itself, so a word
never seen in training still brings what its form says ("-ly", "-ing", "un-", "Xxxx", "d.d"):

    prefix<n>(w) = lower(w)[:n]       suffix<n>(w) = lower(w)[-n:]
    shape(w)     = w with A-Z → X, a-z → x, 0-9 → d, each run of one class cut to one
                   ("McDonald's" → "XxXx'x", "1,234.5" → "d,d.d"); other characters kept

A word shorter than n gets its whole lowercased form (padded with "_" on the far side, so
"a" is not confused with the one-letter suffix of a longer word).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from lstm_cli.config import AffixesConfig

_NAME = re.compile(r"(prefix|suffix)([1-9])$|shape$")


def affix_names(prefixes: Sequence[int] = (), suffixes: Sequence[int] = (),
                shape: bool = False) -> list[str]:
    """The feature names for these prefix and suffix lengths (and the shape)."""
    return [*(f"prefix{n}" for n in prefixes), *(f"suffix{n}" for n in suffixes),
            *(["shape"] if shape else [])]


def configured_affix_names(settings: AffixesConfig) -> list[str]:
    """The affix feature names `model.affixes` asks for (none while its `dim` is 0)."""
    if not settings.dim:
        return []
    return affix_names(sorted(set(settings.prefix)), sorted(set(settings.suffix)), settings.shape)


def is_affix_name(name: str) -> bool:
    """Whether `name` is one `affix_value` understands."""
    return _NAME.match(name) is not None


def affix_function(name: str) -> Callable[[str], str]:
    """token -> the value of feature `name` (`prefix<n>`, `suffix<n>` or `shape`), the name
    read once (an encoder calls it once per word type)."""
    if name == "shape":
        return word_shape
    match = _NAME.match(name)
    if match is None:
        raise ValueError(f"not an affix feature: {name!r}")
    size = int(match.group(2))
    if match.group(1) == "prefix":
        return lambda token: token.lower()[:size].ljust(size, "_")
    return lambda token: token.lower()[-size:].rjust(size, "_")


def affix_value(name: str, token: str) -> str:
    """The value of feature `name` (`prefix<n>`, `suffix<n>` or `shape`) for `token`."""
    return affix_function(name)(token)


def affix_values(name: str, tokens: Sequence[str]) -> list[str]:
    """`affix_value(name, token)` for every token."""
    return list(map(affix_function(name), tokens))


def word_shape(token: str) -> str:
    """The short shape of `token` (see the module docstring)."""
    shape: list[str] = []
    for char in token:
        kind = "X" if char.isupper() else "x" if char.islower() else \
            "d" if char.isdigit() else char
        if not shape or shape[-1] != kind:
            shape.append(kind)
    return "".join(shape)
