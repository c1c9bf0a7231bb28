"""How `lstm` ends: one message and exit 2 for the user's mistakes, 1 for a bug, 130 for Ctrl-C,
a traceback only with --debug."""

from __future__ import annotations

import lstm_cli.config


def test_a_user_error_is_one_line_and_debug_adds_the_traceback(cli, tmp_path):
    missing = tmp_path / "missing.yaml"
    plain = cli("config", "validate", missing)
    assert plain.code == 2
    assert plain.err == f"error: {missing}: config file not found\n"
    debug = cli("--debug", "config", "validate", missing)
    assert debug.code == 2 and "Traceback" in debug.err
    assert "Traceback" not in cli("config", "validate", missing).err     # --debug does not stick


def test_a_bug_exits_1_and_asks_for_debug(cli, tiny, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("something inside broke")

    monkeypatch.setattr(lstm_cli.config, "load_config", broken)
    result = cli("config", "show", tiny["config"])
    assert result.code == 1
    assert "internal error" in result.err and "--debug" in result.err
    assert "Traceback" not in result.err
    assert "Traceback" in cli("config", "show", tiny["config"], "--debug").err


def test_ctrl_c_outside_training_exits_130(cli, tiny, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(lstm_cli.config, "load_config", interrupted)
    assert cli("config", "show", tiny["config"]).code == 130


def test_a_path_through_a_file_exits_2_naming_it(cli, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    result = cli("data", "make", "queries", "--out", blocker / "sub", "--size", "5")
    assert result.code == 2
    assert str(blocker) in result.err and "Traceback" not in result.err
