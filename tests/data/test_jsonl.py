import json

import pytest

from lstm_cli.data.jsonl import read_jsonl, write_jsonl
from lstm_cli.errors import DataError


def write_lines(tmp_path, *records):
    path = tmp_path / "data.jsonl"
    path.write_text("".join(r if isinstance(r, str) else json.dumps(r) + "\n" for r in records))
    return path


def test_tokens_labels_features_and_ignored_keys(tmp_path):
    path = write_lines(tmp_path, {"tokens": ["a", "b"], "labels": ["X", "Y"],
                                  "features": {"case": ["lo", "lo"]}, "allowed": [[], []]},
                       "\n", {"tokens": ["c"], "labels": ["X"], "features": {"case": ["up"]}})
    first, second = read_jsonl(path)
    assert first.tokens == ["a", "b"] and first.labels == ["X", "Y"]
    assert first.features == {"case": ["lo", "lo"]}
    assert second.source == f"{path}:3"


def test_ctc_target_without_labels(tmp_path):
    (example,) = read_jsonl(write_lines(tmp_path, {"tokens": ["x", "y", "z"], "target": ["A"]}))
    assert example.labels is None and example.target == ["A"]


def test_round_trip_with_extras(tmp_path):
    path = write_lines(tmp_path, {"tokens": ["a"], "labels": ["X"]})
    examples = read_jsonl(path)
    out = tmp_path / "out.jsonl"
    write_jsonl(out, examples, extras=[{"note": 1}])
    assert json.loads(out.read_text()) == {"tokens": ["a"], "labels": ["X"], "note": 1}
    assert read_jsonl(out)[0].labels == ["X"]


def test_length_mismatch_names_the_line(tmp_path):
    path = write_lines(tmp_path, {"tokens": ["a"], "labels": ["X"]},
                       {"tokens": ["a", "b"], "labels": ["X"]})
    with pytest.raises(DataError, match="expected 2 'labels' .* found 1") as error:
        read_jsonl(path)
    assert error.value.line == 2


def test_feature_length_mismatch(tmp_path):
    path = write_lines(tmp_path, {"tokens": ["a"], "features": {"f": ["1", "2"]}})
    with pytest.raises(DataError, match="'features.f'"):
        read_jsonl(path)


def test_invalid_json(tmp_path):
    with pytest.raises(DataError, match="invalid JSON") as error:
        read_jsonl(write_lines(tmp_path, '{"tokens": ["a"]\n'))
    assert error.value.line == 1


@pytest.mark.parametrize("record", [[1, 2], {"tokens": []}, {"tokens": "ab"},
                                    {"tokens": ["a", " "]}, {"tokens": ["a"], "labels": [1]}])
def test_malformed_records(tmp_path, record):
    with pytest.raises(DataError, match="expected"):
        read_jsonl(write_lines(tmp_path, record))


def test_lines_must_carry_the_same_fields(tmp_path):
    path = write_lines(tmp_path, {"tokens": ["a"], "labels": ["X"]}, {"tokens": ["b"]})
    with pytest.raises(DataError, match=r"fields of line 1 \(labels\), found tokens only"):
        read_jsonl(path)


def test_empty_file(tmp_path):
    with pytest.raises(DataError, match="at least one sequence"):
        read_jsonl(write_lines(tmp_path, "\n"))
