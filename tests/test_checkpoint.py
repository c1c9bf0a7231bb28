"""Checkpoint save/load, its integrity checks, the directory swap protocol and atomic writes."""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import pytest

from lstm_cli import fsutil
from lstm_cli.checkpoint import (
    FORMAT_VERSION,
    load_checkpoint,
    resolve_checkpoint,
    save_checkpoint,
)
from lstm_cli.errors import CheckpointError
from lstm_cli.train.optim import make_optimizer


def make_params(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return {"embed.word": rng.standard_normal((6, 4)).astype(dtype),
            "rnn.l0.fwd.w_input": rng.standard_normal((16, 4)).astype(dtype),
            "out.bias": rng.standard_normal(3).astype(dtype)}


def save_simple(directory, seed=0, **meta):
    return save_checkpoint(directory, params=make_params(np.float32, seed),
                           meta={"epoch": seed, **meta})


def rewrite_meta(directory, **changes):
    meta_path = directory / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta.update(changes)
    meta_path.write_text(json.dumps(meta), encoding="utf-8")


def siblings(directory):
    return sorted(path.name for path in directory.parent.iterdir())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_preserves_arrays_bits_dtypes_and_meta(tmp_path, dtype):
    params = make_params(dtype)
    meta = {"config": {"model": {"hidden_size": 8}, "lr": 0.1},
            "vocab": ["<pad>", "Zürich", "東京", "naïve", "🙂"],
            "labels": ["O", "B-LOC", "I-LOC"], "epoch": 3, "step": 120,
            "metrics": {"dev_f1": 0.8125, "loss": float("nan")}}
    extra = {"char_counts": np.arange(5, dtype=np.int64)}
    save_checkpoint(tmp_path / "ck", params=params, meta=meta, extra_arrays=extra)

    loaded = load_checkpoint(tmp_path / "ck")
    assert loaded.params.keys() == params.keys()
    for name, value in params.items():
        assert loaded.params[name].dtype == dtype
        assert np.array_equal(loaded.params[name], value)
    assert np.array_equal(loaded.extra_arrays["char_counts"], extra["char_counts"])
    assert loaded.meta.keys() == meta.keys()
    assert loaded.meta["vocab"] == meta["vocab"]
    assert loaded.meta["config"] == meta["config"]
    assert np.isnan(loaded.meta["metrics"]["loss"])
    assert loaded.optimizer_state is None
    assert loaded.format_version == FORMAT_VERSION
    assert loaded.created.endswith("+00:00")
    assert "Zürich" in (tmp_path / "ck" / "meta.json").read_text(encoding="utf-8")


def test_rng_state_round_trips_exactly(tmp_path):
    rng = np.random.default_rng(1234)
    rng.random(7)
    save_simple(tmp_path / "ck", rng=rng.bit_generator.state)

    restored = np.random.default_rng()
    restored.bit_generator.state = load_checkpoint(tmp_path / "ck").meta["rng"]
    assert restored.bit_generator.state == rng.bit_generator.state
    assert np.array_equal(restored.random(10), rng.random(10))


@pytest.mark.parametrize("name", ["adam", "nesterov"])
def test_optimizer_state_through_a_checkpoint_resumes_bit_for_bit(tmp_path, name):
    params = make_params(np.float32)
    rng = np.random.default_rng(5)
    grad_batches = [{key: rng.standard_normal(value.shape).astype(np.float32)
                     for key, value in params.items()} for _ in range(4)]
    optimizer = make_optimizer(name, params, frozen={"embed.word"})
    for grads in grad_batches[:2]:
        optimizer.step(grads, 0.01)
    save_checkpoint(tmp_path / "ck", params=params, meta={},
                    optimizer_state=optimizer.state_dict())

    loaded = load_checkpoint(tmp_path / "ck")
    resumed = make_optimizer(name, loaded.params, frozen={"embed.word"})
    resumed.load_state_dict(*loaded.optimizer_state)
    for grads in grad_batches[2:]:
        optimizer.step(grads, 0.01)
        resumed.step(grads, 0.01)
    for key in params:
        assert np.array_equal(params[key], loaded.params[key])


def test_without_training_state_the_same_parameters_are_read_and_still_verified(tmp_path):
    params = make_params(np.float32)
    optimizer = make_optimizer("adam", params, frozen=set())
    optimizer.step({key: np.ones_like(value) for key, value in params.items()}, 0.01)
    save_checkpoint(tmp_path / "ck", params=params, meta={"epoch": 1},
                    optimizer_state=optimizer.state_dict(),
                    extra_arrays={"average.out.bias": params["out.bias"] * 2})
    full = load_checkpoint(tmp_path / "ck")
    lean = load_checkpoint(tmp_path / "ck", training_state=False)
    assert full.optimizer_state is not None and full.extra_arrays
    assert lean.optimizer_state is None and lean.extra_arrays == {}
    assert lean.meta == full.meta
    assert lean.params.keys() == full.params.keys()
    for key, value in full.params.items():
        assert lean.params[key].dtype == value.dtype
        assert lean.params[key].tobytes() == value.tobytes()

    arrays = tmp_path / "ck" / "arrays.npz"
    data = bytearray(arrays.read_bytes())
    data[-100] ^= 1
    arrays.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="sha256"):
        load_checkpoint(tmp_path / "ck", training_state=False)


