"""What every metric here shares: the ratio formulas and the check that outputs line up."""

from __future__ import annotations

from collections.abc import Sequence


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, or 0.0 when the denominator is 0 (conlleval's default)."""
    return numerator / denominator if denominator else 0.0


def precision_recall_f1(correct: int, found: int, gold: int) -> dict[str, float]:
    """precision = correct / found, recall = correct / gold, F1 = 2PR / (P + R); 0.0 if undefined.

    `found` counts predicted items, `gold` the gold ones, `correct` those in both.
    """
    precision = ratio(correct, found)
    recall = ratio(correct, gold)
    return {"precision": precision, "recall": recall,
            "f1": ratio(2 * precision * recall, precision + recall)}


def check_aligned(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> None:
    """Raise ValueError unless gold and prediction hold as many sequences, pairwise equally long."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold sequences but {len(pred)} predicted")
    for i, (gold_labels, pred_labels) in enumerate(zip(gold, pred, strict=True)):
        if len(gold_labels) != len(pred_labels):
            raise ValueError(f"sequence {i}: {len(gold_labels)} gold labels but "
                             f"{len(pred_labels)} predicted")
