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


def test_a_docstart_sequence_of_its_own_is_a_document_marker(tmp_path):
    text = "-DOCSTART- -X- O\n\na X O\n\n-DOCSTART-\n"
    (example,) = read_conll(write(tmp_path, text))
    assert example.tokens == ["a"] and example.source.endswith(":3")


@pytest.mark.parametrize("lines, tokens", [
    (["-DOCSTART- X O", "a X O"], ["-DOCSTART-", "a"]),
    (["a X O", "-DOCSTART- X O"], ["a", "-DOCSTART-"]),
    (["a X O", "-DOCSTART- X O", "b X O"], ["a", "-DOCSTART-", "b"]),
])
def test_docstart_next_to_other_tokens_is_a_token(tmp_path, lines, tokens):
    (example,) = read_conll(write(tmp_path, "\n".join(lines) + "\n"))
    assert example.tokens == tokens and example.labels == ["O"] * len(tokens)


@pytest.mark.parametrize("text, line", [("-DOCSTART-\na X O\n", 1), ("a X O\n-DOCSTART-\n", 2)])
def test_a_docstart_token_needs_the_column_count(tmp_path, text, line):
    with pytest.raises(DataError, match="column") as error:
        read_conll(write(tmp_path, text))
    assert error.value.line == line


@pytest.mark.parametrize("text", ["# x O\na X O\n", "a X O\n# x O\n", "#\tX\tO\na X O\n",
                                  "# sent_id = 1\n"])
def test_hash_lines_are_tokens_without_a_comment_prefix(tmp_path, text):
    if text.startswith("# sent_id"):                 # 4 columns: a token line of 4 columns
        (example,) = read_conll(write(tmp_path, text))
        assert example.tokens == ["#"] and example.labels == ["1"]
        return
    (example,) = read_conll(write(tmp_path, text))
    assert "#" in example.tokens and len(example.tokens) == 2


def test_with_a_comment_prefix_only_lines_of_another_column_count_are_comments(tmp_path):
    text = "# newdoc\n# sent_id = 1\n# X O\na X O\n\n# text = b c\n# X O\n\na X O\n"
    first, second, third = read_conll(write(tmp_path, text), comment_prefix="#")
    assert first.tokens == ["#", "a"] and first.source.endswith(":3")
    assert second.tokens == ["#"] and second.source.endswith(":7")
    assert third.tokens == ["a"]
    with pytest.raises(DataError, match="expected 3 columns") as error:   # inside a sequence
        read_conll(write(tmp_path, text + "# sent_id = 2\n"), comment_prefix="#")
    assert error.value.line == 10


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


@pytest.mark.parametrize("text, options", [("", {}), ("\n\n", {}),
                                           ("# only a comment\n\n", {"comment_prefix": "#"}),
                                           ("-DOCSTART- -X- O\n\n", {})])
def test_empty_file(tmp_path, text, options):
    with pytest.raises(DataError, match="at least one sequence"):
        read_conll(write(tmp_path, text), **options)


@pytest.mark.parametrize("line", ["\tX\tO", "a\t\tO", "a\tX\t", " \tX\tO", "\u00a0\tX\tO"])
@pytest.mark.parametrize("position", [0, 1, 2])
def test_an_empty_field_is_an_error_naming_its_line(tmp_path, line, position):
    lines = ["b X O", "c X O"]
    lines.insert(position, line)
    with pytest.raises(DataError, match="empty or whitespace-only") as error:
        read_conll(write(tmp_path, "\n".join(lines) + "\n"))
    assert error.value.line == position + 1


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
