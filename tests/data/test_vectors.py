from pathlib import Path

import numpy as np
import pytest

from lstm_cli.data.vectors import Vectors, build_embedding_matrix, read_vectors
from lstm_cli.data.vocab import Vocab
from lstm_cli.errors import DataError

SEED_NEWS = Path(__file__).parents[2] / ".." / "shared" / "data" / "seed-news"


def write(tmp_path, text):
    path = tmp_path / "vectors.txt"
    path.write_text(text)
    return path


def test_glove_style_with_trailing_tabs_like_the_seed_file(tmp_path):
    vectors = read_vectors(write(tmp_path, "cat\t0.1\t-0.2\t\ndog\t1e-3\t2\t\n\n"))
    assert vectors.words == ["cat", "dog"] and vectors.dim == 2
    np.testing.assert_allclose(vectors.matrix, [[0.1, -0.2], [0.001, 2.0]])


def test_word2vec_and_fasttext_header(tmp_path):
    vectors = read_vectors(write(tmp_path, "2 3\ncat 1 2 3\ncat 4 5 6\n"), dim=3)
    assert vectors.words == ["cat"]
    np.testing.assert_array_equal(vectors.matrix, [[1, 2, 3]])


def test_keep_limits_the_words(tmp_path):
    vectors = read_vectors(write(tmp_path, "a 1\nb 2\nc 3\n"), keep={"c", "a"})
    assert vectors.words == ["a", "c"]


@pytest.mark.parametrize(("text", "dim", "message", "line"), [
    ("a 1 2\nb 1 2 3\n", None, r"expected 2 values after the word \(as on line 1\), found 3", 2),
    ("a 1 nan\n", None, "expected finite numbers, found 'nan' in column 3", 1),
    ("a 1 -inf\n", None, "finite", 1),
    ("a 1 2\nb 1 x2\n", None, "expected a number in column 3, found 'x2'", 2),
    ("a 1 2\n", 3, "expected 3-dimensional vectors, found 2", 1),
    ("2 4\na 1 2 3 4\n", 3, "expected 3-dimensional vectors, the header says 4", 1),
    ("3 2\na 1 2\nb 1 2\n", None, r"expected 3 vectors \(as the header on line 1 says\)", None),
    ("\n", None, "at least one word vector", None),
])
def test_malformed_vector_files(tmp_path, text, dim, message, line):
    with pytest.raises(DataError, match=message) as error:
        read_vectors(write(tmp_path, text), dim=dim)
    assert error.value.line == line


def test_embedding_matrix_with_lowercase_fallback_and_coverage():
    vocab = Vocab.build([["the", "Paris", "the", "zzz"]])
    vectors = Vectors(words=["the", "paris"], matrix=np.array([[1.0, 1.0], [2.0, 2.0]]))
    matrix, coverage = build_embedding_matrix(vocab, vectors, np.random.default_rng(0),
                                              scale=0.01)
    np.testing.assert_array_equal(matrix[0], [0, 0])
    np.testing.assert_array_equal(matrix[vocab.ids["the"]], [1, 1])
    np.testing.assert_array_equal(matrix[vocab.ids["Paris"]], [2, 2])
    assert np.abs(matrix[[vocab.unk_id, vocab.ids["zzz"]]]).max() <= 0.01
    assert (coverage.types, coverage.types_covered, coverage.types_lowercased) == (3, 2, 1)
    assert (coverage.tokens, coverage.tokens_covered) == (4, 3)
    assert "2/3 (66.7%) types" in coverage.describe()
    again, _ = build_embedding_matrix(vocab, vectors, np.random.default_rng(0), scale=0.01)
    np.testing.assert_array_equal(matrix, again)


@pytest.mark.skipif(not SEED_NEWS.exists(), reason="shared seed data not present")
def test_reads_the_seed_word_vectors():
    vectors = read_vectors(SEED_NEWS / "wordvecs.txt", dim=300)
    assert vectors.matrix.shape == (930, 300)
    assert -0.28 < vectors.matrix.min() and vectors.matrix.max() < 0.25


def test_vector_dim_reads_the_width_as_read_vectors_does(tmp_path):
    from lstm_cli.data.vectors import vector_dim

    with_header = tmp_path / "a.txt"
    with_header.write_text("\n2 3\nthe 0.1 0.2 0.3\nof 0 0 1\n", encoding="utf-8")
    plain = tmp_path / "b.txt"
    plain.write_text("\nthe 0.1 0.2\n", encoding="utf-8")
    assert vector_dim(with_header) == read_vectors(with_header).dim == 3
    assert vector_dim(plain) == read_vectors(plain).dim == 2
