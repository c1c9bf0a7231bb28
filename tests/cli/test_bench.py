"""`lstm bench`: the benchmark command's contract (timings themselves are not asserted)."""

import json

import pytest


def test_bench_json_reports_throughput_floor_and_memory(cli):
    result = cli("bench", "--batch-size", "4", "--seq-len", "5", "--input-size", "6",
                 "--hidden-size", "8", "--repeats", "1", "--threads", "1", "--json")
    assert result.code == 0, result.output
    data = json.loads(result.out)
    for key in ("train_tokens_per_s", "infer_tokens_per_s", "peak_bytes", "train_vs_floor",
                "infer_vs_floor", "activation_floor_s"):
        assert data[key] > 0, key
    assert data["infer_step_floor_s"] > 0 and data["train_step_floor_s"] > 0
    assert data["infer_bound_vs_floor"] == pytest.approx(1 + max(
        data["activation_floor_s"], data["infer_step_floor_s"]) / data["gemm_floor_infer_s"])
    assert data["train_bound_vs_floor"] == pytest.approx(
        1 + data["train_step_floor_s"] / data["gemm_floor_train_s"])


def test_bench_text_output_and_bad_option(cli):
    result = cli("bench", "--batch-size", "2", "--seq-len", "3", "--input-size", "4",
                 "--hidden-size", "4", "--repeats", "1", "--cell", "gru", "--bidirectional")
    assert result.code == 0, result.output
    assert "tokens/s" in result.out
    assert result.out.count("best possible") == 1        # a training bound for the LSTM only
    assert cli("bench", "--hidden-size", "0").code == 2
