"""The character CNN word encoder: finite-difference gradients, padding that changes nothing,
per-distinct-word batching equal to one token at a time, words shorter than the window."""

import numpy as np
import pytest

from lstm_cli.data.batching import make_batch
from lstm_cli.data.encoding import EncodedExample
from lstm_cli.engine.char_cnn import CharCNN
from lstm_cli.engine.chars import CharEncoder, WordEncoder
from lstm_cli.engine.gradcheck import check_gradients
from lstm_cli.engine.tagger import SequenceTagger

NUM_CHARS, DIM, FILTERS = 9, 3, 4
# The max-pool has kinks where two positions tie: a step of 1e-4 (not the default 1e-3) keeps
# the finite differences of these fixed seeds from crossing one.
EPS = 1e-4

# Sentences of words given as character ids (markers included); "word" 3 is repeated, some
# words are shorter than the widest window, one is a single character.
WORDS = {"a": [7, 1, 8], "bc": [7, 2, 3, 8], "cab": [7, 3, 1, 2, 8], "dd": [7, 4, 4, 8],
         "x": [5], "eggs": [7, 5, 6, 6, 2, 8]}
SENTENCES = [["cab", "a", "dd", "cab", "eggs"], ["bc", "x", "cab"], ["eggs", "a", "bc", "dd"]]


def random_cnn(width: int, activation: str = "tanh", seed: int = 0) -> CharCNN:
    rng = np.random.default_rng(seed)
    cnn = CharCNN(NUM_CHARS, DIM, FILTERS, width, activation=activation, rng=rng,
                  dtype=np.float64)
    for value in cnn.named_params().values():
        value[...] = rng.uniform(-0.8, 0.8, value.shape)
    cnn.embedding.params["weight"][0] = 0                      # the padding row stays zero
    return cnn


def sentence_batch():
    examples = [EncodedExample(token_ids=np.ones(len(words), dtype=np.int64), tokens=words,
                               char_ids=[np.array(WORDS[w]) for w in words])
                for words in SENTENCES]
    return make_batch(examples)


def token_loss(encoder: WordEncoder, batch, weights: np.ndarray):
    """L = Σ weights ⊙ x over the token vectors; returns L and a closure recomputing it."""
    def loss() -> float:
        tokens, _ = encoder.forward(batch.char_ids, batch.char_lengths, batch.word_index)
        return float((tokens * weights).sum())

    tokens, backward = encoder.forward(batch.char_ids, batch.char_lengths, batch.word_index)
    backward(weights.copy())
    return float((tokens * weights).sum()), loss


def reference_vectors(cnn: CharCNN, ids: np.ndarray) -> np.ndarray:
    """v(w) of one word by the equations, one position and one window element at a time."""
    embedding = cnn.embedding.params["weight"]
    weight, bias = cnn.conv.params["weight"], cnn.conv.params["bias"]
    act = np.tanh if cnn.activation == "tanh" else (lambda a: np.maximum(a, 0))
    reach, n = cnn.width // 2, len(ids)
    outputs = []
    for t in range(n):
        a = bias.copy()
        for j in range(cnn.width):
            s = t + j - reach
            if 0 <= s < n:
                a += weight[:, j] @ embedding[ids[s]]
        outputs.append(act(a))
    return np.max(outputs, axis=0)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("width", [1, 3, 5, 7])
