import numpy as np
import pytest

from lstm_cli.data.batching import iter_batches, make_batch
from lstm_cli.data.encoding import EncodedExample


def encoded(length: int, offset: int = 2, dim: int | None = None, target: int | None = None):
    ids = np.arange(offset, offset + length, dtype=np.int64)
    return EncodedExample(
        token_ids=ids, feature_ids={"f": ids + 10},
        frames=None if dim is None else np.full((length, dim), float(length)),
        label_ids=ids % 3,
        target_ids=None if target is None else np.arange(target, dtype=np.int64))


def test_time_major_shapes_sorted_lengths_padding_and_mask():
    batch = make_batch([encoded(2), encoded(4), encoded(3)], index=[7, 8, 9])
    assert batch.token_ids.shape == (4, 3) and batch.token_ids.dtype == np.int64
    np.testing.assert_array_equal(batch.lengths, [4, 3, 2])
    np.testing.assert_array_equal(batch.index, [8, 9, 7])
    np.testing.assert_array_equal(batch.token_ids[:, 2], [2, 3, 0, 0])
    np.testing.assert_array_equal(batch.feature_ids["f"][:, 2], [12, 13, 0, 0])
    np.testing.assert_array_equal(batch.label_ids[:, 1], [2, 0, 1, -1])
    np.testing.assert_array_equal(batch.mask, batch.label_ids != -1)
    assert batch.frames is None and batch.target_ids is None and batch.size == 3


def test_frames_and_ctc_targets():
    batch = make_batch([encoded(2, dim=3, target=1), encoded(3, dim=3, target=2)])
    assert batch.frames.shape == (3, 2, 3)
    np.testing.assert_array_equal(batch.frames[:, 1, 0], [2.0, 2.0, 0.0])
    np.testing.assert_array_equal(batch.target_ids, [[0, 1], [0, -1]])
    np.testing.assert_array_equal(batch.target_lengths, [2, 1])


def test_index_restores_input_order():
    examples = [encoded(n, offset=100 * n) for n in (3, 1, 5, 2)]
    batch = make_batch(examples)
    for column, i in enumerate(batch.index):
        np.testing.assert_array_equal(batch.token_ids[:batch.lengths[column], column],
                                      examples[i].token_ids)


def lengths_of(batches):
    return [batch.lengths.tolist() for batch in batches]


def test_every_example_once_and_batches_sorted():
    examples = [encoded(n) for n in np.random.default_rng(0).integers(1, 30, size=103)]
    for shuffle, bucket in [(False, False), (True, False), (True, True), (False, True)]:
        batches = list(iter_batches(examples, 8, shuffle=shuffle, bucket=bucket,
                                    rng=np.random.default_rng(1)))
        assert sorted(np.concatenate([b.index for b in batches]).tolist()) == list(range(103))
        assert all((np.diff(b.lengths) <= 0).all() for b in batches)
        assert sorted((b.size for b in batches), reverse=True) == [8] * 12 + [7]


def test_shuffle_and_bucketing_are_deterministic_given_the_rng():
    examples = [encoded(n) for n in np.random.default_rng(0).integers(1, 30, size=200)]

    def run(seed):
        return [b.index.tolist() for b in iter_batches(examples, 10, shuffle=True, bucket=True,
                                                       rng=np.random.default_rng(seed))]

    assert run(3) == run(3) and run(3) != run(4)


def test_bucketing_reduces_padding():
    examples = [encoded(n) for n in np.random.default_rng(0).integers(1, 50, size=500)]

    def padding(bucket):
        batches = iter_batches(examples, 16, shuffle=True, bucket=bucket,
                               rng=np.random.default_rng(0))
        return sum(b.mask.size - b.mask.sum() for b in batches)

    assert padding(True) < padding(False) / 4


def test_shuffle_needs_an_rng():
    with pytest.raises(ValueError, match="rng"):
        next(iter_batches([encoded(2)], 4, shuffle=True))
