"""The sweep file is checked before anything runs; it expands into runs in a fixed order with
stable, readable, filesystem-safe directory names."""

from __future__ import annotations

import sys

import pytest

from lstm_cli.config import parse_override
from lstm_cli.sweep.plan import (
    MAX_NAME_LENGTH,
    format_override,
    load_sweep,
    run_name,
    short_keys,
)

from .helpers import write_sweep

HEADER = "base: base.yaml\noutput: runs\n"


@pytest.mark.parametrize("body, expected", [
    ("grdi: {model.hidden_size: [4]}\n", ["unknown key 'grdi'", "did you mean 'grid'?", ":3"]),
    ("grid: {model.hiden_size: [4]}\n",
     ["grid: unknown config key 'model.hiden_size'", "did you mean 'model.hidden_size'?"]),
    ("set: {train.optimiser.lr: 0.1}\n", ["set: unknown config key 'train.optimiser.lr'",
                                          "did you mean 'train.optimizer'?"]),
    ("random: {samples: 2, params: {model.dropout: {unifrom: [0, 0.5]}}}\n",
     ["unknown key 'random.params.model.dropout.unifrom'", "did you mean "
      "'random.params.model.dropout.uniform'?"]),
    ("random: {samples: 2, params: {model.dropuot: {uniform: [0, 0.5]}}}\n",
     ["random.params: unknown config key 'model.dropuot'", "did you mean 'model.dropout'?"]),
    ("random: {samples: 2, params: {model.dropout: {uniform: [0.5, 0.1]}}}\n",
     ["low bound 0.5 is above the high bound 0.1"]),
    ("grid: {model.hidden_size.width: [4]}\n", ["'model.hidden_size' is a value, not a section"]),
    ("grid: {model.hidden_size: []}\n", ["grid.model.hidden_size lists no values"]),
    ("set: {model.hidden_size: 4}\ngrid: {model.hidden_size: [8]}\n",
     ["grid: 'model.hidden_size' is also given in set"]),
    ("seeds: [0, 1]\ngrid: {seed: [3]}\n", ["'seed' conflicts with 'seeds'"]),
    ("scheduler: {asha: {metrik: dev.token_accuracy}}\n",
     ["unknown key 'scheduler.asha.metrik'", "did you mean 'scheduler.asha.metric'?"]),
])
def test_a_bad_sweep_file_exits_2_naming_the_key(project, cli, body, expected):
    sweep = write_sweep(project, HEADER + body)
    result = cli("sweep", sweep, "--dry-run")
    assert result.code == 2, result.err
    for text in expected:
        assert text in result.err
    assert not (project / "runs").exists()


def test_a_bad_value_is_caught_for_its_run_before_any_run_starts(project, cli):
    sweep = write_sweep(project, f"base: base.yaml\noutput: {project / 'runs'}\n"
                        "grid: {model.hidden_size: [4, 0]}\n")
    result = cli("sweep", sweep, "--jobs", "1")
    assert result.code == 2
    assert "run hidden_size=0:" in result.err and "model.hidden_size" in result.err
    assert not (project / "runs").exists()


def test_the_base_config_is_found_relative_to_the_sweep_file(project, cli):
    (project / "sweeps").mkdir()
    sweep = write_sweep(project / "sweeps", "base: ../base.yaml\noutput: runs\n")
    assert load_sweep(sweep).base.resolve() == (project / "base.yaml").resolve()
    missing = write_sweep(project / "sweeps", "base: base.yaml\noutput: runs\n", "missing.yaml")
    result = cli("sweep", missing, "--dry-run")
    assert result.code == 2 and "base: config file not found" in result.err