def test_gradients_match_finite_differences(width, activation):
    cnn = random_cnn(width, activation)
    batch = sentence_batch()
    weights = np.random.default_rng(1).standard_normal((*batch.word_index.shape, FILTERS))
    _, loss = token_loss(cnn, batch, weights)
    grads = {name: grad.copy() for name, grad in cnn.named_grads().items()}
    assert set(grads) == {"embedding.weight", "conv.weight", "conv.bias"}
    errors = check_gradients(loss, cnn.named_params(), grads, rng=np.random.default_rng(2),
                             max_elements=40, eps=EPS)
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("width", [1, 3, 7])
def test_vectors_follow_the_equations(width, activation):
    cnn = random_cnn(width, activation)
    batch = sentence_batch()
    vectors, _ = cnn.word_vectors(batch.char_ids, batch.char_lengths)
    assert vectors.shape == (len(batch.char_lengths), FILTERS) == (len(WORDS), cnn.output_size)
    for u, n in enumerate(batch.char_lengths):
        np.testing.assert_allclose(vectors[u], reference_vectors(cnn, batch.char_ids[:n, u]),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_padding_never_changes_outputs_or_gradients(activation):
    cnn = random_cnn(3, activation)
    batch = sentence_batch()
    weights = np.random.default_rng(1).standard_normal((*batch.word_index.shape, FILTERS))
    tokens, backward = cnn.forward(batch.char_ids, batch.char_lengths, batch.word_index)
    backward(weights.copy())
    clean = {name: grad.copy() for name, grad in cnn.named_grads().items()}

    padded = np.arange(len(batch.char_ids))[:, None] >= batch.char_lengths[None, :]
    assert padded.any()
    garbage = np.where(padded, np.random.default_rng(3).integers(1, NUM_CHARS, padded.shape),
                       batch.char_ids)
    cnn.embedding.params["weight"][0] = 5.0                   # even a non-zero padding row
    noisy, backward = cnn.forward(garbage, batch.char_lengths, batch.word_index)
    backward(weights.copy())
    np.testing.assert_array_equal(noisy, tokens)
    for name, grad in cnn.named_grads().items():
        np.testing.assert_array_equal(grad, clean[name], err_msg=name)


def test_batching_per_distinct_word_matches_one_token_at_a_time():
    cnn = random_cnn(3)
    batch = sentence_batch()
    assert len(batch.char_lengths) < int((batch.word_index >= 0).sum())   # words repeat
    weights = np.random.default_rng(1).standard_normal((*batch.word_index.shape, FILTERS))
    tokens, backward = cnn.forward(batch.char_ids, batch.char_lengths, batch.word_index)
    backward(weights.copy())
    batched = {name: grad.copy() for name, grad in cnn.named_grads().items()}

    summed = {name: np.zeros_like(grad) for name, grad in batched.items()}
    for t, b in zip(*np.nonzero(batch.word_index >= 0), strict=True):
        u = batch.word_index[t, b]
        ids = batch.char_ids[:batch.char_lengths[u], u][:, None]       # (n, 1): no padding
        vector, back = cnn.word_vectors(ids, batch.char_lengths[u:u + 1])
        np.testing.assert_allclose(tokens[t, b], vector[0], rtol=1e-12, atol=1e-12)
        back(weights[t, b][None].copy())
        for name, grad in cnn.named_grads().items():
            summed[name] += grad
    for name, grad in batched.items():
        np.testing.assert_allclose(grad, summed[name], rtol=1e-10, atol=1e-12, err_msg=name)
    padding = batch.word_index < 0
    assert padding.any() and not tokens[padding].any()


@pytest.mark.parametrize("width", [3, 5, 9])
def test_words_shorter_than_the_window(width):
    cnn = random_cnn(width)
    char_ids = np.array([[7, 7, 5], [1, 8, 0], [8, 0, 0]])     # words of 3, 2 and 1 characters
    lengths = np.array([3, 2, 1])
    vectors, backward = cnn.word_vectors(char_ids, lengths)
    for u, n in enumerate(lengths):
        np.testing.assert_allclose(vectors[u], reference_vectors(cnn, char_ids[:n, u]),
                                   rtol=1e-12, atol=1e-12)
    weights = np.random.default_rng(1).standard_normal(vectors.shape)
    backward(weights.copy())
    grads = {name: grad.copy() for name, grad in cnn.named_grads().items()}

    def loss() -> float:
        return float((cnn.word_vectors(char_ids, lengths)[0] * weights).sum())

    errors = check_gradients(loss, cnn.named_params(), grads, rng=np.random.default_rng(2),
                             max_elements=40, eps=EPS)
    assert max(errors.values()) < 1e-6, errors


def test_even_width_and_unknown_activation_are_refused():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="odd"):
        CharCNN(NUM_CHARS, DIM, FILTERS, 4, rng=rng)
    with pytest.raises(ValueError, match="tanh or relu"):
        CharCNN(NUM_CHARS, DIM, FILTERS, 3, activation="sigmoid", rng=rng)


def test_the_tagger_builds_either_encoder_with_stable_parameter_names():
    rng = np.random.default_rng(0)
    lstm = SequenceTagger(num_labels=3, rng=rng, vocab_size=5, embedding_dim=4, hidden_size=2,
                          chars={"encoder": "lstm", "num_chars": 9, "dim": 3, "hidden_size": 2})
    assert isinstance(lstm.chars, CharEncoder) and lstm.input_size == 4 + 4
    assert {"chars.embedding.weight", "chars.rnn.l0.fwd.w_input",
            "chars.rnn.l0.bwd.w_input"} <= set(lstm.named_params())
    cnn = SequenceTagger(num_labels=3, rng=rng, vocab_size=5, embedding_dim=4, hidden_size=2,
                         chars={"encoder": "cnn", "num_chars": 9, "dim": 3, "filters": 6,
                                "width": 5, "activation": "relu"})
    assert isinstance(cnn.chars, CharCNN) and cnn.input_size == 4 + 6
    params = cnn.named_params()
    assert {name for name in params if name.startswith("chars.")} == {
        "chars.embedding.weight", "chars.conv.weight", "chars.conv.bias"}
    assert params["chars.conv.weight"].shape == (6, 5, 3)
    with pytest.raises(ValueError, match="character encoder"):
        SequenceTagger(num_labels=3, rng=rng, vocab_size=5, embedding_dim=4,
                       chars={"encoder": "gru", "num_chars": 9, "dim": 3})
