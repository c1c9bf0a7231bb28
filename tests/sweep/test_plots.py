"""`lstm report --plot` (learning curves) and `lstm eval --plot` (confusion matrix) write
valid PNGs of a sensible size; without matplotlib they say how to install it."""

from __future__ import annotations

import sys

import pytest

from .helpers import GRID_NAMES, png_size

pytest.importorskip("matplotlib")


def test_report_plots_learning_curves(grid_sweep, cli, tmp_path):
    path = tmp_path / "curves.png"
    result = cli("report", grid_sweep["output"], "--plot", path, "--format", "csv")
    assert result.code == 0, result.err
    width, height = png_size(path)
    assert 800 <= width <= 2000 and 300 <= height <= 1200


def test_eval_plots_a_confusion_matrix(grid_sweep, cli, tmp_path):
    path = tmp_path / "confusion.png"
    result = cli("eval", grid_sweep["output"] / GRID_NAMES[0], "--plot", path)
    assert result.code == 0, result.err
    width, height = png_size(path)
    assert 300 <= width <= 2000 and 300 <= height <= 2000


def test_plots_without_matplotlib_say_how_to_install_it(grid_sweep, cli, tmp_path,
                                                        monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    for command in (["report", grid_sweep["output"]], ["eval", grid_sweep["output"] /
                                                       GRID_NAMES[0]]):
        result = cli(*command, "--plot", tmp_path / "x.png")
        assert result.code == 2
        assert "pip install 'lstm-cli[plot]'" in result.err
    assert not (tmp_path / "x.png").exists()
