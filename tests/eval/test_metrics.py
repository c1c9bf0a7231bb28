import json

import numpy as np
import pytest

from lstm_cli.eval.metrics import (
    confusion_matrix,
    edit_distance,
    evaluate_labels,
    evaluate_strings,
    label_error_rate,
    mean_absolute_error,
    mean_squared_error,
    sequence_accuracy,
    token_accuracy,
    within_tolerance,
)

LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def random_tagging(rng: np.random.Generator, labels: list[str]) -> tuple[list, list]:
    gold, pred = [], []
    for _ in range(int(rng.integers(1, 8))):
        length = int(rng.integers(0, 10))
        gold.append([labels[i] for i in rng.integers(len(labels), size=length)])
        pred.append([labels[rng.integers(len(labels))] if rng.random() < 0.4 else label
                     for label in gold[-1]])
    return gold, pred


def test_worked_example_report():
    report = evaluate_labels([["B-PER", "I-PER", "O", "B-LOC"]],
                             [["B-PER", "I-PER", "O", "I-LOC"]], LABELS)
    assert report["token_accuracy"] == 0.75
    assert report["sequence_accuracy"] == 0.0
    assert report["num_sequences"] == 1 and report["num_tokens"] == 4
    entity = report["entity"]
    assert entity["scheme"] == "IOB2"
    assert (entity["correct"], entity["found"], entity["gold"], entity["f1"]) == (2, 2, 2, 1.0)
    assert entity["per_type"]["LOC"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0,
                                         "support": 1, "found": 1, "correct": 1}
    assert report["per_label"]["B-LOC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0,
                                            "support": 1}
    assert report["confusion"]["labels"] == LABELS
    assert report["confusion"]["matrix"][LABELS.index("B-LOC")][LABELS.index("I-LOC")] == 1
    json.dumps(report, allow_nan=False)


def test_per_label_scores_match_brute_force_counts():
    rng = np.random.default_rng(5)
    for _ in range(50):
        gold, pred = random_tagging(rng, LABELS)
        report = evaluate_labels(gold, pred, LABELS)
        pairs = [(g, p) for gs, ps in zip(gold, pred, strict=True)
                 for g, p in zip(gs, ps, strict=True)]
        for label in LABELS:
            tp = sum(g == label and p == label for g, p in pairs)
            found = sum(p == label for _, p in pairs)
            support = sum(g == label for g, _ in pairs)
            precision = tp / found if found else 0.0
            recall = tp / support if support else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            scores = report["per_label"][label]
            assert scores["support"] == support
            assert scores["precision"] == pytest.approx(precision)
            assert scores["recall"] == pytest.approx(recall)
            assert scores["f1"] == pytest.approx(f1)


def test_confusion_matrix_sums_to_token_and_label_counts():
    rng = np.random.default_rng(9)
    gold, pred = random_tagging(rng, LABELS)
    matrix = confusion_matrix(gold, pred, LABELS)
    flat_gold = [g for seq in gold for g in seq]
    flat_pred = [p for seq in pred for p in seq]
    assert matrix.sum() == len(flat_gold)
    assert matrix.sum(axis=1).tolist() == [flat_gold.count(label) for label in LABELS]
    assert matrix.sum(axis=0).tolist() == [flat_pred.count(label) for label in LABELS]
    assert np.trace(matrix) == sum(g == p for g, p in zip(flat_gold, flat_pred, strict=True))


