import numpy as np
import pytest

from lstm_cli.data.length import enforce_max_length
from lstm_cli.data.types import Example
from lstm_cli.errors import ConfigError, DataError


def test_long_sequences_are_split_with_one_warning():
    warnings = []
    examples = [Example(list("abcde"), list("ABCDE"), {"f": list("vwxyz")}, source="f:1"),
                Example(list("ab"), list("AB"), {"f": list("vw")}, source="f:7")]
    out = enforce_max_length(examples, 2, warn=warnings.append)
    assert [e.tokens for e in out] == [["a", "b"], ["c", "d"], ["e"], ["a", "b"]]
    assert out[1].labels == ["C", "D"] and out[1].features == {"f": ["x", "y"]}
    assert out[2].source == "f:1 token 5"
    assert len(warnings) == 1 and "1 sequence(s) longer than 2" in warnings[0]


def test_dense_frames_are_split_too():
    example = Example([""] * 3, frames=np.arange(3.0)[:, None])
    assert [len(e) for e in enforce_max_length([example], 2)] == [2, 1]


def test_error_policy_names_the_source_and_none_means_no_cap():
    examples = [Example(list("abc"), source="f:4")]
    with pytest.raises(DataError, match="at most 2 positions, found one of 3") as error:
        enforce_max_length(examples, 2, policy="error")
    assert error.value.path == "f:4"
    assert enforce_max_length(examples, None, policy="error") == examples
    with pytest.raises(ConfigError):
        enforce_max_length(examples, 2, policy="truncate")


def test_ctc_sequences_cannot_be_split():
    with pytest.raises(DataError, match="CTC"):
        enforce_max_length([Example(list("abc"), target=["A"], source="f:1")], 2)
