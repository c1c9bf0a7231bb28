"""The classic tasks' generators: grammatical strings, targets as defined, same seed same data,
and the datasets as `lstm data make` writes and the readers read them back."""

import numpy as np
import pytest

from lstm_cli.data.dataset import read_dataset
from lstm_cli.data.generators import BUILTIN_DATASETS, generate_splits, make
from lstm_cli.data.generators.adding import generate_adding, generate_adding_examples
from lstm_cli.data.generators.continual_reber import (
    allowed_next_stream,
    continual_reber_stream,
    generate_continual_reber,
)
from lstm_cli.data.generators.parity import generate_parity_sequence
from lstm_cli.data.generators.reber import is_embedded_reber
from lstm_cli.data.generators.temporal_order import (
    DISTRACTORS,
    WINDOWS_6A,
    WINDOWS_6B,
    generate_temporal_order,
    temporal_order_sequence,
)
from lstm_cli.data.jsonl import read_jsonl

NEW = ["parity-sequence", "continual-reber", "temporal-order", "temporal-order-3"]


def split_into_strings(stream: list[str]) -> list[list[str]]:
    """Cut a stream after each string's closing `E` (the one after the repeated branch symbol;
    the inner Reber string has its own `E`); the last piece may be an unfinished string."""
    strings, current = [], []
    for symbol in stream:
        current.append(symbol)
        if len(current) > 3 and current[-1] == "E" and current[-2] == current[1] \
                and current[-3] == "E":
            strings.append(current)
            current = []
    return strings + ([current] if current else [])


def test_continual_stream_is_embedded_reber_strings_end_to_end():
    rng = np.random.default_rng(0)
    for _ in range(20):
        stream = continual_reber_stream(rng, 300)
        assert len(stream) == 300 and stream[0] == "B"
        *complete, last = split_into_strings(stream)
        assert len(complete) >= 10
        assert all(is_embedded_reber(string) for string in complete)
        allowed = allowed_next_stream(stream)       # raises unless every prefix is grammatical
        assert all(nxt in ok for nxt, ok in zip(stream[1:], allowed, strict=False))
    assert allowed_next_stream(list("BTBTXSETEB")) [-2:] == [["B"], ["P", "T"]]
    with pytest.raises(ValueError):
        allowed_next_stream(list("BTBTXSETEE"))


def test_continual_examples_predict_the_next_symbol_with_no_reset():
    examples = generate_continual_reber(np.random.default_rng(1), 5, length=120)
    for example in examples:
        assert len(example) == 120 and example.tokens[1:] == example.labels[:-1]
        assert example.tokens.count("B") >= 5          # several strings, one sequence
        allowed = allowed_next_stream([*example.tokens, example.labels[-1]])
        assert all(label in ok for label, ok in zip(example.labels, allowed, strict=False))


@pytest.mark.parametrize("windows", [WINDOWS_6A, WINDOWS_6B], ids=["6a", "6b"])
def test_temporal_order_marks_lie_in_their_windows_and_name_the_class(windows):
    rng = np.random.default_rng(2)
    labels = set()
    for _ in range(300):
        symbols, label = temporal_order_sequence(rng, windows)
        assert 100 <= len(symbols) <= 110 and symbols[0] == "E" and symbols[-1] == "B"
        marked = [t for t, s in enumerate(symbols) if s in "XY"]
        assert len(marked) == len(windows)
        for t, (first, last) in zip(marked, windows, strict=True):
            assert first <= t + 1 <= last                  # positions count from 1
        assert "".join(symbols[t] for t in marked) == label
        assert set(symbols[1:-1]) - {"X", "Y"} <= set(DISTRACTORS)
        labels.add(label)
    assert len(labels) == 2 ** len(windows)


def test_shortened_temporal_order_and_adding_keep_their_definitions():
    examples = generate_temporal_order(np.random.default_rng(3), 50, windows=((2, 4), (8, 10)),
                                       length=(12, 13))
    assert all(12 <= len(e) <= 13 and e.label == "".join(s for s in e.tokens if s in "XY")
               for e in examples)
    for example in generate_adding_examples(np.random.default_rng(4), 50, min_steps=30):
        marked = example.frames[:, 1] == 1.0
        assert 30 <= len(example) <= 33 and marked.sum() == 2
        assert example.value == pytest.approx(0.5 + example.frames[marked, 0].sum() / 4)


def test_adding_examples_carry_the_targets_of_the_pairs():
    pairs = generate_adding(np.random.default_rng(5), 20)
    examples = generate_adding_examples(np.random.default_rng(5), 20)
    for (example, target), with_value in zip(pairs, examples, strict=True):
        np.testing.assert_array_equal(example.frames, with_value.frames)
        assert with_value.value == target


def test_parity_sequence_label_is_the_parity_of_the_whole_string():
    for example in generate_parity_sequence(np.random.default_rng(6), 100, 2, 10):
        assert 2 <= len(example) <= 10 and example.labels is None
        assert example.label == ("odd" if example.tokens.count("1") % 2 else "even")


@pytest.mark.parametrize("name", NEW)
def test_same_seed_same_data(name):
    first, again, other = (generate_splits(name, seed, 40) for seed in (7, 7, 8))
    tokens = {part: [e.tokens for e in items] for part, items in first.items()}
    assert tokens == {part: [e.tokens for e in items] for part, items in again.items()}
    assert tokens != {part: [e.tokens for e in items] for part, items in other.items()}


@pytest.mark.parametrize("name", [*NEW, "adding"])
def test_made_files_read_back_with_their_targets(tmp_path, name):
    spec = BUILTIN_DATASETS[name]
    train, *_ = make(name, tmp_path, seed=0, size=20)
    read = read_dataset(train, spec.format)
    generated = generate_splits(name, 0, 20)["train"]
    assert [e.tokens for e in read] == [e.tokens for e in generated]
    assert [e.label for e in read] == [e.label for e in generated]
    assert [e.labels for e in read] == [e.labels for e in generated]
    if name == "adding":
        np.testing.assert_allclose([float(e.value) for e in read],
                                   [float(e.value) for e in generated])
    if name == "continual-reber":
        assert all(len(e) == 500 for e in read_jsonl(train))