def test_grid_random_and_seeds_expand_in_a_fixed_order(project):
    sweep = write_sweep(project, HEADER + """
grid: {model.hidden_size: [4, 8], model.bidirectional: [true, false]}
random:
  samples: 3
  params:
    model.dropout: {uniform: [0.0, 0.5]}
    train.optimizer.lr: {log_uniform: [1.0e-4, 1.0e-2]}
    train.batch_size: {int_uniform: [2, 4]}
    model.cell: {choice: [lstm, gru]}
seeds: [0, 1]
seed: 7
""")
    runs = load_sweep(sweep).runs
    assert len(runs) == 2 * 2 * 3 * 2
    assert [(r.point["model.hidden_size"], r.point["model.bidirectional"], r.seed)
            for r in runs[:3]] == [(4, True, 0), (4, True, 1), (4, True, 0)]
    assert runs == load_sweep(sweep).runs                  # the same draws every time
    samples = {tuple(sorted((k, v) for k, v in r.point.items() if k not in
                            ("model.hidden_size", "model.bidirectional"))) for r in runs}
    assert len(samples) == 3                               # every grid point meets each draw
    for run in runs:
        assert 0.0 <= run.point["model.dropout"] <= 0.5
        assert 1e-4 <= run.point["train.optimizer.lr"] <= 1e-2
        assert run.point["train.batch_size"] in (2, 3, 4)
        assert run.point["model.cell"] in ("lstm", "gru")
        assert run.config.model.dropout == run.point["model.dropout"]
        assert run.config.seed == run.seed
    other = write_sweep(project, sweep.read_text().replace("seed: 7", "seed: 8"), "other.yaml")
    assert [r.point for r in load_sweep(other).runs] != [r.point for r in runs]


def test_run_names_are_short_readable_and_safe():
    assert short_keys(["model.hidden_size", "train.optimizer.lr"]) == {
        "model.hidden_size": "hidden_size", "train.optimizer.lr": "lr"}
    assert short_keys(["model.dropout", "model.embedding.dropout"]) == {
        "model.dropout": "model.dropout", "model.embedding.dropout": "embedding.dropout"}
    assert short_keys(["data.split.seed"], reserved={"seed"}) == {"data.split.seed": "split.seed"}
    short = {"model.hidden_size": "hidden_size", "train.optimizer.lr": "lr"}
    assert run_name({"model.hidden_size": 64, "train.optimizer.lr": 0.01}, 0, short) == \
        "hidden_size=64,lr=0.01,seed=0"
    assert run_name({"data.train": "../data/x y.txt"}, None, {"data.train": "train"}) == \
        "train=.._data_x_y.txt"
    long_point = {f"model.key{i}": "v" * 20 for i in range(8)}
    name = run_name(long_point, 1, {key: key for key in long_point})
    assert len(name) == MAX_NAME_LENGTH and "~" in name
    assert name == run_name(long_point, 1, {key: key for key in long_point})
    assert name != run_name(long_point, 2, {key: key for key in long_point})


@pytest.mark.parametrize("value", [0.01, 1e-5, 3, True, None, "adam", "0.01", "yes", [1, 2],
                                   {"pos": 1}, "a b"])
def test_overrides_read_back_as_the_same_value(value):
    assert parse_override(format_override("model.x", value)) == ("model.x", value)


def test_dry_run_lists_the_runs_and_their_status(project, cli):
    sweep = write_sweep(project, f"base: base.yaml\noutput: {project / 'runs'}\n"
                        "grid: {model.hidden_size: [4, 8]}\nseeds: [3]\n")
    result = cli("sweep", sweep, "--dry-run")
    assert result.code == 0
    lines = result.out.splitlines()
    assert [line.split()[0] for line in lines] == ["new", "new"]
    assert lines[0].endswith("runs/hidden_size=4,seed=3")
    assert not (project / "runs").exists()


def test_address_needs_the_ray_executor(project, cli):
    sweep = write_sweep(project, HEADER)
    result = cli("sweep", sweep, "--address", "auto")
    assert result.code == 2 and "--executor ray" in result.err


def test_the_ray_executor_says_how_to_install_ray(project, cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    sweep = write_sweep(project, f"base: base.yaml\noutput: {project / 'runs'}\n")
    result = cli("sweep", sweep, "--executor", "ray")
    assert result.code == 2
    assert "pip install 'lstm-cli[ray]'" in result.err
