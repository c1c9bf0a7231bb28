"""Entity (chunk) scoring exactly as `conlleval` computes it, and tag-scheme helpers.

A label is split as conlleval splits it (`/^([^-]*)-(.*)$/`): the *tag* is the text before the
first hyphen and the *type* the rest (`B-PER` -> `B`, `PER`; `O` -> `O`, ``). Chunks are found
by two pairwise rules over neighbouring tokens, `end_of_chunk` and `start_of_chunk`, ported from
conlleval (version 2004-01-26), including its special tags `[`, `]` (one-token chunks) and `.`.
Every sentence is followed by a boundary that counts as `O`, as the blank line is in a conlleval
file, and before the first token the previous tag is `O`.

Schemes. conlleval's rules already score IOB1 and IOB2 alike: a chunk starts at `B-X`, at `I-X`
after `O`, and at any tag whose type differs from the previous one. IOB1 writes `B-X` only
between two adjacent `X` chunks and IOB2 at every chunk start, and both mark the same chunks.
conlleval knows `E` (IOE) but not `S`, and in it `E-X B-X` does not end a chunk, so IOBES would be
mis-scored: `S-X S-X` would be one chunk. We add the IOBES rules (`S` starts and ends a chunk;
`E` then `B` or `S` ends one), which are what seqeval's default mode and the widely used
IOBES-extended conlleval apply. They change nothing on labels without `S` except `E-X B-X`, a
pair that IOE data never contains, so on IOB1/IOB2 data the counts are conlleval's to the chunk.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import pairwise

import numpy as np

from lstm_cli.errors import ConfigError, DataError
from lstm_cli.eval.scores import check_aligned, precision_recall_f1

SCHEMES = ("IOB1", "IOB2", "IOBES")
_SCHEME_PREFIXES = {"IOB1": frozenset("BI"), "IOB2": frozenset("BI"), "IOBES": frozenset("BIES")}

# (previous tag, tag) pairs from conlleval's endOfChunk / startOfChunk.
_CONLLEVAL_ENDS = frozenset({("B", "B"), ("B", "O"), ("I", "B"), ("I", "O"),
                             ("E", "E"), ("E", "I"), ("E", "O")})
_CONLLEVAL_STARTS = frozenset({("B", "B"), ("I", "B"), ("O", "B"), ("O", "I"),
                               ("E", "E"), ("E", "I"), ("O", "E")})
# The IOBES additions (see the module docstring); `S` as previous tag or as tag is handled inline.
_IOBES_ENDS = frozenset({("E", "B"), ("B", "S"), ("I", "S"), ("E", "S")})
_IOBES_STARTS = frozenset({("E", "B"), ("S", "B"), ("S", "E"), ("S", "I")})

Chunk = tuple[str, int, int]
"""(type, start, end) with `end` exclusive: the chunk covers `labels[start:end]`."""


def split_label(label: str) -> tuple[str, str]:
    """`(tag, type)` as conlleval splits a label: at the first hyphen; no hyphen -> type ``."""
    tag, hyphen, type_ = label.partition("-")
    return (tag, type_) if hyphen else (label, "")


def end_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    """Whether a chunk ended between the previous token and this one (conlleval + IOBES)."""
    return ((prev_tag, tag) in _CONLLEVAL_ENDS
            or (prev_tag, tag) in _IOBES_ENDS
            or prev_tag == "S"
            or (prev_tag not in ("O", ".") and prev_type != type_)
            or prev_tag in ("[", "]"))


def start_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    """Whether a chunk started between the previous token and this one (conlleval + IOBES)."""
    return ((prev_tag, tag) in _CONLLEVAL_STARTS
            or (prev_tag, tag) in _IOBES_STARTS
            or tag == "S"
            or (tag not in ("O", ".") and prev_type != type_)
            or tag in ("[", "]"))


def extract_chunks(labels: Sequence[str]) -> list[Chunk]:
    """The chunks of one sentence, in order, as `(type, start, end)` with `end` exclusive.

    A chunk opens where `start_of_chunk` holds and takes the type of its first token; it closes
    where `end_of_chunk` holds or the next chunk starts. The number of chunks is conlleval's
    count of chunks for the sentence.
    """
    chunks: list[Chunk] = []
    open_start: int | None = None
    open_type = ""
    prev_tag, prev_type = "O", ""
    for i, label in enumerate([*labels, "O"]):  # the trailing "O" is the sentence boundary
        tag, type_ = split_label(label)
        starts = start_of_chunk(prev_tag, tag, prev_type, type_)
        if open_start is not None and (starts or end_of_chunk(prev_tag, tag, prev_type, type_)):
            chunks.append((open_type, open_start, i))
            open_start = None
        if starts:
            open_start, open_type = i, type_
        prev_tag, prev_type = tag, type_
    return chunks


def score_chunks(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> dict:
    """conlleval's chunk counts and scores over sentences of gold and predicted labels.

    A port of conlleval's main loop. A chunk is correct when gold and prediction start a chunk
    of the same type at the same token and both end it at the same token. Returns
    `{precision, recall, f1, found, gold, correct, per_type}`, scores as fractions in [0, 1],
    `found` the predicted chunks; `per_type` maps each type seen in either (sorted) to
    `{precision, recall, f1, support, found, correct}` with `support` the gold chunks.
    """
    check_aligned(gold, pred)
    n_correct: Counter[str] = Counter()
    n_found: Counter[str] = Counter()
    n_gold: Counter[str] = Counter()
    in_correct = False  # the chunks now open in gold and prediction agree so far
    last_c, last_ct, last_g, last_gt = "O", "", "O", ""
    for gold_labels, pred_labels in zip(gold, pred, strict=True):
        for gold_label, pred_label in [*zip(gold_labels, pred_labels, strict=True), ("O", "O")]:
            c, ct = split_label(gold_label)
            g, gt = split_label(pred_label)
            gold_ends = end_of_chunk(last_c, c, last_ct, ct)
            pred_ends = end_of_chunk(last_g, g, last_gt, gt)
            gold_starts = start_of_chunk(last_c, c, last_ct, ct)
            pred_starts = start_of_chunk(last_g, g, last_gt, gt)
            if in_correct:
                if gold_ends and pred_ends and last_gt == last_ct:
                    in_correct = False
                    n_correct[last_ct] += 1
                elif gold_ends != pred_ends or gt != ct:
                    in_correct = False
            if gold_starts and pred_starts and gt == ct:
                in_correct = True
            if gold_starts:
                n_gold[ct] += 1
            if pred_starts:
                n_found[gt] += 1
            last_c, last_ct, last_g, last_gt = c, ct, g, gt
    if in_correct:
        n_correct[last_ct] += 1

    total = sum(n_correct.values()), sum(n_found.values()), sum(n_gold.values())
    per_type = {
        type_: {**precision_recall_f1(n_correct[type_], n_found[type_], n_gold[type_]),
                "support": n_gold[type_], "found": n_found[type_], "correct": n_correct[type_]}
        for type_ in sorted(n_gold.keys() | n_found.keys())
    }
    return {**precision_recall_f1(*total), "correct": total[0], "found": total[1], "gold": total[2],
            "per_type": per_type}


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
