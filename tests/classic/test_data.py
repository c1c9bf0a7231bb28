"""Sequence-level targets through the data layer: JSONL and dense files, Example →
EncodedExample → Batch, and the checks that name a bad sequence."""

import json

import numpy as np
import pytest

from lstm_cli.config import config_from_dict
from lstm_cli.data.batching import make_batch
from lstm_cli.data.dense import read_dense, write_dense
from lstm_cli.data.encoding import encode_examples
from lstm_cli.data.jsonl import read_jsonl, write_jsonl
from lstm_cli.data.prepare import check_sequence_targets
from lstm_cli.data.types import Example
from lstm_cli.data.vocab import Vocabs
from lstm_cli.errors import DataError


def test_jsonl_label_value_and_values_round_trip(tmp_path):
    path = tmp_path / "d.jsonl"
    examples = [Example(["a", "b"], label="XY", value=np.array([0.5, 1.0]),
                        step_values=np.array([0.1, 0.2])),
                Example(["c"], label="YY", value=np.array([2.0, 3.0]),
                        step_values=np.array([0.3]))]
    write_jsonl(path, examples)
    assert json.loads(path.read_text().splitlines()[0]) == {
        "tokens": ["a", "b"], "label": "XY", "value": [0.5, 1.0], "values": [0.1, 0.2]}
    read = read_jsonl(path)
    assert [e.label for e in read] == ["XY", "YY"]
    np.testing.assert_array_equal(read[1].value, [2.0, 3.0])
    np.testing.assert_array_equal(read[0].step_values, [0.1, 0.2])


@pytest.mark.parametrize("line,message", [
    ('{"tokens": ["a"], "label": 3}', "'label' to be a non-blank string"),
    ('{"tokens": ["a"], "value": "high"}', "'value' to hold finite numbers"),
    ('{"tokens": ["a"], "value": [[1, 2], [3]]}', "'value' to hold finite numbers"),
    ('{"tokens": ["a", "b"], "values": [1.0]}', r"2 'values' \(one per token\), found 1"),
    ('{"tokens": ["a"], "value": true}', "'value' to hold finite numbers"),
])
def test_jsonl_rejects_malformed_targets(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(DataError, match=message):
        read_jsonl(path)


def test_jsonl_lines_must_carry_the_same_targets(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"tokens": ["a"], "label": "X"}\n{"tokens": ["b"]}\n')
    with pytest.raises(DataError, match="expected the fields of line 1 .label."):
        read_jsonl(path)


def test_dense_seq_labels_seq_targets_and_step_targets_round_trip(tmp_path):
    path = tmp_path / "d.npz"
    examples = [Example([""] * 3, frames=np.ones((3, 2)), label="odd", value=np.float64(0.25),
                        step_values=np.array([[1.0], [2.0], [3.0]])),
                Example([""] * 1, frames=np.zeros((1, 2)), label="even", value=np.float64(0.5),
                        step_values=np.array([[4.0]]))]
    write_dense(path, examples)
    arrays = np.load(path)
    assert sorted(arrays.files) == ["lengths", "seq_labels", "seq_targets", "step_targets", "x"]
    read = read_dense(path)
    assert [e.label for e in read] == ["odd", "even"]
    assert [float(e.value) for e in read] == [0.25, 0.5]
    np.testing.assert_array_equal(read[0].step_values, [[1.0], [2.0], [3.0]])


def test_dense_step_targets_need_one_row_per_frame(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x=np.zeros((3, 1)), lengths=np.array([3]), step_targets=np.zeros(2))
    with pytest.raises(DataError, match="3 rows in 'step_targets'"):
        read_dense(path)


def test_targets_reach_the_batch_in_column_order():
    examples = [Example(["a"], label="n", value=1.0, step_values=[5.0]),
                Example(["a", "b", "c"], label="m", value=2.0, step_values=[1.0, 2.0, 3.0])]
    vocabs = Vocabs.build(examples)
    assert vocabs.labels.labels == ["m", "n"]
    encoded = encode_examples(examples, vocabs)
    assert encoded[0].label_id == 1 and encoded[0].value.shape == (1,)
    assert encoded[1].step_values.shape == (3, 1)
    batch = make_batch(encoded)                       # longest first
    np.testing.assert_array_equal(batch.sequence_label_ids, [0, 1])
    np.testing.assert_array_equal(batch.sequence_values, [[2.0], [1.0]])
    np.testing.assert_array_equal(batch.step_values[:, 1, 0], [5.0, 0.0, 0.0])
    assert batch.label_ids is None and batch.target_ids is None


def test_an_unseen_sequence_label_names_its_sequence():
    vocabs = Vocabs.build([Example(["a"], label="X", source="train:1")])
    with pytest.raises(DataError, match="never seen: Z") as error:
        encode_examples([Example(["a"], label="X", source="dev:1"),
                         Example(["a"], label="Z", source="dev:2")], vocabs)
    assert error.value.path == "dev:2"


def test_check_sequence_targets_names_the_sequence_and_the_fix():
    classes = config_from_dict({"model": {"output": "last_softmax"}})
    with pytest.raises(DataError, match="label for the whole sequence") as error:
        check_sequence_targets(classes, [Example(["a"], label="X"), Example(["b"], source="s:2")])
    assert error.value.path == "s:2"
    values = config_from_dict({"model": {"output": "regression"},
                               "train": {"early_stopping": {"metric": "mse"}}})
    with pytest.raises(DataError, match=r"1 target value\(s\) per sequence, found shape \(2,\)") \
            as error:
        check_sequence_targets(values, [Example(["a"], value=np.zeros(2), source="s:1")])
    assert error.value.hint == "set model.regression.size: 2"
    per_step = config_from_dict({"model": {"output": "regression",
                                           "regression": {"per_step": True}},
                                 "train": {"early_stopping": {"metric": "mse"}}})
    with pytest.raises(DataError, match="per-step targets"):
        check_sequence_targets(per_step, [Example(["a"], value=1.0)])
    check_sequence_targets(per_step, [Example(["a", "b"], step_values=[1.0, 2.0])])
