"""The papers' next-symbol criterion, the sequence-level reports and how they render."""

import numpy as np
import pytest

from lstm_cli.eval.report import report_markdown, report_sections, summary_line
from lstm_cli.eval.sequence_metrics import (
    allowed_mask,
    consecutive_correct,
    evaluate_classes,
    evaluate_values,
    strings_solved,
    symbols_ranked_first,
)

LABELS = ["E", "P", "S", "T"]


def test_a_step_is_right_when_the_allowed_symbols_are_exactly_the_top_outputs():
    allowed = allowed_mask([["P", "T"], ["S"], ["P", "T"], ["E"], ["E"]], LABELS)
    probs = np.array([[0.1, 0.4, 0.1, 0.4],      # P, T on top: right
                      [0.2, 0.1, 0.6, 0.1],      # S on top: right
                      [0.1, 0.5, 0.3, 0.1],      # T below S: wrong
                      [0.3, 0.3, 0.2, 0.2],      # E tied with P: wrong
                      [0.9, 0.0, 0.1, 0.0]])     # right
    np.testing.assert_array_equal(symbols_ranked_first(probs, allowed),
                                  [True, True, False, False, True])
    assert strings_solved([probs, probs[[0, 1, 4]]], [allowed, allowed[[0, 1, 4]]]) == \
        [False, True]


def test_a_symbol_the_model_never_learnt_makes_its_step_wrong():
    allowed = allowed_mask([["B"], ["E"]], LABELS)
    assert not allowed[0].any()
    np.testing.assert_array_equal(symbols_ranked_first(np.full((2, 4), 0.25) + [1, 0, 0, 0],
                                                       allowed), [False, True])


def test_consecutive_correct_counts_from_the_start():
    assert consecutive_correct(np.array([True, True, False, True])) == 2
    assert consecutive_correct(np.array([True] * 5)) == 5
    assert consecutive_correct(np.array([False, True])) == 0


def test_values_report():
    report = evaluate_values([np.array([0.5]), np.array([1.0]), np.array([[0.0], [1.0]])],
                             [np.array([0.52]), np.array([1.1]), np.array([[0.0], [1.03]])],
                             tolerance=0.04)
    assert report["mse"] == pytest.approx((0.02 ** 2 + 0.1 ** 2 + 0.03 ** 2) / 4)
    assert report["mae"] == pytest.approx(0.15 / 4)
    assert report["within_tolerance"] == 0.75
    assert report["sequence_accuracy"] == pytest.approx(2 / 3)
    assert (report["num_sequences"], report["num_values"]) == (3, 4)


def test_classes_report_has_accuracy_and_no_entities():
    report = evaluate_classes(["B-X", "I-X", "B-X"], ["B-X", "B-X", "B-X"], ["B-X", "I-X"])
    assert report["accuracy"] == report["sequence_accuracy"] == pytest.approx(2 / 3)
    assert report["entity"] is None and report["num_tokens"] == 3


def test_reports_render_in_every_form():
    values = {**evaluate_values([np.array([0.5])], [np.array([0.52])], 0.04), "loss": 0.1}
    classes = {**evaluate_classes(["XY", "YY"], ["XY", "XY"], ["XY", "YY"]), "loss": 0.5}
    assert summary_line(values) == "MSE 0.0004 | MAE 0.02 | within ±0.04 100.00%"
    assert summary_line(classes) == "acc 50.00% | macro F1 33.33"
    assert [s.title for s in report_sections(values)] == ["Summary"]
    assert [s.title for s in report_sections(classes)][:2] == ["Summary", "Per label"]
    assert "| MSE | 0.000400 |" in report_markdown(values)
    assert "| Accuracy | 50.00% |" in report_markdown(classes)
