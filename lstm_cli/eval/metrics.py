"""Metrics over gold and predicted outputs: labels per token, label strings (CTC), real values.

Conventions: scores are fractions in [0, 1]; a ratio whose denominator is zero is 0.0 (as in
conlleval); gold comes before prediction in every signature. Nothing here reads or writes files.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from lstm_cli.data.schemes import check_scheme, detect_scheme
from lstm_cli.eval.chunks import score_chunks
from lstm_cli.eval.scores import check_aligned, precision_recall_f1, ratio


def token_accuracy(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> float:
    """(tokens whose predicted label equals the gold one) / (all tokens)."""
    check_aligned(gold, pred)
    correct = sum(g == p for gold_labels, pred_labels in zip(gold, pred, strict=True)
                  for g, p in zip(gold_labels, pred_labels, strict=True))
    return ratio(correct, sum(len(labels) for labels in gold))


def sequence_accuracy(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> float:
    """(sequences predicted exactly, every label right and none missing or extra) / (sequences).

    Serves aligned labels and unaligned label strings (CTC) alike.
    """
    return ratio(sum(list(g) == list(p) for g, p in zip(gold, pred, strict=True)), len(gold))


def confusion_matrix(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]],
                     labels: Sequence[str]) -> np.ndarray:
    """Counts `[C, C]`: `matrix[i, j]` = tokens with gold `labels[i]` predicted as `labels[j]`.

    Raises ValueError for a label missing from `labels`.
    """
    check_aligned(gold, pred)
    index = {label: i for i, label in enumerate(labels)}
    missing = {label for seq in (*gold, *pred) for label in seq} - index.keys()
    if missing:
        raise ValueError(f"labels not in the label list: {sorted(missing)}")
    gold_ids = np.array([index[g] for labels_ in gold for g in labels_], dtype=np.int64)
    pred_ids = np.array([index[p] for labels_ in pred for p in labels_], dtype=np.int64)
    num_labels = len(labels)
    counts = np.bincount(gold_ids * num_labels + pred_ids, minlength=num_labels * num_labels)
    return counts.reshape(num_labels, num_labels)


def per_label_scores(confusion: np.ndarray, labels: Sequence[str]) -> dict[str, dict]:
    """`{label: {precision, recall, f1, support}}` from a confusion matrix (rows gold).

    For label i: precision = M[i, i] / sum_g M[g, i], recall = M[i, i] / sum_p M[i, p],
    F1 = 2PR / (P + R), support = sum_p M[i, p] (its gold tokens).
    """
    correct, found, support = np.diag(confusion), confusion.sum(axis=0), confusion.sum(axis=1)
    return {label: {**precision_recall_f1(int(correct[i]), int(found[i]), int(support[i])),
                    "support": int(support[i])}
            for i, label in enumerate(labels)}


def _averages(confusion: np.ndarray, per_label: dict[str, dict]) -> tuple[dict, dict]:
    """Micro and macro precision/recall/F1 over labels.

    Micro pools the counts of all labels; with one label per token that is token accuracy for
    all three. Macro is the unweighted mean over the labels that occur in gold or prediction:
    a label never seen in either has no defined score, and counting it as 0 would make macro
    depend on how many unused labels the label list carries.
    """
    num_tokens = int(confusion.sum())
    micro = precision_recall_f1(int(np.trace(confusion)), num_tokens, num_tokens)
    seen = (confusion.sum(axis=0) + confusion.sum(axis=1)) > 0
    used = [scores for scores, is_seen in zip(per_label.values(), seen, strict=True) if is_seen]
    macro = {key: ratio(sum(scores[key] for scores in used), len(used))
             for key in ("precision", "recall", "f1")}
    return micro, macro


def evaluate_labels(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]],
                    labels: Sequence[str], *, scheme: str | None = "auto") -> dict:
    """The JSON-able report for aligned labels (one per token).

    Keys: `token_accuracy`, `sequence_accuracy`, `entity`, `per_label`, `micro`, `macro`,
    `confusion` ({`labels`, `matrix`: rows gold, columns predicted}), `num_sequences`,
    `num_tokens`. Labels found in gold or prediction but not in `labels` are appended, sorted,
    to the label order. `entity` is `chunks.score_chunks(...)` plus `scheme`; it is None when
    `scheme` is None, or is "auto" and `detect_scheme` finds no chunk scheme in that label order.
    """
    check_aligned(gold, pred)
    if len(set(labels)) != len(labels):
        raise ValueError("the label list has duplicates")
    extra = {label for seq in (*gold, *pred) for label in seq} - set(labels)
    label_order = [*labels, *sorted(extra)]
    if scheme == "auto":
        scheme = detect_scheme(label_order)
    elif scheme is not None:
        check_scheme(scheme)

    confusion = confusion_matrix(gold, pred, label_order)
    per_label = per_label_scores(confusion, label_order)
    micro, macro = _averages(confusion, per_label)
    return {
        "token_accuracy": token_accuracy(gold, pred),
        "sequence_accuracy": sequence_accuracy(gold, pred),
        "entity": None if scheme is None else {**score_chunks(gold, pred), "scheme": scheme},
        "per_label": per_label,
        "micro": micro,
        "macro": macro,
        "confusion": {"labels": label_order, "matrix": confusion.tolist()},
        "num_sequences": len(gold),
        "num_tokens": int(confusion.sum()),
    }


def seen_unseen_accuracy(tokens: Sequence[Sequence[str]], gold: Sequence[Sequence[str]],
                         pred: Sequence[Sequence[str]], seen: Callable[[str], bool]) -> dict:
    """Token accuracy on the tokens `seen` says were seen in training and on the others, and
    how many were unseen."""
    right = Counter()
    total = Counter()
    for words, gold_labels, pred_labels in zip(tokens, gold, pred, strict=True):
        for word, gold_label, pred_label in zip(words, gold_labels, pred_labels, strict=True):
            kind = "seen" if seen(word) else "unseen"
            total[kind] += 1
            right[kind] += gold_label == pred_label
    return {"seen_token_accuracy": ratio(right["seen"], total["seen"]),
            "unseen_token_accuracy": ratio(right["unseen"], total["unseen"]),
            "num_unseen_tokens": total["unseen"]}


def edit_distance(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Levenshtein distance: fewest substitutions + insertions + deletions turning reference
    into hypothesis.

    Row by row over the reference, vectorised along the hypothesis: with `d[j]` the distance
    from `reference[:i]` to `hypothesis[:j]`, first `b[j] = min(d_prev[j] + 1,
    d_prev[j-1] + [ref_i != hyp_j])`, then insertions chain left to right:
    `d[j] = min_{k<=j} b[k] + (j - k)`, a running minimum of `b[k] - k`.
    """
    ids: dict[str, int] = {}
    ref = np.array([ids.setdefault(x, len(ids)) for x in reference], dtype=np.int64)
    hyp = np.array([ids.setdefault(x, len(ids)) for x in hypothesis], dtype=np.int64)
    offsets = np.arange(len(hyp) + 1)
    row = offsets.copy()  # distances from the empty reference prefix
    for i, ref_id in enumerate(ref, start=1):
        best = np.empty_like(row)
        best[0] = i
        best[1:] = np.minimum(row[1:] + 1, row[:-1] + (hyp != ref_id))
        row = np.minimum.accumulate(best - offsets) + offsets
    return int(row[-1])


