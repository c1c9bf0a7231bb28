"""`lstm train CONFIG`: train a model and write a run directory."""

from __future__ import annotations

import shlex
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from lstm_cli.cli.common import SET_OPTION, print_json, stderr_console
from lstm_cli.cli.main import EXIT_INTERRUPTED, app
from lstm_cli.errors import LstmError
from lstm_cli.eval.report import report_table, summary_line

if TYPE_CHECKING:                    # imported where used, so that `train --help` is fast
    from lstm_cli.config import Config


def default_run_dir(config: Config, config_path: Path) -> Path:
    """`--out`, else `output.dir`, else `runs/<config stem>-<UTC timestamp>`."""
    if config.output.dir:
        return Path(config.output.dir)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{config_path.stem}-{stamp}"


@app.command("train")
def train_cli(
    config_path: Path = typer.Argument(..., metavar="CONFIG", help="YAML experiment file."),
    overrides: list[str] = SET_OPTION,
    out: Path = typer.Option(None, "--out", "-o", help="Run directory (default: output.dir, "
                             "else runs/<config>-<time>)."),
    seed: int = typer.Option(None, "--seed", help="Override the config's seed."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out from its "
                                "last checkpoint."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the final summary."),
    as_json: bool = typer.Option(False, "--json", help="Print only the final report as JSON "
                                 "on stdout."),
) -> None:
    """Train a model from a YAML config.

    Example: lstm train configs/quickstart.yaml --set train.epochs=5 --out runs/demo
    """
    from lstm_cli.config import load_config
    from lstm_cli.train.loop import TrainingInterrupted, train
    from lstm_cli.train.runlog import RunLog

    overrides = list(overrides or [])
    if seed is not None:
        overrides.append(f"seed={seed}")
    config = load_config(config_path, overrides)
    if resume and out is None and config.output.dir is None:
        raise LstmError("--resume needs the run directory", hint="pass --out RUN_DIR")
    run_dir = out or default_run_dir(config, config_path)
    log = RunLog(None if quiet else sys.stderr, progress=not quiet and not as_json)
    try:
        result = train(config, run_dir, resume=resume, log=log)
    except TrainingInterrupted as stop:
        command = ["lstm", "train", str(config_path), *sum((["--set", o] for o in overrides),
                                                            []), "--out", str(run_dir),
                   "--resume"]
        typer.echo(f"interrupted in epoch {stop.epoch}; the last checkpoint is saved. "
                   f"Resume with:\n  {shlex.join(command)}", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    if as_json:
        print_json(result.report)
        return
    if not quiet:
        stderr_console().print(report_table(result.report))
    typer.echo(f"{summary_line(result.report)} | best epoch {result.best_epoch} | "
               f"run {result.run_dir}")
