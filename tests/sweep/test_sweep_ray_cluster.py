"""`lstm sweep --executor ray --address` against a real Ray head started as a separate process,
all of it inside a network namespace whose only interface is loopback (tests/sweep/netns.py), so
no packet can leave the machine: the machine's other addresses do not exist in there.

The head runs with token authentication (a token file of the test's own) and its own temp dir;
it is stopped through its own handle: SIGTERM to its process group, then SIGKILL to whatever is
still in its namespace (the trials' `lstm train` children run in sessions of their own). Skipped
where a namespace cannot be made (not root, not Linux) or Ray is not installed.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import Result, lstm_command, run_subprocess, subprocess_env

from .helpers import make_project, write_sweep

NETNS = Path(__file__).with_name("netns.py")
HEAD_PORT = 6391
HEAD_ADDRESS = f"127.0.0.1:{HEAD_PORT}"
RAY_CLI = [sys.executable, "-c", "from ray.scripts.scripts import main; main()"]
STARTED = "Ray runtime started"          # what `ray start` prints once the head is up


def namespace_env(**extra: str) -> dict[str, str]:
    """`subprocess_env()` without the caller's Ray settings, plus `extra`. Ray on one machine
    without a network (RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0): head and drivers use 127.0.0.1 as
    the node's address, not whatever the host name resolves to."""
    env = {name: value for name, value in subprocess_env().items()
           if name not in ("RAY_ADDRESS", "RAY_AUTH_MODE", "RAY_AUTH_TOKEN",
                           "RAY_AUTH_TOKEN_PATH")}
    env.update(RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0", RAY_USAGE_STATS_ENABLED="0", **extra)
    return env


def skip_without_namespace() -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("network namespaces are Linux's")
    pytest.importorskip("ray.tune")
    probe = subprocess.run([sys.executable, NETNS, "new", sys.executable, "-c", "pass"],
                           capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip(probe.stderr.strip() or "no loopback-only network namespace here")


@dataclass
class Head:
    """A Ray head in a network namespace of its own; `lstm(...)` runs there too."""
    process: subprocess.Popen
    namespace: str                        # readlink /proc/PID/ns/net, e.g. net:[4026532174]
    token_file: Path

    def lstm(self, *argv, cwd: Path, timeout: float = 300, **env: str) -> Result:
        command = [sys.executable, NETNS, "join", str(self.process.pid), *lstm_command(*argv)]
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                              env=namespace_env(**env))
        return Result(done.returncode, done.stdout, done.stderr)


def namespace_of(pid: int) -> str | None:
    """The network namespace of process `pid` (`net:[4026532174]`), None once it is gone."""
    try:
        return os.readlink(f"/proc/{pid}/ns/net")
    except OSError:
        return None


def processes_in(namespace: str) -> list[int]:
    """Every process in the network namespace `namespace`."""
    return [int(entry) for entry in os.listdir("/proc")
            if entry.isdigit() and namespace_of(int(entry)) == namespace]


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@pytest.fixture
def ray_head(tmp_path: Path) -> Iterator[Head]:
    skip_without_namespace()
    # Short: Ray's Unix socket paths below it must fit in 107 bytes.
    temp_dir = Path(tempfile.mkdtemp(prefix="lstm-ray-"))
    token_file = tmp_path / "ray_token"
    token_file.write_text(secrets.token_hex(32))
    log = tmp_path / "head.log"
    own_namespace = os.readlink("/proc/self/ns/net")
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, NETNS, "new", *RAY_CLI, "start", "--head", "--block",
             f"--port={HEAD_PORT}", "--num-cpus=2", "--include-dashboard=false",
             f"--temp-dir={temp_dir}"],
            env=namespace_env(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN_PATH=str(token_file),
                              RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S="0"),
            stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True)
    namespace: str | None = None
    try:
        # The head's namespace, as soon as netns.py has made it: the handle that finds every
        # process to stop, whatever happens next.
        assert wait_until(lambda: process.poll() is not None or
                          namespace_of(process.pid) not in (None, own_namespace), 30)
        namespace = namespace_of(process.pid)

        def started() -> bool:
            return process.poll() is not None or STARTED in log.read_text(errors="replace")

        assert wait_until(started, 120), "the Ray head did not start in 120 s"
        assert process.poll() is None, f"the Ray head exited:\n{log.read_text()[-3000:]}"
        yield Head(process, namespace, token_file)
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)    # `ray start --block` stops its processes
            process.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if namespace not in (None, own_namespace):
            for pid in processes_in(namespace):       # what SIGTERM left, e.g. a trial's child
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        shutil.rmtree(temp_dir, ignore_errors=True)
        if namespace not in (None, own_namespace):
            assert wait_until(lambda: not processes_in(namespace), 10), \
                f"processes survived the Ray head: {processes_in(namespace)}"


@pytest.mark.slow
def test_a_sweep_runs_on_a_ray_head_over_loopback_only(ray_head, tmp_path):
    project = tmp_path / "project"
    make_project(project)
    sweep = write_sweep(project, f"""
base: base.yaml
output: {project / 'runs'}
set: {{train.epochs: 2}}
grid:
  model.hidden_size: [4, 6]
""")
    # The token file alone (RAY_AUTH_MODE unset): lstm sends it, as `ray start` would.
    token = {"RAY_AUTH_TOKEN_PATH": str(ray_head.token_file)}
    result = ray_head.lstm("sweep", sweep, "--executor", "ray", "--address", HEAD_ADDRESS,
                           "--jobs", "2", cwd=project, **token)
    assert result.code == 0, result.output
    assert "sweep: 2 runs: 2 done" in result.out
    names = ["hidden_size=4", "hidden_size=6"]
    output = project / "runs"
    assert sorted(p.name for p in output.iterdir() if not p.name.startswith(".")) == names
    for name in names:
        epochs = [json.loads(line)["epoch"]
                  for line in (output / name / "metrics.jsonl").read_text().splitlines()]
        assert epochs == [1, 2]
        assert json.loads((output / name / "report.json").read_text())["token_accuracy"] > 0
    rows = json.loads(run_subprocess("report", output, "-f", "json", cwd=project).out)
    assert sorted(row["status"] for row in rows) == ["done", "done"]

    again = ray_head.lstm("sweep", sweep, "--executor", "ray", "--address", HEAD_ADDRESS,
                          cwd=project, **token)
    assert again.code == 0 and "2 skipped" in again.out, again.output

    # A wrong token, and a port nobody listens on: exit 2 naming the address, no traceback.
    # Ray tries a refused token 20 times, a second apart; 3 tries here, to keep the test short.
    other = write_sweep(project, f"base: base.yaml\noutput: {project / 'other'}\n", "other.yaml")
    refused = ray_head.lstm("sweep", other, "--executor", "ray", "--address", HEAD_ADDRESS,
                            cwd=project, timeout=90, RAY_AUTH_TOKEN=secrets.token_hex(32),
                            RAY_gcs_server_port_wait_time_s="3")
    assert refused.code == 2, refused.output
    assert f"Ray cluster at {HEAD_ADDRESS} refused this client" in refused.err
    assert "RAY_AUTH_TOKEN" in refused.err and "Traceback" not in refused.err
    closed = f"127.0.0.1:{HEAD_PORT + 1}"
    unreachable = ray_head.lstm("sweep", other, "--executor", "ray", "--address", closed,
                                cwd=project, timeout=60, **token)
    assert unreachable.code == 2, unreachable.output
    assert f"no Ray cluster answers at {closed}" in unreachable.err
    assert not (project / "other").exists() or not any((project / "other").iterdir())
