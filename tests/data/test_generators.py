from pathlib import Path

import numpy as np
import pytest

from lstm_cli.data.dataset import read_dataset
from lstm_cli.data.dense import read_seq_targets
from lstm_cli.data.generators import BUILTIN_DATASETS, make
from lstm_cli.data.generators.adding import adding_sequence
from lstm_cli.data.generators.queries import generate_queries
from lstm_cli.data.generators.reber import (
    SYMBOLS,
    allowed_next,
    embedded_reber_string,
    is_embedded_reber,
)
from lstm_cli.data.jsonl import read_jsonl
from lstm_cli.errors import ConfigError

REPO = Path(__file__).parents[2]


@pytest.mark.parametrize("name", sorted(BUILTIN_DATASETS))
def test_same_seed_same_bytes_and_readable(tmp_path, name):
    spec = BUILTIN_DATASETS[name]
    first = make(name, tmp_path / "a", seed=3, size=60)
    second = make(name, tmp_path / "b", seed=3, size=60)
    other = make(name, tmp_path / "c", seed=4, size=60)
    assert [p.name for p in first] == [f"{part}{spec.suffix}" for part in ("train", "dev", "test")]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    assert [p.read_bytes() for p in first] != [p.read_bytes() for p in other]
    sizes = [len(read_dataset(path, spec.format)) for path in first]
    assert sizes == [48, 6, 6]


def test_queries_are_iob2_with_four_types_and_about_eleven_tokens():
    examples = generate_queries(np.random.default_rng(0), 400)
    labels = {label for e in examples for label in e.labels}
    types = {"KEYWORDS", "NEWSTYPE", "PROVIDER", "SECTION"}
    assert labels == {"O"} | {f"{p}-{t}" for p in "BI" for t in types}
    for example in examples:
        for previous, label in zip(["O", *example.labels], example.labels, strict=False):
            assert not label.startswith("I-") or previous[2:] == label[2:]
    assert 9 < np.mean([len(e) for e in examples]) < 13
    business = {label for e in examples for t, label in zip(e.tokens, e.labels, strict=True)
                if t == "business"}
    assert {"B-SECTION", "B-KEYWORDS", "I-PROVIDER"} <= business


def test_shipped_queries_copy_matches_the_generator(tmp_path):
    shipped = REPO / "data" / "queries"
    for path in make("queries", tmp_path, seed=0):
        assert path.read_bytes() == (shipped / path.name).read_bytes()


def test_embedded_reber_strings_are_grammatical_with_allowed_sets(tmp_path):
    rng = np.random.default_rng(0)
    for _ in range(200):
        string = embedded_reber_string(rng)
        assert is_embedded_reber(string) and string[1] == string[-2]
        assert set(string) <= set(SYMBOLS)
    assert not is_embedded_reber(list("BTBTXSETE")[:-1]) and not is_embedded_reber(list("BTBTE"))
    assert allowed_next(list("BTBT")) == [["P", "T"], ["B"], ["P", "T"], ["S", "X"]]
    (train, *_) = make("embedded-reber", tmp_path, seed=1, size=20)
    for example in read_jsonl(train):
        string = [*example.tokens, example.labels[-1]]
        assert is_embedded_reber(string) and example.labels == string[1:]
        assert all(label in allowed for label, allowed in zip(
            example.labels, allowed_next(example.tokens), strict=True))


def test_adding_targets_follow_the_definition(tmp_path):
    rng = np.random.default_rng(0)
    for _ in range(100):
        frames, target = adding_sequence(rng, min_steps=20)
        marked = np.flatnonzero(frames[:, 1] == 1.0)
        assert 20 <= len(frames) <= 22 and len(marked) == 2
        assert marked[0] < 10 and marked[1] < 20 // 2
        assert target == pytest.approx(0.5 + frames[marked, 0].sum() / 4)
        ends = [t for t in (0, len(frames) - 1) if t not in marked]
        assert (frames[ends, 1] == -1.0).all()
        assert (frames[:, 0] >= -1).all() and (frames[:, 0] <= 1).all()
    (train, *_) = make("adding", tmp_path, seed=0, size=10)
    examples = read_dataset(train, "dense")
    targets = read_seq_targets(train)
    for example, target in zip(examples, targets, strict=True):
        marked = example.frames[:, 1] == 1.0
        assert target == pytest.approx(0.5 + example.frames[marked, 0].sum() / 4)


def test_parity_labels_are_running_parity(tmp_path):
    (train, *_) = make("parity", tmp_path, seed=0, size=20)
    for example in read_jsonl(train):
        ones = np.cumsum([int(bit) for bit in example.tokens])
        assert example.labels == ["odd" if n % 2 else "even" for n in ones]


def test_unknown_dataset(tmp_path):
    with pytest.raises(ConfigError, match="found .mnist."):
        make("mnist", tmp_path, seed=0)
