"""The shared parts of the output layers: the length mask and the random gold of each kind of
target (what `lstm gradcheck` trains against)."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_cli.engine.outputs import OUTPUTS, make_output
from lstm_cli.engine.outputs.base import length_mask


def test_length_mask_marks_the_real_steps():
    lengths, mask = length_mask([3, 1], 3)
    assert lengths.dtype == np.int64
    np.testing.assert_array_equal(mask, [[True, True], [True, False], [True, False]])
    with pytest.raises(ValueError, match=r"CRF lengths must lie in \[1, 3\], got \[4, 1\]"):
        length_mask([4, 1], 3, check="CRF lengths")


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_random_gold_is_what_the_loss_reads_and_padding_is_empty(name):
    options = {"per_step": True, "size": 2} if name == "regression" else {}
    output = make_output(name, 4, dtype=np.float64, **options)
    lengths = np.array([4, 2, 1])
    gold = output.random_targets(np.random.default_rng(0), lengths)
    assert output.targets.batch_field in gold
    mask = length_mask(lengths, 4)[1]
    if "label_ids" in gold:
        assert ((gold["label_ids"] >= 0) == mask).all() and gold["label_ids"].max() < 4
    if "step_values" in gold:
        assert gold["step_values"].shape == (4, 3, 2) and (gold["step_values"][~mask] == 0).all()
    batch = type("Batch", (), {**gold, "lengths": lengths, "mask": mask})
    scores = np.random.default_rng(1).standard_normal((4, 3, output.num_scores))
    loss, d_scores = output.loss(scores, batch)
    assert np.isfinite(loss) and d_scores.shape == scores.shape
    assert (d_scores[~mask] == 0).all()