def _edit_totals(gold: Sequence[Sequence[str]],
                 pred: Sequence[Sequence[str]]) -> tuple[int, int]:
    """(sum of edit distances, total reference labels) over paired label strings."""
    edits = sum(edit_distance(g, p) for g, p in zip(gold, pred, strict=True))
    return edits, sum(len(g) for g in gold)


def label_error_rate(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> float:
    """LER = sum of edit distances / total reference labels (0.0 when there are none)."""
    return ratio(*_edit_totals(gold, pred))


def evaluate_strings(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> dict:
    """The JSON-able report for unaligned label strings (CTC): `label_error_rate`,
    `sequence_accuracy`, `num_sequences`, `num_labels` (total reference labels) and
    `num_edits` (total edit distance, so LER = num_edits / num_labels)."""
    num_edits, num_labels = _edit_totals(gold, pred)
    return {
        "label_error_rate": ratio(num_edits, num_labels),
        "sequence_accuracy": sequence_accuracy(gold, pred),
        "num_sequences": len(gold),
        "num_labels": num_labels,
        "num_edits": num_edits,
    }


def _as_pair(gold: np.ndarray | Sequence[float],
             pred: np.ndarray | Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    gold_array = np.asarray(gold, dtype=np.float64)
    pred_array = np.asarray(pred, dtype=np.float64)
    if gold_array.shape != pred_array.shape:
        raise ValueError(f"gold shape {gold_array.shape} but predicted {pred_array.shape}")
    return gold_array, pred_array


def mean_squared_error(gold: np.ndarray | Sequence[float],
                       pred: np.ndarray | Sequence[float]) -> float:
    """MSE = mean((pred - gold)^2) over all elements; 0.0 when empty."""
    gold_array, pred_array = _as_pair(gold, pred)
    return ratio(float(np.sum((pred_array - gold_array) ** 2)), gold_array.size)


def mean_absolute_error(gold: np.ndarray | Sequence[float],
                        pred: np.ndarray | Sequence[float]) -> float:
    """MAE = mean(|pred - gold|) over all elements; 0.0 when empty."""
    gold_array, pred_array = _as_pair(gold, pred)
    return ratio(float(np.sum(np.abs(pred_array - gold_array))), gold_array.size)


def within_tolerance(gold: np.ndarray | Sequence[float], pred: np.ndarray | Sequence[float],
                     tolerance: float) -> float:
    """Fraction of elements with |pred - gold| <= tolerance; 0.0 when empty."""
    gold_array, pred_array = _as_pair(gold, pred)
    return ratio(int(np.count_nonzero(np.abs(pred_array - gold_array) <= tolerance)),
                  gold_array.size)
