"""Properties of every reader of user data files (CoNLL, CoNLL-U, JSON Lines, plain text, .npz,
word vectors): any bytes either load or raise a DataError naming the file (and a line of it),
never another exception and never a hang; well-formed files written by the writers read back
unchanged.

(What a CoNLL line starting with `#` means is left to tests/data/test_conll.py.)
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from lstm_cli.data.conll import read_conll, write_conll
from lstm_cli.data.conllu import read_conllu
from lstm_cli.data.dense import read_dense, write_dense
from lstm_cli.data.jsonl import read_jsonl, write_jsonl
from lstm_cli.data.text import read_text
from lstm_cli.data.types import Example
from lstm_cli.data.vectors import read_vectors
from tests.properties import (
    AWKWARD_PIECES,
    awkward_text,
    file_bytes,
    loads_or_names_the_file,
    nested_values,
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- column files ------------------------------------------------------------------------------

FIELD = st.one_of(st.sampled_from(["the", "paris", "O", "B-LOC", "NN", "_", "x y", "1", "-",
                                   "3-4", "8.1", *AWKWARD_PIECES]),
                  st.text(max_size=4))


def column_lines(min_fields: int, max_fields: int, separators: list[str]) -> st.SearchStrategy:
    """Lines of `min_fields`..`max_fields` fields, with blank lines between runs of them."""
    line = st.builds(lambda fields, sep: sep.join(fields),
                     st.lists(FIELD, min_size=min_fields, max_size=max_fields),
                     st.sampled_from(separators))
    return st.lists(st.one_of(line, st.just("")), max_size=12).map(
        lambda lines: "".join(f"{text}\n" for text in lines))


@given(data=file_bytes(column_lines(1, 4, ["\t", " ", "  "])),
       options=st.sampled_from([{}, {"separator": "\t"}, {"label_column": None},
                                {"token_column": 1, "label_column": 2, "features": {"pos": -1}}]))
def test_conll_reads_any_bytes_or_names_the_line(tmp_path_factory, data, options):
    path = write(tmp_path_factory.mktemp("conll"), "data.txt", data)
    examples = loads_or_names_the_file(lambda: read_conll(path, **options), path)
    for example in examples or []:
        assert example.tokens and all(token.strip() for token in example.tokens)
        if options.get("label_column", -1) is not None:
            assert len(example.labels) == len(example.tokens)
            assert all(label.strip() for label in example.labels)
        assert all(len(values) == len(example) for values in example.features.values())


TOKEN = st.text(st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc")),
                min_size=1, max_size=6).filter(
    lambda token: token != "-DOCSTART-" and not any(c.isspace() for c in token))


@given(sequences=st.lists(st.lists(st.tuples(TOKEN, TOKEN, TOKEN), min_size=1, max_size=5),
                          min_size=1, max_size=5))
def test_conll_reads_back_what_write_conll_wrote(tmp_path_factory, sequences):
    path = tmp_path_factory.mktemp("conll") / "data.txt"
    examples = [Example(tokens=[row[0] for row in rows], labels=[row[2] for row in rows],
                        features={"pos": [row[1] for row in rows]}) for rows in sequences]
    write_conll(path, examples)
    for separator in (None, "\t"):
        back = read_conll(path, features={"pos": 1}, separator=separator)
        assert [(e.tokens, e.features, e.labels) for e in back] == \
            [(e.tokens, e.features, e.labels) for e in examples]


def conllu_lines() -> st.SearchStrategy[str]:
    ten = st.lists(FIELD, min_size=10, max_size=10).map("\t".join)
    other = st.lists(FIELD, min_size=1, max_size=12).map("\t".join)
    return st.lists(st.one_of(ten, ten, other, st.just(""), st.just("# sent_id = 1")),
                    max_size=12).map(lambda lines: "".join(f"{text}\n" for text in lines))


@given(data=file_bytes(conllu_lines()), label_field=st.sampled_from(["upos", "deprel", None]))
def test_conllu_reads_any_bytes_or_names_the_line(tmp_path_factory, data, label_field):
    path = write(tmp_path_factory.mktemp("conllu"), "data.conllu", data)
    examples = loads_or_names_the_file(lambda: read_conllu(path, label_field=label_field), path)
    for example in examples or []:
        assert example.tokens and all(token.strip() for token in example.tokens)
        assert label_field is None or len(example.labels) == len(example.tokens)


@given(data=file_bytes(awkward_text()))
def test_plain_text_reads_any_bytes_or_names_the_file(tmp_path_factory, data):
    path = write(tmp_path_factory.mktemp("text"), "data.txt", data)
    examples = loads_or_names_the_file(lambda: read_text(path), path)
    for example in examples or []:
        assert example.tokens and not any(" " in token or not token for token in example.tokens)


# --- JSON Lines --------------------------------------------------------------------------------

JSON_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-10**400, 10**400),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=4),
    st.sampled_from(AWKWARD_PIECES))
JSONL_KEYS = ["tokens", "labels", "target", "features", "label", "value", "values", "allowed"]


@st.composite
def jsonl_record(draw: st.DrawFn) -> str:
    """One line: a JSON object with the reader's keys holding right-looking or wrong values."""
    length = draw(st.integers(0, 4))
    right = {"tokens": st.lists(st.text(min_size=1, max_size=3), min_size=length,
                                max_size=length),
             "labels": st.lists(st.sampled_from(["O", "B-X", " "]), min_size=length,
                                max_size=length),
             "value": st.one_of(st.floats(), st.lists(st.floats(), max_size=3)),
             "values": st.lists(st.one_of(st.floats(), st.lists(st.floats(), max_size=2)),
                                min_size=length, max_size=length),
             "features": st.dictionaries(st.text(max_size=3), st.lists(
                 st.text(min_size=1, max_size=3), min_size=length, max_size=length),
                 max_size=2)}
    record = {}
    for key in draw(st.lists(st.sampled_from(JSONL_KEYS), max_size=5, unique=True)):
        strategy = right.get(key, st.nothing())
        record[key] = draw(st.one_of(strategy, nested_values(JSON_LEAVES, max_leaves=6))
                           if key in right else nested_values(JSON_LEAVES, max_leaves=6))
    return json.dumps(record)


