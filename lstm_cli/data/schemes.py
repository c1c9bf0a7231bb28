"""Tag schemes (IOB1, IOB2, IOBES): which one a label set is written in, and what it allows.

A label is split as conlleval splits it (`/^([^-]*)-(.*)$/`): the *tag* is the text before the
first hyphen and the *type* the rest (`B-PER` -> `B`, `PER`; `O` -> `O`, ``). `detect_scheme`
names the scheme of a label set; `crf_constraints` gives the transitions, starts and ends a
scheme allows, the hard constraints of a CRF output; `is_valid_sequence` checks one sentence
against the same rules. Chunk scoring (eval/chunks.py) splits labels with `split_label`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise

import numpy as np

from lstm_cli.errors import ConfigError, DataError

SCHEMES = ("IOB1", "IOB2", "IOBES")
_SCHEME_PREFIXES = {"IOB1": frozenset("BI"), "IOB2": frozenset("BI"), "IOBES": frozenset("BIES")}


def split_label(label: str) -> tuple[str, str]:
    """`(tag, type)` as conlleval splits a label: at the first hyphen; no hyphen -> type ``."""
    tag, hyphen, type_ = label.partition("-")
    return (tag, type_) if hyphen else (label, "")


def detect_scheme(labels: Iterable[str]) -> str | None:
    """The chunk scheme a set of labels is written in: "IOB1", "IOB2", "IOBES" or None.

    None unless every label is `O` or `X-TYPE` with a non-empty TYPE and at least one is not
    `O` (POS tags, for example, give None). Any `E-`/`S-` prefix (with only B, I, E, S) ->
    "IOBES". With only `B-`/`I-`: "IOB1" when some type has `I-` but no `B-` label (IOB1 needs
    `B-` only between adjacent chunks of one type), else "IOB2". A label set cannot tell IOB1
    from IOB2 further; they are scored alike.
    """
    prefixes_by_type: dict[str, set[str]] = {}
    for label in labels:
        if label == "O":
            continue
        tag, type_ = split_label(label)
        if not type_ or tag not in _SCHEME_PREFIXES["IOBES"]:
            return None
        prefixes_by_type.setdefault(type_, set()).add(tag)
    if not prefixes_by_type:
        return None
    prefixes = set().union(*prefixes_by_type.values())
    if prefixes & {"E", "S"}:
        return "IOBES"
    if any("B" not in tags for tags in prefixes_by_type.values()):
        return "IOB1"
    return "IOB2"


def check_scheme(scheme: str) -> None:
    """Raise ConfigError unless `scheme` is one of SCHEMES."""
    if scheme not in SCHEMES:
        raise ConfigError(f"unknown tag scheme {scheme!r}", hint=f"use one of {', '.join(SCHEMES)}")


def _split_for_scheme(label: str, scheme: str) -> tuple[str, str]:
    """`(tag, type)` of a label that must be `O` or `PREFIX-TYPE` with a prefix of `scheme`."""
    tag, type_ = split_label(label)
    if label != "O" and not (type_ and tag in _SCHEME_PREFIXES[scheme]):
        prefixes = "/".join(sorted(_SCHEME_PREFIXES[scheme]))
        raise DataError(f"label {label!r} is not a {scheme} label",
                        hint=f"{scheme} labels are O or {prefixes}-TYPE")
    return tag, type_


def _can_start(tag: str, scheme: str) -> bool:
    if scheme == "IOB1":
        return tag != "B"
    if scheme == "IOB2":
        return tag != "I"
    return tag in ("O", "B", "S")


def _can_end(tag: str, scheme: str) -> bool:
    return scheme != "IOBES" or tag in ("O", "E", "S")


def _can_follow(prev: tuple[str, str], cur: tuple[str, str], scheme: str) -> bool:
    (prev_tag, prev_type), (tag, type_) = prev, cur
    inside_same = prev_tag != "O" and prev_type == type_
    if scheme == "IOB1":  # B-X only right after another X chunk
        return tag != "B" or inside_same
    if scheme == "IOB2":  # I-X only inside an X chunk
        return tag != "I" or inside_same
    if prev_tag in ("B", "I"):  # IOBES: an open chunk must go on with I-X or close with E-X
        return tag in ("I", "E") and type_ == prev_type
    return tag in ("O", "B", "S")


def allowed_transitions(label_list: Sequence[str], scheme: str) -> np.ndarray:
    """Bool matrix `[C, C]`: `allowed[i, j]` says label j may directly follow label i.

    IOB2: `I-X` only after `B-X` or `I-X`. IOB1: `B-X` only after `B-X` or `I-X`.
    IOBES: after `B-X`/`I-X` only `I-X` or `E-X`; after `O`/`E-*`/`S-*` only `O`, `B-*`, `S-*`.
    Raises DataError for a label that is not in the scheme, ConfigError for an unknown scheme.
    """
    check_scheme(scheme)
    parts = [_split_for_scheme(label, scheme) for label in label_list]
    return np.array([[_can_follow(prev, cur, scheme) for cur in parts] for prev in parts],
                    dtype=bool).reshape(len(parts), len(parts))


def allowed_starts(label_list: Sequence[str], scheme: str) -> np.ndarray:
    """Bool vector `[C]`: label i may open a sentence (not `I-` in IOB2, not `B-` in IOB1,
    only `O`/`B-`/`S-` in IOBES)."""
    check_scheme(scheme)
    return np.array([_can_start(_split_for_scheme(label, scheme)[0], scheme)
                     for label in label_list], dtype=bool)


def allowed_ends(label_list: Sequence[str], scheme: str) -> np.ndarray:
    """Bool vector `[C]`: label i may close a sentence (any label in IOB1/IOB2, only
    `O`/`E-`/`S-` in IOBES)."""
    check_scheme(scheme)
    return np.array([_can_end(_split_for_scheme(label, scheme)[0], scheme)
                     for label in label_list], dtype=bool)


def crf_constraints(label_list: Sequence[str],
                    scheme: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`(allowed_transitions, allowed_starts, allowed_ends)`, the `allowed` triple a CRF takes
    for hard constraints (`transitions[i, j]`: label i followed by label j)."""
    return (allowed_transitions(label_list, scheme), allowed_starts(label_list, scheme),
            allowed_ends(label_list, scheme))


def is_valid_sequence(labels: Sequence[str], scheme: str) -> bool:
    """Whether one sentence obeys the scheme's start, transition and end constraints, the
    same ones `allowed_starts`, `allowed_transitions` and `allowed_ends` encode. Empty is valid.
    A label outside the scheme raises DataError (the scheme, not the sentence, is wrong).
    """
    check_scheme(scheme)
    parts = [_split_for_scheme(label, scheme) for label in labels]
    if not parts:
        return True
    return (_can_start(parts[0][0], scheme) and _can_end(parts[-1][0], scheme)
            and all(_can_follow(prev, cur, scheme) for prev, cur in pairwise(parts)))
