"""The Ray executor: the sweep's runs as Ray Tune trials, on a cluster or a local Ray instance.

Each trial runs the same `lstm train` process as the local executor (cwd: the sweep's working
directory, one BLAS thread, one CPU of Ray's) and tails the run directory's metrics.jsonl,
reporting every epoch to Tune as flat metrics (`epoch`, `train_loss`, `dev.token_accuracy`,
`dev.entity.f1`, ...). A scheduler from the sweep file (`asha`, with `time_attr` the epoch) can
therefore stop trials early: the trial's `lstm train` gets SIGTERM, saves its last checkpoint, and
the driver writes stopped.json into the run directory so that re-running the sweep skips it.

Results land in the run directories below `output` (a shared filesystem on a cluster); Tune's own
files go to `output/.ray`. The trial itself (the part that runs on Ray's workers) is ray_trial.py.
`join_cluster` connects to a running head (`--address`): token authentication, Ray's reading of
a loopback address, and a clear error instead of Ray's retries when nobody answers.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from lstm_cli import fsutil
from lstm_cli.errors import LstmError
from lstm_cli.metric_registry import higher_is_better
from lstm_cli.sweep.capture import OUTPUT_FILE, last_line
from lstm_cli.sweep.plan import STOPPED_FILE, Run, Sweep, split_runs, train_args
from lstm_cli.sweep.progress import RunOutcome, SweepProgress, SweepResult
from lstm_cli.sweep.ray_trial import trial
from lstm_cli.sweep.spec import AshaSpec


def import_ray() -> Any:
    """`ray` with Tune, or an LstmError saying how to install it."""
    try:
        import ray
        import ray.tune  # noqa: F401
    except ImportError:
        raise LstmError("the ray executor needs Ray with Tune, which is not installed",
                        hint="pip install 'lstm-cli[ray]'") from None
    return ray


PROBE_SECONDS = 5.0
"""How long the head's port may take to accept a TCP connection before the address counts as
unreachable."""


def join_cluster(ray: Any, address: str, **options: Any) -> None:
    """`ray.init(address=address, **options)` for a running cluster, or an LstmError that names
    the address and the likely fix — within seconds, where Ray itself would retry for minutes.

    - The head's port is tried first (TCP, then a gRPC handshake, `PROBE_SECONDS` each) at the
      address Ray dials — Ray 2.60 replaces a loopback host (127.0.0.1, localhost) with this
      machine's own address, as its head does when it registers — because Ray itself keeps
      retrying a port where nobody, or no Ray, listens.
    - Token authentication (Ray >= 2.52): with RAY_AUTH_MODE unset, a token found in
      RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token is sent, as `ray start` and
      `ray.init(address="auto")` do (Ray skips that for an explicit address); a cluster without
      authentication ignores it. A refused token fails after Ray's ~20 s of retries.
    """
    dialled = _dialled_address(address)
    silence = _why_no_answer(dialled)
    if silence is not None:
        seen_as = "" if dialled == address else f" (Ray dials {dialled})"
        raise LstmError(f"--address: no Ray cluster answers at {address}{seen_as}: {silence}",
                        hint="start one with `ray start --head --port=PORT` and pass the address "
                        "it prints; see the README's Sweeps section")
    _send_token_if_available()
    try:
        ray.init(address=address, **options)
    except (ConnectionError, RuntimeError, ray.exceptions.RayError) as error:
        if _refused_token(error):
            raise LstmError(f"--address: the Ray cluster at {address} refused this client: "
                            "its authentication token is missing or wrong",
                            hint="set RAY_AUTH_TOKEN, or RAY_AUTH_TOKEN_PATH to a file, to the "
                            "head's token: `ray get-auth-token` on the head prints it") from None
        raise LstmError(f"--address: could not join the Ray cluster at {address}: "
                        f"{_first_line(error)}",
                        hint="run lstm sweep on a node of that cluster: `ray start "
                        "--address=HOST:PORT` makes this machine one") from None


def _dialled_address(address: str) -> str:
    """host:port that `ray.init(address=address)` connects to: a ray:// address as written, else
    Ray's own reading of it (`auto`: the cluster `ray start` last started here; a loopback host:
    this machine's own address)."""
    if address.startswith("ray://"):
        dialled = address.removeprefix("ray://")
    else:
        from ray._private.services import canonicalize_bootstrap_address
        try:
            dialled = canonicalize_bootstrap_address(address)
        except (ConnectionError, ValueError) as error:
            raise LstmError(f"--address {address}: {error}",
                            hint="give HOST:PORT of a Ray head, or auto"
                            ) from None
    host, _, port = dialled.rpartition(":")
    if not host or not port.isdigit():
        raise LstmError(f"--address {address}: not host:port",
                        hint="give HOST:PORT of a Ray head, or auto")
    return dialled