def jsonl_lines() -> st.SearchStrategy[str]:
    line = st.one_of(jsonl_record(), jsonl_record(), awkward_text(8),
                     st.integers(1, 3000).map(lambda depth: "[" * depth + "]" * depth),
                     st.sampled_from(['{"tokens": ["a\\udc80"]}', '{"tokens": ["a"], "label": '
                                      '"\\ud800"}', '{"tokens": ["a"], "features": '
                                      '{"\\ud800": ["x"]}}']))
    return st.lists(line, max_size=6).map(lambda lines: "".join(f"{text}\n" for text in lines))


@given(data=file_bytes(jsonl_lines()))
def test_jsonl_reads_any_bytes_or_names_the_line(tmp_path_factory, data):
    path = write(tmp_path_factory.mktemp("jsonl"), "data.jsonl", data)
    examples = loads_or_names_the_file(lambda: read_jsonl(path), path)
    for example in examples or []:
        assert example.tokens and all(isinstance(token, str) for token in example.tokens)
        strings = [*example.tokens, *(example.labels or []), example.label or "",
                   *example.features, *(v for vs in example.features.values() for v in vs)]
        assert all(text.encode("utf-8") for text in strings if text)   # no lone surrogates
        for array in (example.value, example.step_values):
            assert array is None or np.isfinite(array).all()


@given(sequences=st.lists(st.lists(TOKEN, min_size=1, max_size=4), min_size=1, max_size=4),
       seed=st.integers(0, 2**32 - 1))
def test_jsonl_reads_back_what_write_jsonl_wrote(tmp_path_factory, sequences, seed):
    rng = np.random.default_rng(seed)
    examples = [Example(tokens=tokens, labels=tokens[::-1], label=tokens[0],
                        step_values=rng.standard_normal((len(tokens), 2)))
                for tokens in sequences]
    path = tmp_path_factory.mktemp("jsonl") / "data.jsonl"
    write_jsonl(path, examples)
    back = read_jsonl(path)
    assert [(e.tokens, e.labels, e.label) for e in back] == \
        [(e.tokens, e.labels, e.label) for e in examples]
    for read, written in zip(back, examples, strict=True):
        np.testing.assert_array_equal(read.step_values, written.step_values)


# --- dense .npz --------------------------------------------------------------------------------

DENSE_NAMES = ["x", "lengths", "y", "targets", "target_lengths", "seq_targets", "seq_labels",
               "step_targets", "other"]
DTYPES = [np.int8, np.int64, np.uint8, np.uint64, np.float16, np.float64, np.bool_,
          np.complex64, "U3", "S3", "datetime64[s]"]


