"""The forward pass without a tape (evaluation, predict) against the taped forward pass."""

from types import SimpleNamespace

import numpy as np
import pytest

from lstm_cli.data.batching import make_batch
from lstm_cli.data.encoding import EncodedExample
from lstm_cli.engine import bidirectional
from lstm_cli.engine.tagger import SequenceTagger, make_char_encoder
from tests import support

LENGTHS = {"full": [7, 7, 7, 7], "ragged": [1, 7, 3, 7, 2], "one-long": [7, 1, 1, 1],
           "empty-rows": [3, 0, 2, 0]}


def both_passes(stack, x, lengths):
    """The taped outputs and the outputs without a tape (whose backward must be None)."""
    taped, backward = stack.forward(x, np.array(lengths))
    untaped, no_backward = stack.forward(x, np.array(lengths), keep_tape=False)
    assert backward is not None and no_backward is None
    return taped, untaped


@pytest.mark.parametrize("stacked", [False, True], ids=["separate", "stacked"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("directions", [1, 2], ids=["uni", "bi"])
@pytest.mark.parametrize("lengths", list(LENGTHS.values()), ids=list(LENGTHS))
def test_the_fused_lstm_without_a_tape_gives_the_taped_outputs(monkeypatch, stacked, layers,
                                                                directions, lengths):
    monkeypatch.setattr(bidirectional, "EXTRA_ROWS_ALLOWED", float("inf") if stacked else 0.0)
    rng = np.random.default_rng(0)
    stack = support.random_stack("lstm", 3, 4, rng, layers=layers,
                                 bidirectional=directions == 2)
    x = rng.standard_normal((7, len(lengths), 3))
    for _ in range(2):                   # the second time on buffers the first one gave back
        taped, untaped = both_passes(stack, x, lengths)
        np.testing.assert_allclose(untaped, taped, rtol=1e-12, atol=1e-14)
    mask = np.arange(7)[:, None] < np.array(lengths)[None, :]
    assert not untaped[~mask].any()                       # zero past each sequence's end


@pytest.mark.parametrize("cell,options", [("gru", {}), ("rnn", {}),
                                          ("lstm", {"peepholes": True}),
                                          ("lstm", {"variant": "CIFG"})],
                         ids=["gru", "rnn", "lstm-peepholes", "lstm-CIFG"])
def test_other_cells_fall_back_to_the_taped_loop(cell, options):
    rng = np.random.default_rng(1)
    stack = support.random_stack(cell, 3, 4, rng, layers=2, bidirectional=True, **options)
    x = rng.standard_normal((7, 5, 3))
    taped, untaped = both_passes(stack, x, LENGTHS["ragged"])
    np.testing.assert_allclose(untaped, taped, rtol=1e-12, atol=1e-14)


def test_a_tagger_scores_and_labels_the_same_without_a_tape():
    rng = np.random.default_rng(2)
    tagger = SequenceTagger(num_labels=5, rng=rng, dtype=np.float64, frame_dim=6,
                            hidden_size=8, num_layers=2, bidirectional=True)
    lengths = np.array([4, 9, 9, 2, 6])
    mask = np.arange(9)[:, None] < lengths[None, :]
    batch = SimpleNamespace(frames=rng.standard_normal((9, 5, 6)), lengths=lengths,
                                    mask=mask, token_ids=None, feature_ids={})
    taped, _ = tagger.scores(batch)
    untaped, backward = tagger.scores(batch, keep_tape=False)
    assert backward is None
    np.testing.assert_allclose(untaped, taped, rtol=1e-12, atol=1e-14)
    assert [list(path) for path in tagger.output.decode(untaped, lengths)] == \
        [list(path) for path in tagger.output.decode(taped, lengths)]


@pytest.mark.parametrize("spec", [{"encoder": "lstm", "hidden_size": 3},
                                  {"encoder": "cnn", "filters": 5, "width": 3}],
                         ids=["lstm", "cnn"])
def test_character_encoders_give_the_same_vectors_without_a_tape(spec):
    rng = np.random.default_rng(3)
    encoder = make_char_encoder({**spec, "num_chars": 9, "dim": 4}, rng=rng, dtype=np.float64)
    char_lengths = np.array([3, 6, 1, 4])
    char_ids = rng.integers(1, 9, size=(6, 4))
    word_index = np.array([[0, 1, 2], [3, 0, -1]])
    taped, backward = encoder.forward(char_ids, char_lengths, word_index)
    untaped, no_backward = encoder.forward(char_ids, char_lengths, word_index, keep_tape=False)
    assert backward is not None and no_backward is None
    np.testing.assert_allclose(untaped, taped, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cell,gate_buffer", [("lstm", "projections"), ("gru", "layer_gates")])
def test_a_pass_without_a_tape_gives_its_buffers_back_for_the_next_batch(cell, gate_buffer):
    rng = np.random.default_rng(4)
    stack = support.random_stack(cell, 3, 4, rng, bidirectional=True)
    x = rng.standard_normal((7, 5, 3))
    workspace = stack.layers[0][0].workspace
    stack.forward(x, np.array(LENGTHS["ragged"]), keep_tape=False)
    spare = dict(workspace.spare)
    assert gate_buffer in spare
    stack.forward(x, np.array(LENGTHS["ragged"]), keep_tape=False)
    assert workspace.spare.keys() == spare.keys()
    assert all(workspace.spare[name] is array for name, array in spare.items())  # reused


WORD_CHARS = {"the": [7, 1, 2, 8], "cat": [7, 3, 4, 1, 8], "sat": [7, 5, 4, 1, 8],
              "on": [7, 6, 2, 8], "mat": [7, 2, 4, 1, 8], "a": [7, 4, 8]}
WORD_IDS = {"the": 2, "cat": 3, "sat": 4, "on": 5, "mat": 3, "a": 1}       # two share an id
SENTENCES = [["the", "cat", "sat", "on", "the", "mat"], ["a", "cat"], ["the", "a", "mat", "on"]]


def word_batch(feature_of_position=False):
    """A batch of three sentences whose token and feature ids are functions of the word, or
    (`feature_of_position`) a feature that differs between two occurrences of "the"."""
    examples = []
    for words in SENTENCES:
        ids = np.array([WORD_IDS[w] for w in words])
        feature = np.arange(1, len(words) + 1) if feature_of_position else ids % 3 + 1
        examples.append(EncodedExample(
            token_ids=ids, feature_ids={"suffix1": feature, "shape": ids % 2 + 1}, tokens=words,
            char_ids=[np.array(WORD_CHARS[w]) for w in words]))
    return make_batch(examples)


@pytest.mark.parametrize("encoder", ["cnn", "lstm"])
@pytest.mark.parametrize("layers", [1, 2])
def test_a_word_type_tagger_projects_each_type_once_and_scores_the_same(encoder, layers):
    rng = np.random.default_rng(5)
    chars = {"encoder": encoder, "num_chars": 9, "dim": 3,
             **({"filters": 4, "width": 3} if encoder == "cnn" else {"hidden_size": 2})}
    tagger = SequenceTagger(num_labels=4, rng=rng, dtype=np.float64, vocab_size=6,
                            embedding_dim=3, features={"suffix1": (4, 2), "shape": (3, 2)},
                            chars=chars, hidden_size=5, num_layers=layers, bidirectional=True)
    for value in tagger.named_params().values():
        value[...] = rng.uniform(-0.8, 0.8, value.shape)
    batch = word_batch()
    x, rows = tagger.word_type_inputs(batch)
    assert len(x) == len(batch.char_lengths) + 1                 # the words and padding's row
    taped, _ = tagger.scores(batch)
    untaped, _ = tagger.scores(batch, keep_tape=False)
    np.testing.assert_allclose(untaped, taped, rtol=1e-12, atol=1e-14)
    assert tagger.word_type_inputs(word_batch(feature_of_position=True)) is None


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_stack_reading_distinct_rows_equals_one_reading_them_expanded(cell):
    rng = np.random.default_rng(6)
    stack = support.random_stack(cell, 3, 4, rng, layers=2, bidirectional=True)
    distinct = rng.standard_normal((6, 3))
    rows = rng.integers(0, 6, size=(7, 5))
    lengths = np.array(LENGTHS["ragged"])
    expanded, _ = stack.forward(distinct[rows], lengths, keep_tape=False)
    from_rows, _ = stack.forward(distinct, lengths, keep_tape=False, rows=rows)
    np.testing.assert_allclose(from_rows, expanded, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="without a tape"):
        stack.forward(distinct, lengths, rows=rows)
