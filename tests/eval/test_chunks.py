import warnings

import numpy as np
import pytest
from seqeval.metrics import classification_report, f1_score, precision_score, recall_score

from lstm_cli.data.schemes import (
    allowed_ends,
    allowed_starts,
    allowed_transitions,
    crf_constraints,
    detect_scheme,
    is_valid_sequence,
    split_label,
)
from lstm_cli.errors import ConfigError, DataError
from lstm_cli.eval.chunks import extract_chunks, score_chunks

TYPES = ("PER", "LOC", "ORG", "MISC")
IOB2_LABELS = ["O", *(f"{p}-{t}" for t in TYPES for p in "BI")]
IOBES_LABELS = ["O", *(f"{p}-{t}" for t in TYPES for p in "BIES")]


def counts(report: dict) -> tuple[int, int, int]:
    return report["correct"], report["found"], report["gold"]


# --- conlleval semantics on hand cases ------------------------------------------------------

def test_split_label_at_first_hyphen_like_conlleval():
    assert split_label("B-PER") == ("B", "PER")
    assert split_label("I-sub-type") == ("I", "sub-type")
    assert split_label("O") == ("O", "")
    assert split_label("NN") == ("NN", "")


def test_i_after_o_starts_a_chunk_so_the_worked_example_is_all_correct():
    report = score_chunks([["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "I-PER", "O", "I-LOC"]])
    assert counts(report) == (2, 2, 2)
    assert report["f1"] == 1.0
    assert extract_chunks(["O", "I-PER", "I-PER"]) == [("PER", 1, 3)]


def test_i_of_another_type_after_b_ends_one_chunk_and_starts_another():
    assert extract_chunks(["B-PER", "I-LOC", "I-LOC"]) == [("PER", 0, 1), ("LOC", 1, 3)]
    assert extract_chunks(["I-PER", "I-LOC"]) == [("PER", 0, 1), ("LOC", 1, 2)]


def test_b_after_a_chunk_of_the_same_type_starts_a_new_chunk():
    assert extract_chunks(["B-PER", "B-PER", "I-PER"]) == [("PER", 0, 1), ("PER", 1, 3)]


def test_sentence_boundary_ends_chunks():
    report = score_chunks([["I-PER"], ["I-PER"]], [["I-PER"], ["I-PER"]])
    assert counts(report) == (2, 2, 2)


def test_chunk_must_match_both_ends_and_type():
    assert counts(score_chunks([["B-PER", "I-PER"]], [["B-PER", "O"]])) == (0, 1, 1)
    assert counts(score_chunks([["B-PER", "O"]], [["B-PER", "I-PER"]])) == (0, 1, 1)
    assert counts(score_chunks([["B-PER", "I-PER"]], [["B-PER", "B-PER"]])) == (0, 2, 1)
    report = score_chunks([["B-PER", "O"]], [["B-LOC", "O"]])
    assert counts(report) == (0, 1, 1)
    assert report["per_type"]["PER"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0,
                                         "support": 1, "found": 0, "correct": 0}
    assert report["per_type"]["LOC"]["found"] == 1
    assert report["per_type"]["LOC"]["support"] == 0


def test_seqeval_documented_example_scores_one_half():
    gold = [["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
    pred = [["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
    report = score_chunks(gold, pred)
    assert (report["precision"], report["recall"], report["f1"]) == (0.5, 0.5, 0.5)
    assert list(report["per_type"]) == ["MISC", "PER"]


def test_conlleval_bracket_tags_are_one_token_chunks():
    assert extract_chunks(["[-NP", "]-NP"]) == [("NP", 0, 1), ("NP", 1, 2)]


def test_iobes_singletons_and_adjacent_chunks_are_separate():
    assert extract_chunks(["S-PER", "S-PER"]) == [("PER", 0, 1), ("PER", 1, 2)]
    assert extract_chunks(["B-PER", "E-PER", "B-PER", "E-PER"]) == [("PER", 0, 2), ("PER", 2, 4)]
    assert extract_chunks(["B-PER", "I-PER", "E-PER", "S-LOC", "O"]) == [("PER", 0, 3),
                                                                         ("LOC", 3, 4)]
    report = score_chunks([["B-PER", "E-PER", "S-PER"]], [["B-PER", "E-PER", "B-PER"]])
    assert counts(report) == (2, 2, 2)


def test_no_chunks_without_a_chunk_label():
    assert extract_chunks([]) == []
    assert extract_chunks(["O", "O"]) == []
    assert counts(score_chunks([[]], [[]])) == (0, 0, 0)
    assert score_chunks([["O"]], [["O"]])["f1"] == 0.0


def test_misaligned_input_raises():
    with pytest.raises(ValueError):
        score_chunks([["O"]], [["O", "O"]])
    with pytest.raises(ValueError):
        score_chunks([["O"]], [])


# --- cross-check against seqeval's default (conlleval-compatible) mode ----------------------

def random_corpus(rng: np.random.Generator, labels: list[str]) -> tuple[list, list]:
    """Gold drawn freely from `labels` (so I- after O, type switches, ...); the prediction is
    the gold with about a third of the tokens replaced, so many chunks still match."""
    weights = np.array([4.0 if label == "O" else 1.0 for label in labels])
    weights /= weights.sum()
    gold, pred = [], []
    for _ in range(rng.integers(1, 5)):
        length = int(rng.integers(0, 13))
        sentence = [labels[i] for i in rng.choice(len(labels), size=length, p=weights)]
        guess = [labels[rng.integers(len(labels))] if rng.random() < 0.3 else label
                 for label in sentence]
        gold.append(sentence)
        pred.append(guess)
    return gold, pred


@pytest.mark.parametrize("labels", [IOB2_LABELS, IOBES_LABELS], ids=["IOB2", "IOBES"])
def test_matches_seqeval_default_mode_on_random_taggings(labels):
    rng = np.random.default_rng(20240601)
    for _ in range(250):
        gold, pred = random_corpus(rng, labels)
        ours = score_chunks(gold, pred)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert ours["f1"] == pytest.approx(f1_score(gold, pred, zero_division=0))
            assert ours["precision"] == pytest.approx(precision_score(gold, pred, zero_division=0))
            assert ours["recall"] == pytest.approx(recall_score(gold, pred, zero_division=0))
            theirs = classification_report(gold, pred, output_dict=True, zero_division=0)
        per_type = {name: scores for name, scores in theirs.items() if "avg" not in name}
        assert sorted(per_type) == list(ours["per_type"])
        for type_, scores in ours["per_type"].items():
            assert scores["precision"] == pytest.approx(per_type[type_]["precision"])
            assert scores["recall"] == pytest.approx(per_type[type_]["recall"])
            assert scores["f1"] == pytest.approx(per_type[type_]["f1-score"])
            assert scores["support"] == per_type[type_]["support"]


def test_streaming_counts_equal_chunk_set_counts_on_random_taggings():
    rng = np.random.default_rng(7)
    for _ in range(200):
        gold, pred = random_corpus(rng, IOBES_LABELS)
        gold_chunks = {(i, c) for i, seq in enumerate(gold) for c in extract_chunks(seq)}
        pred_chunks = {(i, c) for i, seq in enumerate(pred) for c in extract_chunks(seq)}
        assert counts(score_chunks(gold, pred)) == (len(gold_chunks & pred_chunks),
                                                    len(pred_chunks), len(gold_chunks))


# --- schemes --------------------------------------------------------------------------------

def random_spans(rng: np.random.Generator, length: int) -> list[tuple[str, int, int]]:
    spans, i = [], 0
    while i < length:
        if rng.random() < 0.4:
            i += 1
            continue
        end = min(length, i + int(rng.integers(1, 4)))
        spans.append((TYPES[rng.integers(2)], i, end))  # two types: adjacent same-type chunks
        i = end
    return spans


def encode(spans: list[tuple[str, int, int]], length: int, scheme: str) -> list[str]:
    labels = ["O"] * length
    previous_end, previous_type = -1, ""
    for type_, start, end in spans:
        for i in range(start, end):
            labels[i] = f"I-{type_}"
        follows_same_type = (previous_end, previous_type) == (start, type_)
        if scheme == "IOB2" or (scheme == "IOB1" and follows_same_type):
            labels[start] = f"B-{type_}"
        if scheme == "IOBES":
            if end - start == 1:
                labels[start] = f"S-{type_}"
            else:
                labels[start], labels[end - 1] = f"B-{type_}", f"E-{type_}"
        previous_end, previous_type = end, type_
    return labels


def test_iob1_iob2_and_iobes_encodings_of_the_same_chunks_score_alike():
    rng = np.random.default_rng(3)
    for _ in range(200):
        length = int(rng.integers(0, 12))
        spans = random_spans(rng, length)
        for scheme in ("IOB1", "IOB2", "IOBES"):
            labels = encode(spans, length, scheme)
            assert extract_chunks(labels) == spans, (scheme, labels)
            assert is_valid_sequence(labels, scheme), (scheme, labels)
        iob1, iob2 = encode(spans, length, "IOB1"), encode(spans, length, "IOB2")
        assert counts(score_chunks([iob1], [iob2])) == (len(spans),) * 3


@pytest.mark.parametrize(("labels", "expected"), [
    (["O", "B-PER", "I-PER", "B-LOC", "I-LOC"], "IOB2"),
    (["O", "B-PER"], "IOB2"),
    (["O", "I-PER", "I-LOC", "B-LOC"], "IOB1"),
    (["O", "B-PER", "I-PER", "E-PER", "S-PER"], "IOBES"),
    (["O", "S-PER"], "IOBES"),
    (["NN", "VB", "DT"], None),
    (["O", "B-PER", "NN"], None),
    (["O", "B-PER", "X-PER"], None),
    (["O", "B-"], None),
    (["O", "O-PER"], None),
    (["O"], None),
    ([], None),
])
def test_detect_scheme(labels, expected):
    assert detect_scheme(labels) == expected


@pytest.mark.parametrize(("labels", "scheme", "valid"), [
    (["B-PER", "I-PER", "O", "B-LOC"], "IOB2", True),
    (["O", "I-PER"], "IOB2", False),
    (["I-PER"], "IOB2", False),
    (["B-PER", "I-LOC"], "IOB2", False),
    (["I-PER", "I-PER", "B-PER"], "IOB1", True),
    (["O", "I-PER"], "IOB1", True),
    (["B-PER"], "IOB1", False),
    (["I-LOC", "B-PER"], "IOB1", False),
    (["O", "B-PER"], "IOB1", False),
    (["B-PER", "I-PER", "E-PER", "S-LOC", "O"], "IOBES", True),
    (["S-PER", "S-PER"], "IOBES", True),
    (["B-PER"], "IOBES", False),
    (["I-PER", "E-PER"], "IOBES", False),
    (["B-PER", "O"], "IOBES", False),
    (["B-PER", "E-LOC"], "IOBES", False),
    (["E-PER"], "IOBES", False),
    ([], "IOBES", True),
])
def test_is_valid_sequence(labels, scheme, valid):
    assert is_valid_sequence(labels, scheme) is valid


@pytest.mark.parametrize(("scheme", "label_list"), [
    ("IOB1", IOB2_LABELS), ("IOB2", IOB2_LABELS), ("IOBES", IOBES_LABELS)])
def test_allowed_masks_agree_with_is_valid_sequence(scheme, label_list):
    transitions = allowed_transitions(label_list, scheme)
    starts, ends = allowed_starts(label_list, scheme), allowed_ends(label_list, scheme)
    assert transitions.shape == (len(label_list), len(label_list)) and transitions.dtype == bool
    assert starts.shape == ends.shape == (len(label_list),)
    rng = np.random.default_rng(11)
    for _ in range(300):
        ids = rng.integers(len(label_list), size=int(rng.integers(1, 6)))
        by_masks = bool(starts[ids[0]] and ends[ids[-1]]
                        and all(transitions[a, b] for a, b in zip(ids, ids[1:], strict=False)))
        assert is_valid_sequence([label_list[i] for i in ids], scheme) is by_masks


def test_iob2_transition_mask_rows_are_previous_labels():
    labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    transitions = allowed_transitions(labels, "IOB2")
    assert transitions[labels.index("B-PER"), labels.index("I-PER")]
    assert transitions[labels.index("I-PER"), labels.index("I-PER")]
    assert not transitions[labels.index("O"), labels.index("I-PER")]
    assert not transitions[labels.index("B-LOC"), labels.index("I-PER")]
    assert transitions[labels.index("I-PER"), labels.index("B-LOC")]
    assert allowed_starts(labels, "IOB2").tolist() == [True, True, False, True, False]
    assert allowed_ends(labels, "IOB2").all()


def test_crf_constraints_bundle_the_three_masks():
    transitions, starts, ends = crf_constraints(IOBES_LABELS, "IOBES")
    assert (transitions == allowed_transitions(IOBES_LABELS, "IOBES")).all()
    assert (starts == allowed_starts(IOBES_LABELS, "IOBES")).all()
    assert (ends == allowed_ends(IOBES_LABELS, "IOBES")).all()


def test_iobes_start_and_end_vectors():
    labels = ["O", "B-PER", "I-PER", "E-PER", "S-PER"]
    assert allowed_starts(labels, "IOBES").tolist() == [True, True, False, False, True]
    assert allowed_ends(labels, "IOBES").tolist() == [True, False, False, True, True]


def test_labels_outside_the_scheme_and_unknown_schemes_are_user_errors():
    with pytest.raises(DataError, match="NN"):
        allowed_transitions(["O", "NN"], "IOB2")
    with pytest.raises(DataError):
        is_valid_sequence(["S-PER"], "IOB2")
    with pytest.raises(ConfigError, match="BIO"):
        allowed_starts(["O"], "BIO")
