"""The Ray executor: the sweep's runs as Ray Tune trials, on a cluster or a local Ray instance.

Each trial runs the same `lstm train` process as the local executor (cwd: the sweep's working
directory, one BLAS thread, one CPU of Ray's) and tails the run directory's metrics.jsonl,
reporting every epoch to Tune as flat metrics (`epoch`, `train_loss`, `dev.token_accuracy`,
`dev.entity.f1`, ...). A scheduler from the sweep file (`asha`, with `time_attr` the epoch) can
therefore stop trials early: the trial's `lstm train` gets SIGTERM, saves its last checkpoint, and
the driver writes stopped.json into the run directory so that re-running the sweep skips it.

Results land in the run directories below `output` (a shared filesystem on a cluster); Tune's own
files go to `output/.ray`. The trial itself (the part that runs on Ray's workers) is ray_trial.py.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from lstm_cli import fsutil
from lstm_cli.errors import LstmError
from lstm_cli.sweep.capture import OUTPUT_FILE, last_line
from lstm_cli.sweep.plan import STOPPED_FILE, Run, Sweep, split_runs, train_args
from lstm_cli.sweep.progress import RunOutcome, SweepProgress, SweepResult
from lstm_cli.sweep.ray_trial import trial
from lstm_cli.sweep.spec import AshaSpec
from lstm_cli.train.metrics_log import higher_is_better


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
    trials = [{"args": train_args(sweep, run, resume=resume), "epochs": run.config.train.epochs,
               "run_dir": str(Path(cwd, run.run_dir)), "name": run.name,
               "metric": asha.metric if asha else None}
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
