"""The embedding table's gradient: summed over repeated ids, nothing for padding, and the rows
it touches listed for lazy optimisers (and cleared, alone, before the next batch writes)."""

from __future__ import annotations

import numpy as np

from lstm_cli.engine.embed import Embedding


def _backward(embedding: Embedding, ids: list[list[int]], d_out: np.ndarray) -> np.ndarray:
    _, backward = embedding.forward(np.array(ids))
    backward(d_out)
    return embedding.grads["weight"]


def test_gradient_sums_repeated_ids_skips_padding_and_lists_its_rows():
    embedding = Embedding(6, 2, rng=np.random.default_rng(0), dtype=np.float64)
    ids = [[3, 0], [3, 5]]                                  # [T=2, B=2]; 0 is padding
    d_out = np.arange(8.0).reshape(2, 2, 2)
    grad = _backward(embedding, ids, d_out)
    expected = np.zeros((6, 2))
    expected[3] = d_out[0, 0] + d_out[1, 0]
    expected[5] = d_out[1, 1]
    np.testing.assert_array_equal(grad, expected)
    np.testing.assert_array_equal(embedding.grad_rows["weight"], [3, 5])
    assert embedding.named_grad_rows("embedding.").keys() == {"embedding.weight"}


def test_next_backward_clears_the_rows_the_last_one_wrote():
    embedding = Embedding(6, 2, rng=np.random.default_rng(0), dtype=np.float64)
    _backward(embedding, [[3, 5]], np.ones((1, 2, 2)))
    grad = _backward(embedding, [[1, 1]], np.ones((1, 2, 2)))
    expected = np.zeros((6, 2))
    expected[1] = 2.0
    np.testing.assert_array_equal(grad, expected)
    np.testing.assert_array_equal(embedding.grad_rows["weight"], [1])


def test_frozen_embedding_has_no_gradient_rows():
    embedding = Embedding(6, 2, rng=np.random.default_rng(0), frozen=True)
    grad = _backward(embedding, [[3, 5]], np.ones((1, 2, 2), np.float32))
    assert not grad.any()
    assert embedding.grad_rows["weight"].size == 0
