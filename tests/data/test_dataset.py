import pytest

from lstm_cli.data.dataset import read_dataset
from lstm_cli.errors import ConfigError


def test_dispatches_on_format_with_options(tmp_path):
    path = tmp_path / "data.txt"
    path.write_text("a x O\n")
    assert read_dataset(path, "conll", label_column=1)[0].labels == ["x"]
    assert read_dataset(path, "text")[0].tokens == ["a", "x", "O"]


def test_unknown_format_and_option(tmp_path):
    with pytest.raises(ConfigError, match="conll, conllu, jsonl, dense, text"):
        read_dataset(tmp_path / "x", "csv")
    with pytest.raises(ConfigError, match="among label_field, found label_column"):
        read_dataset(tmp_path / "x", "conllu", label_column=1)
