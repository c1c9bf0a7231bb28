import pytest

from lstm_cli.data.split import split_examples
from lstm_cli.errors import ConfigError


def test_deterministic_disjoint_and_sized_by_fractions():
    items = list(range(1001))
    parts = split_examples(items, seed=5)
    assert [len(part) for part in parts.values()] == [801, 100, 100]
    assert sorted(sum(parts.values(), [])) == items
    assert split_examples(items, seed=5) == parts
    assert split_examples(items, seed=6) != parts


def test_custom_fractions():
    parts = split_examples(list(range(10)), {"train": 0.5, "test": 0.5}, seed=0)
    assert list(parts) == ["train", "test"] and len(parts["test"]) == 5


@pytest.mark.parametrize("fractions", [{"train": 0.5, "dev": 0.4}, {"a": 1.5, "b": -0.5}, {}])
def test_bad_fractions(fractions):
    with pytest.raises(ConfigError, match="summing to 1"):
        split_examples([1, 2], fractions)
