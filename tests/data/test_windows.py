import numpy as np
import pytest

from lstm_cli.data.types import Example
from lstm_cli.data.vocab import IGNORE_LABEL
from lstm_cli.data.windows import BOUNDARY, WindowSpec, make_windows, stitch
from lstm_cli.errors import ConfigError, DataError


def examples():
    return [Example(list("abcdefg"), list("ABCDEFG"), {"f": list("abcdefg")}, source="s:1"),
            Example(list("xy"), list("XY"), {"f": list("xy")}, source="s:9")]


def scored_positions(windows):
    return [origin for window in windows for origin in window.origins]


def test_centre_windows_of_five_score_each_token_once():
    windows = make_windows(examples(), WindowSpec(size=5))
    assert len(windows) == 9
    assert windows[0].example.tokens == [BOUNDARY, BOUNDARY, "a", "b", "c"]
    assert windows[0].example.labels == ["", "", "A", "", ""]
    assert windows[0].example.features["f"][:2] == [BOUNDARY, BOUNDARY]
    assert windows[3].example.tokens == list("bcdef") and windows[3].scored == slice(2, 3)
    assert windows[8].example.tokens == [BOUNDARY, "x", "y", BOUNDARY, BOUNDARY]
    assert windows[8].example.source == "s:9 token 2"
    expected = [(0, t) for t in range(7)] + [(1, 0), (1, 1)]
    assert scored_positions(windows) == expected
    scored_labels = [label for w in windows for label in w.example.labels if label != IGNORE_LABEL]
    assert scored_labels == list("ABCDEFGXY")


@pytest.mark.parametrize("spec", [WindowSpec(5, 2), WindowSpec(4, 3), WindowSpec(3, 3),
                                  WindowSpec(4, 1, "left"), WindowSpec(4, 3, "left"),
                                  WindowSpec(3, 3, "left"), WindowSpec(4, 2, stream=True),
                                  WindowSpec(3, 1, "left", stream=True)])
def test_every_position_scored_exactly_once(spec):
    windows = make_windows(examples(), spec)
    assert all(len(w.example) == spec.size for w in windows)
    assert sorted(scored_positions(windows)) == [(0, t) for t in range(7)] + [(1, 0), (1, 1)]


def test_left_windows_score_only_positions_past_the_previous_window():
    windows = make_windows(examples()[:1], WindowSpec(size=4, stride=2, align="left"))
    assert [w.example.tokens for w in windows] == [list("abcd"), list("cdef"),
                                                   ["e", "f", "g", BOUNDARY]]
    assert [w.scored for w in windows] == [slice(0, 4), slice(2, 4), slice(2, 3)]


def test_stream_windows_cross_sequence_ends():
    windows = make_windows(examples(), WindowSpec(size=3, stream=True))
    assert windows[6].example.tokens == ["f", "g", "x"]


def test_frames_are_zero_outside_the_sequence():
    frames = np.arange(6.0).reshape(3, 2)
    windows = make_windows([Example([""] * 3, frames=frames)], WindowSpec(size=3))
    np.testing.assert_array_equal(windows[0].example.frames, [[0, 0], [0, 1], [2, 3]])


def test_stitch_restores_per_token_predictions():
    data = examples()
    windows = make_windows(data, WindowSpec(size=5, stride=2))
    predictions = [[label.lower() for label in w.example.labels] for w in windows]
    assert stitch(windows, predictions, [len(e) for e in data]) == [list("abcdefg"), list("xy")]


def test_bad_specs_and_ctc_examples():
    with pytest.raises(ConfigError, match="stride"):
        WindowSpec(size=3, stride=4)
    with pytest.raises(ConfigError, match="centre, left"):
        WindowSpec(size=3, align="right")
    with pytest.raises(DataError, match="CTC"):
        make_windows([Example(["a"], target=["A"], source="s:1")], WindowSpec(3))
