import pytest

from lstm_cli.data.text import read_text
from lstm_cli.errors import DataError


def test_one_unlabelled_sequence_per_non_blank_line(tmp_path):
    path = tmp_path / "in.txt"
    path.write_bytes(b"show me  news\r\n\r\n   \ntop stories\n")
    first, second = read_text(path)
    assert first.tokens == ["show", "me", "news"] and first.labels is None
    assert second.tokens == ["top", "stories"] and second.source == f"{path}:4"


def test_blank_file(tmp_path):
    (tmp_path / "in.txt").write_text("\n \n")
    with pytest.raises(DataError, match="at least one sequence"):
        read_text(tmp_path / "in.txt")