def _why_no_answer(dialled: str) -> str | None:
    """Why no gRPC server (a Ray head's GCS or Ray Client server) answers at host:port within
    `PROBE_SECONDS` — the TCP error, or a listener that does not speak gRPC — or None."""
    import grpc

    host, _, port = dialled.rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=PROBE_SECONDS).close()
    except OSError as error:
        return error.strerror or str(error)
    channel = grpc.insecure_channel(dialled)
    try:
        grpc.channel_ready_future(channel).result(timeout=PROBE_SECONDS)
    except grpc.FutureTimeoutError:
        return f"the port is open but no gRPC server answered in {PROBE_SECONDS:g} s"
    finally:
        channel.close()
    return None


def _send_token_if_available() -> None:
    """Switch this process to token authentication when RAY_AUTH_MODE is unset and a token is
    available (Ray's own rule for `ray start` and address="auto")."""
    from ray._private.authentication.authentication_token_setup import (
        maybe_enable_token_auth_if_token_available,
    )
    from ray.exceptions import AuthenticationError
    quiet = logging.getLogger("ray._private.authentication.authentication_token_setup")
    level = quiet.level
    quiet.setLevel(logging.ERROR)         # not Ray's "enabled for this cluster" warning
    try:
        maybe_enable_token_auth_if_token_available(warn_if_disabled=False)
    except AuthenticationError as error:      # RAY_AUTH_TOKEN_PATH names a missing or empty file
        raise LstmError(f"--address: {error.message}",
                        hint="RAY_AUTH_TOKEN_PATH must name a file that holds the head's token"
                        ) from None
    finally:
        quiet.setLevel(level)


def _refused_token(error: BaseException) -> bool:
    """Whether Ray's connection error (or one it was raised from) is an authentication failure;
    Ray passes the GCS client's error on as text inside a RuntimeError."""
    while error is not None:
        if type(error).__name__ == "AuthenticationError" or \
                any(word in str(error) for word in ("InvalidAuthToken", "Unauthenticated")):
            return True
        error = error.__cause__ or error.__context__
    return False


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def run_ray(sweep: Sweep, *, jobs: int | None, address: str | None,
            out: TextIO | None = None, err: TextIO | None = None) -> SweepResult:
    """Run every unfinished run of `sweep` as a Tune trial; `jobs` caps concurrent trials (and
    is the CPU count of a local instance)."""
    ray = import_ray()
    from ray import tune

    work, finished = split_runs(sweep)
    asha = sweep.spec.scheduler.asha if sweep.spec.scheduler else None
    if asha is not None:
        _check_metric(sweep, asha)
    os.environ.setdefault("TUNE_DISABLE_SIGINT_HANDLER", "1")  # Ctrl-C reaches us, not Tune
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    started_here = bool(work) and not ray.is_initialized()
    if started_here:        # before the progress bar, which a connection error would cut short
        options: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": False}
        if address is None:
            ray.init(num_cpus=jobs, include_dashboard=False, **options)
        else:
            join_cluster(ray, address, **options)
    progress = SweepProgress(len(work), out=out or sys.stdout, err=err or sys.stderr)
    for run, status in finished:
        progress.skipped(run, status)
    if not work:
        progress.close()
        return SweepResult(progress.outcomes)
    cwd = os.getcwd()
    trials = [{"args": train_args(sweep, run, resume=resume), "epochs": run.config.train.epochs,
               "run_dir": str(Path(cwd, run.run_dir)), "name": run.name,
               "metric": asha.metric if asha else None}
              for run, resume in work]
    callback = _progress_callback(progress, [run for run, _ in work], asha)
    trainable = tune.with_resources(tune.with_parameters(trial, trials=trials, cwd=cwd),
                                    {"cpu": 1})
    scheduler = None
    if asha is not None:
        scheduler = tune.schedulers.ASHAScheduler(
            time_attr="epoch", metric=asha.metric, mode=asha.mode or _mode(asha.metric),
            grace_period=asha.grace_period, reduction_factor=asha.reduction_factor,
            max_t=asha.max_t or max(run.config.train.epochs for run, _ in work))
    tuner = tune.Tuner(
        trainable,
        param_space={"index": tune.grid_search(list(range(len(trials))))},
        tune_config=tune.TuneConfig(
            scheduler=scheduler, max_concurrent_trials=jobs, reuse_actors=True,
            trial_name_creator=lambda t: trials[t.config["index"]]["name"],
            trial_dirname_creator=lambda t: f"trial-{t.config['index']}"),
        run_config=tune.RunConfig(
            name=sweep.path.stem, storage_path=str(Path(cwd, sweep.output, ".ray")),
            verbose=0, callbacks=[callback], failure_config=tune.FailureConfig(max_failures=0)))
    try:
        tuner.fit()
    except KeyboardInterrupt:
        recorded = {id(outcome.run) for outcome in progress.outcomes}
        progress.outcomes += [RunOutcome(run, "interrupted" if index in callback.started_runs
                                         else "not started")
                              for index, (run, _) in enumerate(work) if id(run) not in recorded]
        return SweepResult(progress.outcomes, interrupted=True)
    finally:
        progress.close()
        if started_here:
            ray.shutdown()
    return SweepResult(_settle_late_reports(progress.outcomes))


