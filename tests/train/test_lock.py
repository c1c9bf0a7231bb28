"""The run-directory lock."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from lstm_cli.errors import LstmError
from lstm_cli.train.lock import RunLock


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def write_lock(run_dir, pid, hostname=None):
    run_dir.mkdir(parents=True, exist_ok=True)
    owner = {"pid": pid, "hostname": hostname or socket.gethostname()}
    (run_dir / ".lock").write_text(json.dumps(owner))


def test_lock_records_owner_and_is_removed_on_exit(tmp_path):
    run_dir = tmp_path / "run"
    with RunLock(run_dir) as lock:
        owner = json.loads((run_dir / ".lock").read_text())
        assert owner == {"pid": os.getpid(), "hostname": socket.gethostname()}
        assert lock.warning is None
    assert not (run_dir / ".lock").exists()


def test_lock_is_released_when_the_body_raises(tmp_path):
    with pytest.raises(RuntimeError), RunLock(tmp_path):
        raise RuntimeError("boom")
    assert not (tmp_path / ".lock").exists()


def test_second_lock_on_a_live_pid_is_refused_and_leaves_the_first(tmp_path):
    with RunLock(tmp_path):
        with pytest.raises(LstmError, match=f"another lstm process \\(pid {os.getpid()}\\)"):
            RunLock(tmp_path).acquire()
        assert (tmp_path / ".lock").exists()
    assert not (tmp_path / ".lock").exists()


def test_stale_lock_from_a_dead_pid_is_taken_over_with_a_warning(tmp_path):
    pid = dead_pid()
    write_lock(tmp_path, pid)
    with RunLock(tmp_path) as lock:
        assert lock.warning is not None and f"pid {pid}" in lock.warning
        assert json.loads((tmp_path / ".lock").read_text())["pid"] == os.getpid()


def test_lock_from_another_host_is_refused(tmp_path):
    write_lock(tmp_path, dead_pid(), hostname="elsewhere.example")
    with pytest.raises(LstmError, match="on host elsewhere.example"):
        RunLock(tmp_path).acquire()


def test_unreadable_lock_is_refused_with_a_hint(tmp_path):
    (tmp_path / ".lock").write_text("")
    with pytest.raises(LstmError, match="unreadable.*delete"):
        RunLock(tmp_path).acquire()


def test_release_leaves_a_lock_that_is_no_longer_ours(tmp_path):
    lock = RunLock(tmp_path)
    lock.acquire()
    write_lock(tmp_path, dead_pid())
    lock.release()
    assert (tmp_path / ".lock").exists()
