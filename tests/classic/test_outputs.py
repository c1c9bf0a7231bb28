"""Sequence-level output layers: finite-difference gradients in float64, and padding that changes
nothing — on the layers alone and through a whole SequenceTagger."""

from types import SimpleNamespace

import numpy as np
import pytest

from lstm_cli.data.batching import make_batch
from lstm_cli.data.encoding import encode_examples
from lstm_cli.data.types import Example
from lstm_cli.data.vocab import Vocabs
from lstm_cli.engine.gradcheck import check_gradients
from lstm_cli.engine.outputs import make_output
from lstm_cli.engine.outputs.sequence import pool_scores
from lstm_cli.engine.tagger import SequenceTagger

LENGTHS = np.array([5, 2, 4, 1])
T, B, C = 5, 4, 3


def batch(seed: int = 0, size: int = C):
    rng = np.random.default_rng(seed)
    mask = np.arange(T)[:, None] < LENGTHS[None, :]
    return SimpleNamespace(
        lengths=LENGTHS, mask=mask,
        sequence_label_ids=np.array([2, 0, 1, 2]),
        sequence_values=rng.normal(size=(B, size)),
        step_values=np.where(mask[..., None], rng.normal(size=(T, B, size)), 0.0))


OUTPUTS = [("last_softmax", {"pool": "last"}), ("last_softmax", {"pool": "mean"}),
           ("last_softmax", {"pool": "max"}),
           ("last_softmax", {"pool": "mean", "class_weights": [0.5, 2.0, 1.0]}),
           ("regression", {"size": C, "per_step": False}),
           ("regression", {"size": C, "per_step": True})]
IDS = ["last", "mean", "max", "mean-weighted", "regression-last", "regression-per-step"]


@pytest.mark.parametrize("kind,options", OUTPUTS, ids=IDS)
def test_loss_gradient_matches_finite_differences(kind, options):
    output = make_output(kind, C, dtype=np.float64, **options)
    scores = np.random.default_rng(1).normal(size=(T, B, C))
    data = batch()
    _, d_scores = output.loss(scores, data)
    errors = check_gradients(lambda: output.loss(scores, data)[0], {"scores": scores},
                             {"scores": d_scores}, rng=np.random.default_rng(2),
                             max_elements=scores.size)
    assert errors["scores"] < 1e-7


@pytest.mark.parametrize("kind,options", OUTPUTS, ids=IDS)
def test_padding_garbage_changes_nothing(kind, options):
    output = make_output(kind, C, dtype=np.float64, **options)
    scores = np.random.default_rng(3).normal(size=(T, B, C))
    data = batch()
    garbage = scores.copy()
    garbage[~data.mask] = [np.nan, 1e30, -np.inf]
    loss, d_scores = output.loss(scores, data)
    garbage_loss, garbage_d = output.loss(garbage, data)
    assert garbage_loss == pytest.approx(loss, rel=1e-12)
    np.testing.assert_array_equal(garbage_d, d_scores)
    assert np.all(garbage_d[~data.mask] == 0)
    for clean, dirty in zip(output.decode(scores, LENGTHS), output.decode(garbage, LENGTHS),
                            strict=True):
        np.testing.assert_array_equal(clean, dirty)


def test_pooling_reads_only_real_steps():
    scores = np.arange(T * B * C, dtype=np.float64).reshape(T, B, C)
    last, _ = pool_scores(scores, LENGTHS, "last")
    mean, _ = pool_scores(scores, LENGTHS, "mean")
    top, _ = pool_scores(scores, LENGTHS, "max")
    for b, length in enumerate(LENGTHS):
        np.testing.assert_array_equal(last[b], scores[length - 1, b])
        np.testing.assert_allclose(mean[b], scores[:length, b].mean(axis=0))
        np.testing.assert_array_equal(top[b], scores[:length, b].max(axis=0))


def test_decode_gives_one_class_or_the_values():
    scores = np.random.default_rng(4).normal(size=(T, B, C))
    classes = make_output("last_softmax", C, dtype=np.float64)
    assert [p.shape for p in classes.decode(scores, LENGTHS)] == [(1,)] * B
    probs = classes.probabilities(scores, LENGTHS)
    assert [p.shape for p in probs] == [(1, C)] * B
    np.testing.assert_allclose([p.sum() for p in probs], 1.0)
    last = make_output("regression", 0, size=C)
    per_step = make_output("regression", 0, size=C, per_step=True)
    np.testing.assert_array_equal(last.decode(scores, LENGTHS)[2], scores[3, 2])
    assert [p.shape for p in per_step.decode(scores, LENGTHS)] == [(n, C) for n in LENGTHS]


def test_regression_loss_is_the_mean_squared_error():
    output = make_output("regression", 0, dtype=np.float64, size=C)
    scores = np.random.default_rng(5).normal(size=(T, B, C))
    data = batch()
    predicted = scores[LENGTHS - 1, np.arange(B)]
    assert output.loss(scores, data)[0] == pytest.approx(
        np.mean((predicted - data.sequence_values) ** 2))


def test_missing_or_misshapen_targets_are_errors():
    scores = np.zeros((T, B, C))
    with pytest.raises(ValueError, match="one label per sequence"):
        make_output("last_softmax", C).loss(scores, SimpleNamespace(
            lengths=LENGTHS, sequence_label_ids=None))
    with pytest.raises(ValueError, match="predicts 3 values per target but the targets have 1"):
        make_output("regression", 0, size=C).loss(scores, SimpleNamespace(
            lengths=LENGTHS, sequence_values=np.zeros((B, 1))))


def tagger_batch():
    """A real batch of four ragged token sequences with sequence-level targets."""
    rng = np.random.default_rng(6)
    examples = []
    for i, length in enumerate([5, 2, 4, 3]):
        tokens = [str(t) for t in rng.integers(0, 4, size=length)]
        examples.append(Example(tokens=tokens, label="abc"[i % 3],
                                value=rng.normal(size=2), step_values=rng.normal(size=length)))
    vocabs = Vocabs.build(examples)
    encoded = encode_examples(examples, vocabs)
    return vocabs, make_batch(encoded)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("kind,options", [("last_softmax", {"pool": "max"}),
                                          ("regression", {"size": 2}),
                                          ("regression", {"size": 1, "per_step": True})],
                         ids=["last-softmax-max", "regression-last", "regression-per-step"])
def test_whole_model_gradients_match_finite_differences(kind, options, cell):
    vocabs, data = tagger_batch()
    rng = np.random.default_rng(7)
    tagger = SequenceTagger(num_labels=len(vocabs.labels), rng=rng, dtype=np.float64,
                            vocab_size=len(vocabs.tokens), embedding_dim=3, cell=cell,
                            hidden_size=3, bidirectional=False, output=kind,
                            output_options=options)
    tagger.loss_and_grads(data, train=False)
    grads = {name: grad.copy() for name, grad in tagger.named_grads().items()}
    errors = check_gradients(lambda: tagger.loss(data), tagger.named_params(), grads,
                             rng=rng, max_elements=6)
    assert max(errors.values()) < 1e-6, errors
