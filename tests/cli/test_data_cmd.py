"""`lstm data list` and `lstm data make`."""

from __future__ import annotations

from lstm_cli.data.dataset import read_dataset
from lstm_cli.data.generators import BUILTIN_DATASETS


def test_data_list_names_every_builtin_dataset(cli):
    result = cli("data", "list")
    assert result.code == 0
    names = [line.split()[0] for line in result.out.splitlines()]
    assert names == list(BUILTIN_DATASETS)


def test_data_make_writes_readable_splits_deterministically(cli, tmp_path):
    for name, spec in BUILTIN_DATASETS.items():
        first = cli("data", "make", name, "--out", tmp_path / name / "a", "--seed", "3",
                    "--size", "20")
        assert first.code == 0, first.err
        paths = [tmp_path / name / "a" / f"{part}{spec.suffix}" for part in ("train", "dev",
                                                                            "test")]
        assert first.out.split() == [str(path) for path in paths]
        assert sum(len(read_dataset(path, spec.format)) for path in paths) == 20
        cli("data", "make", name, "--out", tmp_path / name / "b", "--seed", "3", "--size", "20")
        for path in paths:
            assert path.read_bytes() == (tmp_path / name / "b" / path.name).read_bytes()


def test_data_make_seed_changes_the_data(cli, tmp_path):
    for seed in ("1", "2"):
        cli("data", "make", "queries", "--out", tmp_path / seed, "--seed", seed, "--size", "10")
    assert (tmp_path / "1/train.txt").read_text() != (tmp_path / "2/train.txt").read_text()


def test_data_make_errors_exit_2(cli, tmp_path):
    unknown = cli("data", "make", "nosuch", "--out", tmp_path)
    assert unknown.code == 2 and "queries" in unknown.err
    bad_size = cli("data", "make", "queries", "--out", tmp_path, "--size", "0")
    assert bad_size.code == 2 and "--size" in bad_size.err
    no_out = cli("data", "make", "queries")
    assert no_out.code == 2 and "--out" in no_out.err