def test_saving_again_replaces_the_checkpoint_and_leaves_no_siblings(tmp_path):
    save_simple(tmp_path / "ck" / "best", seed=1)
    save_simple(tmp_path / "ck" / "best", seed=2)
    assert load_checkpoint(tmp_path / "ck" / "best").meta["epoch"] == 2
    assert siblings(tmp_path / "ck" / "best") == ["best"]


def test_flipped_byte_in_arrays_is_detected(tmp_path):
    save_simple(tmp_path / "ck")
    arrays_path = tmp_path / "ck" / "arrays.npz"
    data = bytearray(arrays_path.read_bytes())
    data[len(data) // 2] ^= 0x01
    arrays_path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="arrays.npz.*sha256"):
        load_checkpoint(tmp_path / "ck")


def test_newer_format_version_is_refused_naming_the_supported_one(tmp_path):
    save_simple(tmp_path / "ck")
    rewrite_meta(tmp_path / "ck", format_version=FORMAT_VERSION + 1)
    with pytest.raises(CheckpointError, match=f"reads \\(version {FORMAT_VERSION}\\)"):
        load_checkpoint(tmp_path / "ck")


@pytest.mark.parametrize("missing", ["meta.json", "arrays.npz"])
def test_missing_file_is_reported_by_name(tmp_path, missing):
    save_simple(tmp_path / "ck")
    (tmp_path / "ck" / missing).unlink()
    with pytest.raises(CheckpointError, match=f"{missing} is missing"):
        load_checkpoint(tmp_path / "ck")


def test_missing_directory_is_a_checkpoint_error(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "nowhere")


def test_pickled_object_array_is_refused_even_with_a_matching_sha256(tmp_path):
    save_simple(tmp_path / "ck")
    arrays_path = tmp_path / "ck" / "arrays.npz"
    np.savez(arrays_path, **{"param/a": np.array([{"x": 1}], dtype=object)})
    rewrite_meta(tmp_path / "ck",
                 arrays_sha256=hashlib.sha256(arrays_path.read_bytes()).hexdigest())
    with pytest.raises(CheckpointError, match="arrays.npz: file holds an object"):
        load_checkpoint(tmp_path / "ck")


def test_bytes_that_are_not_a_zip_archive_are_never_unpickled(tmp_path):
    save_simple(tmp_path / "ck")
    arrays_path = tmp_path / "ck" / "arrays.npz"
    arrays_path.write_bytes(b"\x80\x04junk that np.load would treat as a pickle")
    rewrite_meta(tmp_path / "ck",
                 arrays_sha256=hashlib.sha256(arrays_path.read_bytes()).hexdigest())
    with pytest.raises(CheckpointError, match="arrays.npz: file is not a .npz archive"):
        load_checkpoint(tmp_path / "ck")


def test_object_arrays_cannot_be_saved(tmp_path):
    with pytest.raises(TypeError, match="dtype object"):
        save_checkpoint(tmp_path / "ck", params={"a": np.array([{"x": 1}], dtype=object)},
                        meta={})


