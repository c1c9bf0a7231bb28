import numpy as np
import pytest

from lstm_cli.data.dense import read_dense, read_seq_targets, write_dense
from lstm_cli.data.types import Example
from lstm_cli.errors import DataError


def save(tmp_path, **arrays):
    path = tmp_path / "data.npz"
    with path.open("wb") as file:
        np.savez(file, **arrays)
    return path


def good_arrays():
    return {"x": np.arange(10.0).reshape(5, 2), "lengths": np.array([2, 3]),
            "y": np.array([0, 1, 1, 0, 2])}


def test_reads_frames_labels_and_sources(tmp_path):
    path = save(tmp_path, **good_arrays())
    first, second = read_dense(path)
    np.testing.assert_array_equal(first.frames, [[0, 1], [2, 3]])
    assert first.frames.dtype == np.float64
    assert first.labels == ["0", "1"] and second.labels == ["1", "0", "2"]
    assert second.tokens == ["", "", ""] and len(second) == 3
    assert second.source == f"{path}[1]"


def test_string_labels_targets_and_seq_targets(tmp_path):
    arrays = good_arrays() | {"y": np.array(list("abcab")), "targets": np.array(["A", "B", "C"]),
                              "target_lengths": np.array([1, 2]),
                              "seq_targets": np.array([0.5, 0.25])}
    path = save(tmp_path, **arrays)
    first, second = read_dense(path)
    assert first.labels == ["a", "b"] and first.target == ["A"] and second.target == ["B", "C"]
    np.testing.assert_array_equal(read_seq_targets(path), [0.5, 0.25])


def test_write_then_read_round_trip(tmp_path):
    examples = [Example([""] * 2, ["p", "q"], frames=np.ones((2, 3)), target=["A"]),
                Example([""], ["p"], frames=np.zeros((1, 3)), target=[])]
    write_dense(tmp_path / "out.npz", examples, seq_targets=np.array([1.0, 2.0]))
    back = read_dense(tmp_path / "out.npz")
    assert [(e.labels, e.target, e.frames.tolist()) for e in back] == [
        (e.labels, e.target, e.frames.tolist()) for e in examples]


def test_object_arrays_are_refused_not_unpickled(tmp_path):
    path = save(tmp_path, **good_arrays() | {"y": np.array(["a", 1, None, "b", "c"],
                                                           dtype=object)})
    with pytest.raises(DataError, match="Python objects in 'y'"):
        read_dense(path)


def test_a_pickle_file_is_refused(tmp_path):
    path = tmp_path / "data.npz"
    with path.open("wb") as file:
        np.save(file, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="pickled data is refused|Python objects"):
        read_dense(path)
    (tmp_path / "plain.npz").write_bytes(b"\x80\x04not a zip")
    with pytest.raises(DataError, match="expected a .npz archive"):
        read_dense(tmp_path / "plain.npz")


@pytest.mark.parametrize(("change", "message"), [
    ({"x": np.array([[0.0, np.nan]] * 5)}, "finite numbers in 'x'"),
    ({"x": np.array([[0.0, np.inf]] * 5)}, "finite numbers in 'x'"),
    ({"lengths": np.array([2, 2])}, "sum\\(lengths\\) to equal the 5 rows"),
    ({"lengths": np.array([0, 5])}, "'lengths' to be >= 1"),
    ({"y": np.array([0, 1])}, "expected 5 entries in 'y'"),
    ({"y": np.zeros(5)}, "integers or strings"),
    ({"x": np.zeros(5)}, "'x' to be a 2-D array"),
    ({"targets": np.array([1])}, "'targets' and 'target_lengths' together"),
    ({"seq_targets": np.zeros(3)}, "2 rows in 'seq_targets'"),
])
def test_malformed_archives(tmp_path, change, message):
    with pytest.raises(DataError, match=message):
        read_dense(save(tmp_path, **good_arrays() | change))


def test_missing_arrays_and_empty_data(tmp_path):
    with pytest.raises(DataError, match="array named 'lengths'"):
        read_dense(save(tmp_path, x=np.zeros((1, 1))))
    with pytest.raises(DataError, match="at least one sequence"):
        read_dense(save(tmp_path, x=np.zeros((0, 2)), lengths=np.zeros(0, dtype=int)))
