from pathlib import Path

import pytest

from lstm_cli.data.conll import iter_conll, read_conll, write_conll
from lstm_cli.data.types import Example
from lstm_cli.errors import DataError

SEED_NEWS = Path(__file__).parents[2] / ".." / "shared" / "data" / "seed-news"


def write(tmp_path: Path, text: str, name: str = "data.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_reads_sequences_labels_and_sources(tmp_path):
    path = write(tmp_path, "The DT O\ncat NN B-X\n\n\nsat VB O\n")
    first, second = read_conll(path)
    assert first.tokens == ["The", "cat"] and first.labels == ["O", "B-X"]
    assert second.tokens == ["sat"] and second.source == f"{path}:5"
    assert first.source == f"{path}:1"


def test_chosen_columns_features_and_negative_indices(tmp_path):
    path = write(tmp_path, "The DT O\ncat NN B-X\n")
    (example,) = read_conll(path, token_column=-3, label_column=1, features={"tag": -1})
    assert example.tokens == ["The", "cat"]
    assert example.labels == ["DT", "NN"]
    assert example.features == {"tag": ["O", "B-X"]}


def test_unlabelled_when_label_column_is_none(tmp_path):
    (example,) = read_conll(write(tmp_path, "a\nb\n"), label_column=None)
    assert example.labels is None and example.tokens == ["a", "b"]


def test_docstart_and_comment_lines_are_skipped_but_hash_tokens_kept(tmp_path):
    text = "-DOCSTART- -X- O\n\n# sent_id = 1\na O\n# O\n"
    (example,) = read_conll(write(tmp_path, text))
    assert example.tokens == ["a", "#"]


def test_crlf_and_tab_separator(tmp_path):
    path = write(tmp_path, "New York\tB-LOC\r\nis\tO\r\n\r\n")
    (example,) = read_conll(path, separator="\t")
    assert example.tokens == ["New York", "is"] and example.labels == ["B-LOC", "O"]


def test_iter_conll_streams_lazily(tmp_path):
    path = write(tmp_path, "a O\n\nb O\n\nc O\nd\n")
    sequences = iter_conll(path)
    assert next(sequences).tokens == ["a"]
    assert next(sequences).tokens == ["b"]
    with pytest.raises(DataError, match="as on line 1") as error:
        next(sequences)
    assert error.value.line == 6


def test_write_then_read_round_trip(tmp_path):
    examples = [Example(["a", "b"], ["O", "B-X"], {"pos": ["DT", "NN"]}),
                Example(["c"], ["O"], {"pos": ["X"]})]
    write_conll(tmp_path / "out.txt", examples)
    back = read_conll(tmp_path / "out.txt", features={"pos": 1})
    assert [(e.tokens, e.labels, e.features) for e in back] == [
        (e.tokens, e.labels, e.features) for e in examples]


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="found nothing"):
        read_conll(tmp_path / "nope.txt")


def test_directory(tmp_path):
    with pytest.raises(DataError, match="directory"):
        read_conll(tmp_path)


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n\n"])
def test_empty_file(tmp_path, text):
    with pytest.raises(DataError, match="at least one sequence"):
        read_conll(write(tmp_path, text))


def test_not_utf8_names_the_byte_offset(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"a O\ncaf\xe9 O\n")
    with pytest.raises(DataError, match="0xe9 at byte offset 7") as error:
        read_conll(path)
    assert error.value.line == 2


def test_wrong_column_count_names_both_lines(tmp_path):
    path = write(tmp_path, "a DT O\nb NN\n")
    with pytest.raises(DataError, match=r"expected 3 columns \(as on line 1\), found 2") as error:
        read_conll(path)
    assert error.value.line == 2


def test_empty_label(tmp_path):
    with pytest.raises(DataError, match="expected a label") as error:
        read_conll(write(tmp_path, "a\tO\nb\t\n"), separator="\t")
    assert error.value.line == 2


def test_whitespace_only_token(tmp_path):
    with pytest.raises(DataError, match="expected a token .* whitespace-only"):
        read_conll(write(tmp_path, "a\tO\n \tO\n"), separator="\t")


def test_column_index_out_of_range(tmp_path):
    with pytest.raises(DataError, match="label column at index 2, found only 2 columns"):
        read_conll(write(tmp_path, "a O\n"), label_column=2)


@pytest.mark.skipif(not SEED_NEWS.exists(), reason="shared seed data not present")
def test_reads_the_seed_news_file():
    examples = read_conll(SEED_NEWS / "news_tagged_data.txt")
    assert len(examples) == 1000
    assert sum(map(len, examples)) == 11100