def test_a_directory_that_is_not_a_checkpoint_is_never_replaced(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "train.log").write_text("keep me")
    with pytest.raises(CheckpointError, match="not a checkpoint directory"):
        save_simple(tmp_path / "run")
    assert (tmp_path / "run" / "train.log").read_text() == "keep me"


def test_reserved_meta_keys_are_refused(tmp_path):
    with pytest.raises(ValueError, match="format_version"):
        save_simple(tmp_path / "ck", format_version=7)


def test_failed_save_leaves_the_previous_checkpoint_and_no_temp_dir(tmp_path):
    save_simple(tmp_path / "best", seed=1)
    with pytest.raises(TypeError):
        save_simple(tmp_path / "best", seed=2, not_json=object())
    assert load_checkpoint(tmp_path / "best").meta["epoch"] == 1
    assert siblings(tmp_path / "best") == ["best"]


def test_swap_failure_after_temp_dir_is_built_cleans_up(tmp_path, monkeypatch):
    save_simple(tmp_path / "best", seed=1)

    def crash(tmp_dir, final_dir):
        raise OSError("disk full")

    monkeypatch.setattr(fsutil, "atomic_replace_dir", crash)
    with pytest.raises(OSError, match="disk full"):
        save_simple(tmp_path / "best", seed=2)
    assert load_checkpoint(tmp_path / "best").meta["epoch"] == 1
    assert siblings(tmp_path / "best") == ["best"]


def test_crash_between_the_two_renames_recovers_from_old(tmp_path):
    best = tmp_path / "checkpoints" / "best"
    save_simple(best, seed=1)
    # State after step 2 of the swap, with a half-written temp dir from a dead process.
    os.rename(best, fsutil.old_dir_for(best))
    stray = best.with_name(".best.tmp-99999999")
    stray.mkdir()
    (stray / "arrays.npz").write_bytes(b"PK\x03\x04 half")

    loaded = load_checkpoint(best)
    assert loaded.meta["epoch"] == 1
    assert loaded.path == fsutil.old_dir_for(best)
    assert resolve_checkpoint(tmp_path) == best

    save_simple(best, seed=2)
    assert load_checkpoint(best).meta["epoch"] == 2
    assert siblings(best) == ["best"]


def test_crash_before_old_is_removed_loads_the_new_one(tmp_path):
    best = tmp_path / "best"
    save_simple(best, seed=1)
    save_simple(fsutil.old_dir_for(best), seed=0)
    assert load_checkpoint(best).meta["epoch"] == 1
    save_simple(best, seed=2)
    assert siblings(best) == ["best"]


def test_resolve_prefers_best_then_last_in_a_run_directory(tmp_path):
    run = tmp_path / "run"
    save_simple(run / "checkpoints" / "last")
    assert resolve_checkpoint(run) == run / "checkpoints" / "last"
    save_simple(run / "checkpoints" / "best")
    assert resolve_checkpoint(run) == run / "checkpoints" / "best"
    assert resolve_checkpoint(run, prefer=("last",)) == run / "checkpoints" / "last"
    assert resolve_checkpoint(run / "checkpoints" / "last") == run / "checkpoints" / "last"


def test_resolve_explains_what_it_expected(tmp_path):
    with pytest.raises(CheckpointError, match="no such checkpoint or run directory"):
        resolve_checkpoint(tmp_path / "missing")
    with pytest.raises(CheckpointError, match="checkpoints/best/ or checkpoints/last/"):
        resolve_checkpoint(tmp_path)


def test_atomic_write_text_replaces_the_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "metrics.json"
    fsutil.atomic_write_text(target, "first")
    fsutil.atomic_write_text(target, "second ✓")
    assert target.read_text(encoding="utf-8") == "second ✓"
    assert siblings(target) == ["metrics.json"]


def test_atomic_write_failure_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "metrics.json"
    fsutil.atomic_write_bytes(target, b"old")

    def crash(src, dst):
        raise OSError("rename failed")

    monkeypatch.setattr(fsutil.os, "replace", crash)
    with pytest.raises(OSError, match="rename failed"):
        fsutil.atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert siblings(target) == ["metrics.json"]
