"""`lstm sweep SWEEP.yaml`: one `lstm train` run per point and seed of a sweep file."""

from __future__ import annotations

import sys
from collections import Counter
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from lstm_cli.cli.main import EXIT_INTERRUPTED, app
from lstm_cli.errors import LstmError


class Executor(str, Enum):
    local = "local"
    ray = "ray"


@app.command("sweep")
def sweep_cli(
    sweep_path: Annotated[Path, typer.Argument(metavar="SWEEP.yaml", help="The sweep file.")],
    jobs: Annotated[int | None, typer.Option(
        "--jobs", "-j", min=1, help="Runs at a time (local default: one per core; ray: the "
        "CPUs of a local instance, and at most this many trials at once on a cluster).")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="List the runs and their status; run nothing.")] = False,
    print_commands: Annotated[bool, typer.Option(
        "--print-commands", help="Print one `lstm train` command per unfinished run, for GNU "
        "parallel, xargs -P or a Slurm array; run nothing.")] = False,
    executor: Annotated[Executor, typer.Option(
        "--executor", help="local: `lstm train` processes here; ray: Ray Tune trials.")
    ] = Executor.local,
    address: Annotated[str | None, typer.Option(
        "--address", help="Ray cluster to join: HOST:PORT of its head (a token from "
        "RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token is sent), or auto; default: "
        "start a local Ray instance.")] = None,
) -> None:
    """Run every point of a sweep file; finished runs are skipped, unfinished ones resumed.

    Exit status: 0 all runs succeeded, 1 some failed (listed), 2 bad sweep file, 130
    interrupted.

    Example: lstm sweep sweeps/lr.yaml --jobs 4
    """
    from lstm_cli.sweep.plan import display_path, load_sweep, run_status, shell_command, split_runs
    from lstm_cli.sweep.progress import print_summary

    sweep = load_sweep(sweep_path)
    if print_commands:
        work, finished = split_runs(sweep)
        for run, resume in work:
            typer.echo(shell_command(sweep, run, resume=resume))
        if finished:
            typer.echo(f"# {len(finished)} finished run(s) left out", err=True)
        return
    if dry_run:
        statuses = [(run, run_status(run.run_dir)) for run in sweep.runs]
        for run, status in statuses:
            typer.echo(f"{status:<8}{display_path(run.run_dir)}")
        counts = Counter(status for _, status in statuses)
        typer.echo(f"{len(statuses)} runs: " + ", ".join(f"{n} {s}" for s, n in counts.items()),
                   err=True)
        return
    if executor is Executor.local:
        if address is not None:
            raise LstmError("--address is for --executor ray")
        if sweep.spec.scheduler is not None:
            typer.echo("warning: the sweep's scheduler is used by --executor ray only",
                       err=True)
        from lstm_cli.sweep.local import available_cores, run_local
        result = run_local(sweep, jobs=jobs or available_cores())
    else:
        from lstm_cli.sweep.ray_executor import run_ray
        result = run_ray(sweep, jobs=jobs, address=address)
    print_summary(result, sys.stdout, sys.stderr)
    if result.interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)
    if result.failed:
        raise typer.Exit(1)
