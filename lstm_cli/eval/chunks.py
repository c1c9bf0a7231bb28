"""Entity (chunk) scoring exactly as `conlleval` computes it, by IOB1/IOB2/IOBES rules.

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
from collections.abc import Sequence

from lstm_cli.data.schemes import split_label
from lstm_cli.eval.scores import check_aligned, precision_recall_f1

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
