"""The Ray executor: the sweep's runs as Ray Tune trials, on a cluster or a local Ray instance.

Each trial runs the same `lstm train` process as the local executor (cwd: the sweep's working
directory, one BLAS thread, one CPU of Ray's) and tails the run directory's metrics.jsonl,
reporting every epoch to Tune as flat metrics (`epoch`, `train_loss`, `dev.token_accuracy`,
`dev.entity.f1`, ...). A scheduler from the sweep file (`asha`, with `time_attr` the epoch) can
therefore stop trials early: the trial's `lstm train` gets SIGTERM, saves its last checkpoint, and
the driver writes stopped.json into the run directory so that re-running the sweep skips it.

Results land in the run directories below `output` (a shared filesystem on a cluster); Tune's own
files go to `output/.ray`. The `lstm train` child is tied to the trial's worker process with
PR_SET_DEATHSIG (Linux), so a trial that Ray kills does not leave a trainer running.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from lstm_cli.errors import LstmError
from lstm_cli.sweep.plan import OUTPUT_FILE, STOPPED_FILE, Run, Sweep, split_runs, train_args
from lstm_cli.sweep.progress import RunOutcome, SweepProgress, SweepResult, last_line
from lstm_cli.sweep.spec import AshaSpec
from lstm_cli.train import fsutil
from lstm_cli.train.loop import higher_is_better

POLL_SECONDS = 0.25
SKIPPED_REPORT_KEYS = ("confusion", "per_label", "per_type")


def import_ray() -> Any:
    """`ray` with Tune, or an LstmError saying how to install it."""
    try:
        import ray
        import ray.tune  # noqa: F401
    except ImportError:
        raise LstmError("the ray executor needs Ray with Tune, which is not installed",
                        hint="pip install 'lstm-cli[ray]'") from None
    return ray


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
    progress = SweepProgress(len(work), out=out or sys.stdout, err=err or sys.stderr)
    for run, status in finished:
        progress.skipped(run, status)
    if not work:
        progress.close()
        return SweepResult(progress.outcomes)
    cwd = os.getcwd()
    trials = [{"args": train_args(sweep, run, resume=resume),
               "run_dir": str(Path(cwd, run.run_dir)), "name": run.name}
              for run, resume in work]
    os.environ.setdefault("TUNE_DISABLE_SIGINT_HANDLER", "1")  # Ctrl-C reaches us, not Tune
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    started_here = not ray.is_initialized()
    if started_here:
        options: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": False}
        if address is None:
            options.update(num_cpus=jobs, include_dashboard=False)
        ray.init(address=address, **options)
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
            scheduler=scheduler, max_concurrent_trials=jobs,
            trial_name_creator=lambda t: trials[t.config["index"]]["name"],
            trial_dirname_creator=lambda t: f"trial-{t.config['index']}"),
        run_config=tune.RunConfig(
            name=sweep.path.stem, storage_path=str(Path(cwd, sweep.output, ".ray")),
            verbose=0, callbacks=[callback], failure_config=tune.FailureConfig(max_failures=0)))
    try:
        tuner.fit()
    except KeyboardInterrupt:
        return SweepResult(progress.outcomes, interrupted=True)
    finally:
        progress.close()
        if started_here:
            ray.shutdown()
    return SweepResult(progress.outcomes)


def _mode(metric: str) -> str:
    return "max" if higher_is_better(metric) else "min"


def _check_metric(sweep: Sweep, asha: AshaSpec) -> None:
    """The scheduler's metric must be in every epoch's report (Tune refuses it otherwise)."""
    where = "scheduler.asha.metric"
    if asha.metric in ("train_loss", "lr", "seconds", "train_tokens_per_s"):
        return
    if not asha.metric.startswith("dev."):
        raise LstmError(f"{where}: '{asha.metric}' is not reported per epoch", path=sweep.path,
                        hint="use train_loss or dev.<metric>, e.g. dev.token_accuracy")
    for run in sweep.runs:
        data = run.config.data
        if not data.dev and not (data.split and data.split.dev > 0):
            raise LstmError(f"{where}: '{asha.metric}' needs dev data, and run {run.name} has "
                            "none", path=sweep.path, hint="set data.dev or data.split.dev")


def epoch_metrics(record: dict[str, Any]) -> dict[str, Any]:
    """One metrics.jsonl record as flat numbers: `dev.entity.f1`, not nested dicts."""
    flat = {key: value for key, value in record.items() if key != "dev"}
    _flatten(record.get("dev"), "dev.", flat)
    return flat


def _flatten(value: Any, prefix: str, into: dict[str, Any]) -> None:
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        if key in SKIPPED_REPORT_KEYS:
            continue
        if isinstance(item, dict):
            _flatten(item, f"{prefix}{key}.", into)
        elif isinstance(item, int | float) and not isinstance(item, bool):
            into[f"{prefix}{key}"] = item


def trial(config: dict[str, Any], *, trials: list[dict[str, Any]], cwd: str) -> None:
    """A Tune function trainable: run one `lstm train`, report each epoch as it lands."""
    from ray import tune

    spec = trials[config["index"]]
    run_dir = Path(spec["run_dir"])
    run_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "lstm_cli", *spec["args"]]
    env = {**os.environ, **{name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                     "MKL_NUM_THREADS")}}
    with (run_dir / OUTPUT_FILE).open("ab") as output:
        output.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} (ray) {command}\n".encode())
        output.flush()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                   stdout=output, stderr=subprocess.STDOUT,
                                   preexec_fn=_die_with_parent)
    metrics = run_dir / "metrics.jsonl"
    reported = 0
    try:
        while True:
            done = process.poll() is not None
            records = _complete_records(metrics)
            for record in records[reported:]:
                reported += 1
                tune.report(epoch_metrics(record))     # raises SystemExit when Tune stops us
            if done:
                break
            time.sleep(POLL_SECONDS)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)        # saves the last checkpoint, exits 130
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    if process.returncode != 0:
        raise RuntimeError(f"lstm train exited with status {process.returncode}: "
                           f"{last_line(run_dir / OUTPUT_FILE)}")


def _complete_records(path: Path) -> list[dict[str, Any]]:
    """The records of metrics.jsonl whose line is complete (the file grows while we read)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in text.split("\n")[:-1] if line.strip()]


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when the parent (the trial's worker) dies."""
    if sys.platform.startswith("linux"):
        import ctypes
        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _progress_callback(progress: SweepProgress, runs: list[Run], asha: AshaSpec | None) -> Any:
    """A Tune callback (driver side): one line per finished trial, and stopped.json for the
    trials the scheduler stopped."""
    from ray import tune

    class Progress(tune.Callback):
        def __init__(self) -> None:
            self.started: dict[str, float] = {}

        def on_trial_start(self, iteration, trials, trial, **info) -> None:
            self.started[trial.trial_id] = time.perf_counter()

        def on_trial_complete(self, iteration, trials, trial, **info) -> None:
            run = runs[trial.config["index"]]
            outcome = "done"
            if not (run.run_dir / "report.json").exists():
                outcome = "stopped"
                _write_stopped(run.run_dir, trial.last_result, asha)
            progress.record(RunOutcome(run, outcome, self._seconds(trial), 0))

        def on_trial_error(self, iteration, trials, trial, **info) -> None:
            run = runs[trial.config["index"]]
            progress.record(RunOutcome(run, "failed", self._seconds(trial), None,
                                       detail=last_line(run.run_dir / OUTPUT_FILE)))

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