def _settle_late_reports(outcomes: list[RunOutcome]) -> list[RunOutcome]:
    """A trial the scheduler stops on its last epoch can finish writing report.json after Tune
    called it stopped: such a run is done (as `plan` and `results` read a run directory), and
    its stopped.json goes."""
    settled = []
    for outcome in outcomes:
        run_dir = outcome.run.run_dir
        if outcome.outcome == "stopped" and (run_dir / "report.json").exists():
            (run_dir / STOPPED_FILE).unlink(missing_ok=True)
            outcome = dataclasses.replace(outcome, outcome="done")
        settled.append(outcome)
    return settled


def _mode(metric: str) -> str:
    return "max" if higher_is_better(metric) else "min"


def _check_metric(sweep: Sweep, asha: AshaSpec) -> None:
    """The scheduler's metric must be one that epochs report (a run without dev data fails its
    trial with a message instead: see `ray_trial.trial`)."""
    if asha.metric not in ("train_loss", "lr", "seconds", "train_tokens_per_s") and \
            not asha.metric.startswith("dev."):
        raise LstmError(f"scheduler.asha.metric: '{asha.metric}' is not reported per epoch",
                        path=sweep.path, hint="use train_loss or dev.<metric>, e.g. "
                        "dev.token_accuracy")


def _progress_callback(progress: SweepProgress, runs: list[Run], asha: AshaSpec | None) -> Any:
    """A Tune callback (driver side): one line per finished trial, and stopped.json for the
    trials the scheduler stopped."""
    from ray import tune

    class Progress(tune.Callback):
        def __init__(self) -> None:
            self.started: dict[str, float] = {}
            self.started_runs: set[int] = set()       # indices into `runs`

        def __reduce__(self):
            # Tune pickles its callbacks with the experiment state; streams do not pickle, and
            # a restored experiment has no terminal to print to.
            return tune.Callback, ()

        def on_trial_start(self, iteration, trials, trial, **info) -> None:
            self.started[trial.trial_id] = time.perf_counter()
            self.started_runs.add(trial.config["index"])

        def on_trial_complete(self, iteration, trials, trial, **info) -> None:
            run = runs[trial.config["index"]]
            outcome = "done"
            if not (run.run_dir / "report.json").exists():
                outcome = "stopped"
                _write_stopped(run.run_dir, trial.last_result, asha)
            progress.record(RunOutcome(run, outcome, self._seconds(trial), 0))

        def on_trial_error(self, iteration, trials, trial, **info) -> None:
            run = runs[trial.config["index"]]
            error_file = getattr(trial, "error_file", None)
            detail = last_line(Path(error_file) if error_file else run.run_dir / OUTPUT_FILE)
            progress.record(RunOutcome(run, "failed", self._seconds(trial), None,
                                       detail=detail))

        def _seconds(self, trial) -> float:
            started = self.started.get(trial.trial_id)
            return 0.0 if started is None else time.perf_counter() - started

    return Progress()


def _write_stopped(run_dir: Path, last_result: dict[str, Any], asha: AshaSpec | None) -> None:
    metric = asha.metric if asha else None
    record = {"reason": "stopped early by the asha scheduler", "epoch":
              last_result.get("epoch"), "metric": metric,
              "value": last_result.get(metric) if metric else None}
    fsutil.atomic_write_text(run_dir / STOPPED_FILE, json.dumps(record, indent=2) + "\n")
