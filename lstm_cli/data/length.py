"""A cap on sequence length: longer sequences are split into chunks, or refused."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lstm_cli.data.types import Example
from lstm_cli.errors import ConfigError, DataError

POLICIES = ("split", "error")


def enforce_max_length(examples: Sequence[Example], max_length: int | None, *,
                       policy: str = "split",
                       warn: Callable[[str], None] | None = None) -> list[Example]:
    """`examples` with every sequence longer than `max_length` (None: no cap) split into
    consecutive chunks of at most `max_length` positions (`policy="split"`, reported once
    through `warn`) or refused with a DataError naming the first one (`policy="error"`)."""
    if policy not in POLICIES:
        raise ConfigError(f"expected a max-length policy among {', '.join(POLICIES)}, "
                          f"found {policy!r}")
    too_long = [] if max_length is None else [e for e in examples if len(e) > max_length]
    if not too_long:
        return list(examples)
    first = too_long[0]
    if policy == "error" or first.target is not None:
        raise DataError(f"expected sequences of at most {max_length} positions, found one of "
                        f"{len(first)}", path=first.source,
                        hint=f"{len(too_long)} sequence(s) are too long"
                        + ("; CTC sequences cannot be split" if first.target is not None else ""))
    if warn is not None:
        warn(f"{len(too_long)} sequence(s) longer than {max_length} positions were split into "
             f"chunks (the first: {first.source})")
    return [chunk for example in examples for chunk in split_example(example, max_length)]


def split_example(example: Example, max_length: int) -> list[Example]:
    """`example` cut into consecutive chunks of at most `max_length` positions (itself if it
    fits); a chunk's source names its first token (`path:line token 101`)."""
    if len(example) <= max_length:
        return [example]
    return [
        Example(tokens=example.tokens[start:start + max_length],
                labels=None if example.labels is None
                else example.labels[start:start + max_length],
                features={name: values[start:start + max_length]
                          for name, values in example.features.items()},
                frames=None if example.frames is None
                else example.frames[start:start + max_length],
                source=f"{example.source} token {start + 1}")
        for start in range(0, len(example), max_length)]