@st.composite
def dense_array(draw: st.DrawFn) -> np.ndarray:
    """A small array of any plain dtype and 0-3 dimensions, with extreme values in it."""
    shape = tuple(draw(st.lists(st.integers(0, 4), max_size=3)))
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    size = int(np.prod(shape))
    if dtype.kind in "US":
        pool = ["", "a", "B-X", "é" if dtype.kind == "U" else "e"]
        values = draw(st.lists(st.sampled_from(pool), min_size=size, max_size=size))
        return np.array(values, dtype=str).astype(dtype).reshape(shape)
    pool = [0, 1, 2, 3, -1, 2**62, 2**63 - 1, np.nan, np.inf]
    values = draw(st.lists(st.sampled_from(pool), min_size=size, max_size=size))
    with np.errstate(all="ignore"):
        converted = [np.array(value).astype(dtype) if dtype.kind in "fc"
                     else np.array(value if np.isfinite(value) else 0).astype(dtype)
                     for value in values]
    return np.array(converted, dtype=dtype).reshape(shape)


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@st.composite
def dense_files(draw: st.DrawFn) -> bytes:
    """An .npz of the layout's arrays with any dtypes and shapes, a well-formed one with bytes
    changed, lengths whose sum overflows int64, a single .npy, or arbitrary bytes."""
    kind = draw(st.sampled_from(["arrays", "flipped", "overflow", "npy", "bytes", "pickled"]))
    if kind == "arrays":
        names = draw(st.lists(st.sampled_from(DENSE_NAMES), max_size=6, unique=True))
        return npz_bytes({name: draw(dense_array()) for name in names})
    if kind == "overflow":
        wrapping = draw(st.sampled_from([np.full(4, 2**62, dtype=np.int64),
                                         np.array([2**64 - 1, 1], dtype=np.uint64)]))
        return npz_bytes({"x": np.zeros((0, 2)), "lengths": wrapping,
                          "targets": np.array([], dtype=str), "target_lengths": wrapping})
    if kind == "npy":
        buffer = io.BytesIO()
        np.save(buffer, draw(dense_array()))
        return buffer.getvalue()
    if kind == "pickled":
        return npz_bytes({"x": np.zeros((2, 1)), "lengths": np.array([2]),
                          "y": np.array(["O", 1], dtype=object)})
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    good = bytearray(npz_bytes({"x": np.ones((3, 2)), "lengths": np.array([1, 2]),
                                "y": np.array(["a", "b", "c"])}))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(good) - 1))
        good[at] = draw(st.integers(0, 255))
    return bytes(good)


@given(data=dense_files())
def test_dense_reads_any_archive_or_names_the_file(tmp_path_factory, data):
    path = write(tmp_path_factory.mktemp("dense"), "data.npz", data)
    examples = loads_or_names_the_file(lambda: read_dense(path), path)
    for example in examples or []:
        assert example.frames.ndim == 2 and len(example.frames) == len(example) >= 1
        assert np.isfinite(example.frames).all()
        assert example.labels is None or len(example.labels) == len(example)


@given(lengths=st.lists(st.integers(1, 4), min_size=1, max_size=4), seed=st.integers(0, 2**32 - 1))
def test_dense_reads_back_what_write_dense_wrote(tmp_path_factory, lengths, seed):
    rng = np.random.default_rng(seed)
    examples = [Example(tokens=[""] * length, frames=rng.standard_normal((length, 3)),
                        labels=[str(v) for v in rng.integers(0, 3, length)],
                        value=rng.standard_normal(2)) for length in lengths]
    path = tmp_path_factory.mktemp("dense") / "data.npz"
    write_dense(path, examples)
    for read, written in zip(read_dense(path), examples, strict=True):
        np.testing.assert_array_equal(read.frames, written.frames)
        np.testing.assert_array_equal(read.value, written.value)
        assert read.labels == written.labels


def test_a_zip_that_is_not_an_npz_names_the_file(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("x.npy", b"not an array")
    path = write(tmp_path, "data.npz", buffer.getvalue())
    assert loads_or_names_the_file(lambda: read_dense(path), path) is None


# --- word vectors ------------------------------------------------------------------------------

NUMBERISH = st.one_of(st.floats().map(repr), st.integers().map(str),
                      st.sampled_from(["nan", "-inf", "1e999", "1_0", "0x10", "1,5", "²", "٣",
                                       "1\x00", "", "+", "."]))


def vector_lines() -> st.SearchStrategy[str]:
    row = st.builds(lambda word, values: " ".join([word, *values]),
                    st.sampled_from(["the", "Paris", "²", "3", "é"]),
                    st.lists(NUMBERISH, max_size=4))
    header = st.builds(lambda count, dim: f"{count} {dim}", st.sampled_from(["2", "٣", "²", "9"]),
                       st.sampled_from(["0", "2", "3", "²"]))
    return st.builds(lambda first, rows: "".join(f"{line}\n" for line in [first, *rows]),
                     st.one_of(header, row), st.lists(row, max_size=5))


@given(data=file_bytes(vector_lines()), dim=st.sampled_from([None, 2]))
def test_vectors_read_any_bytes_or_name_the_line(tmp_path_factory, data, dim):
    path = write(tmp_path_factory.mktemp("vectors"), "vectors.txt", data)
    vectors = loads_or_names_the_file(lambda: read_vectors(path, dim=dim), path)
    if vectors is not None:
        assert vectors.matrix.shape == (len(vectors.words), vectors.dim)
        assert np.isfinite(vectors.matrix).all()
        assert dim is None or vectors.dim == dim