def test_micro_is_token_accuracy_and_macro_skips_unseen_labels():
    gold = [["O", "B-PER", "O", "O"]]
    pred = [["O", "O", "O", "B-PER"]]
    report = evaluate_labels(gold, pred, [*LABELS, "B-MISC"])
    assert report["micro"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert report["token_accuracy"] == 0.5
    # only O (P 2/3, R 2/3) and B-PER (P 0, R 0) occur
    assert report["macro"]["precision"] == pytest.approx((2 / 3 + 0) / 2)
    assert report["macro"]["f1"] == pytest.approx((2 / 3 + 0) / 2)


def test_labels_missing_from_the_label_list_are_appended_sorted():
    report = evaluate_labels([["O", "B-ZZZ", "B-AAA"]], [["O", "O", "O"]], ["O"])
    assert report["confusion"]["labels"] == ["O", "B-AAA", "B-ZZZ"]
    assert report["per_label"]["B-ZZZ"]["support"] == 1


def test_entity_is_none_for_pos_tags_and_when_disabled():
    gold, pred = [["DT", "NN", "VB"]], [["DT", "VB", "VB"]]
    report = evaluate_labels(gold, pred, ["DT", "NN", "VB"])
    assert report["entity"] is None
    assert report["token_accuracy"] == pytest.approx(2 / 3)
    assert evaluate_labels([["B-PER"]], [["B-PER"]], ["O", "B-PER"], scheme=None)["entity"] is None
    assert evaluate_labels([["B-PER"]], [["B-PER"]], ["B-PER"], scheme="IOBES")["entity"][
        "scheme"] == "IOBES"


def test_accuracies_and_empty_input():
    gold = [["a", "b"], ["c"], []]
    pred = [["a", "b"], ["d"], []]
    assert token_accuracy(gold, pred) == pytest.approx(2 / 3)
    assert sequence_accuracy(gold, pred) == pytest.approx(2 / 3)
    assert token_accuracy([], []) == 0.0
    report = evaluate_labels([], [], LABELS)
    assert report["num_tokens"] == 0 and report["macro"]["f1"] == 0.0


def test_misaligned_or_duplicate_input_raises():
    with pytest.raises(ValueError, match="sequence 0"):
        evaluate_labels([["O"]], [["O", "O"]], LABELS)
    with pytest.raises(ValueError):
        evaluate_labels([["O"]], [], LABELS)
    with pytest.raises(ValueError, match="duplicates"):
        evaluate_labels([["O"]], [["O"]], ["O", "O"])
    with pytest.raises(ValueError, match="B-X"):
        confusion_matrix([["B-X"]], [["O"]], ["O"])


@pytest.mark.parametrize(("reference", "hypothesis", "distance"), [
    ("", "", 0),
    ("abc", "", 3),
    ("", "ab", 2),
    ("abc", "abc", 0),
    ("kitten", "sitting", 3),
    ("flaw", "lawn", 2),
    ("abc", "cba", 2),
])
def test_edit_distance_cases(reference, hypothesis, distance):
    assert edit_distance(list(reference), list(hypothesis)) == distance
    assert edit_distance(list(hypothesis), list(reference)) == distance


def test_edit_distance_matches_textbook_dynamic_programme():
    def textbook(a: str, b: str) -> int:
        table = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
        for i in range(1, len(a) + 1):
            for j in range(1, len(b) + 1):
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1,
                                  table[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
        return table[-1][-1]

    rng = np.random.default_rng(1)
    for _ in range(300):
        a = "".join(rng.choice(list("abc"), size=int(rng.integers(0, 9))))
        b = "".join(rng.choice(list("abc"), size=int(rng.integers(0, 9))))
        assert edit_distance(list(a), list(b)) == textbook(a, b)


def test_label_error_rate_and_string_report():
    gold = [["a", "b", "c"], ["d"]]
    pred = [["a", "c"], ["d", "e"]]
    assert label_error_rate(gold, pred) == 0.5
    assert evaluate_strings(gold, pred) == {"label_error_rate": 0.5, "sequence_accuracy": 0.0,
                                            "num_sequences": 2, "num_labels": 4, "num_edits": 2}
    assert evaluate_strings([["a"]], [["a"]])["sequence_accuracy"] == 1.0
    assert label_error_rate([[]], [[]]) == 0.0


def test_regression_metrics():
    gold = np.array([[0.0, 1.0], [2.0, 3.0]])
    pred = np.array([[0.5, 1.0], [2.0, 1.0]])
    assert mean_squared_error(gold, pred) == pytest.approx((0.25 + 4.0) / 4)
    assert mean_absolute_error(gold, pred) == pytest.approx((0.5 + 2.0) / 4)
    assert within_tolerance(gold, pred, 0.5) == 0.75
    assert within_tolerance(gold, pred, 0.1) == 0.5
    assert mean_squared_error([], []) == 0.0
    with pytest.raises(ValueError, match="shape"):
        mean_absolute_error([1.0, 2.0], [1.0])
