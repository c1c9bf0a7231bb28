"""`lstm report RUN_DIR_OR_ROOT...`: compare runs (a sweep's, or any) in one table."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from lstm_cli.cli.main import app

Format = Enum("Format", {name: name for name in ("table", "csv", "json", "markdown")}, type=str)
"""`--format`: the formats `sweep.results.render` writes (its `FORMATS`, which
tests/cli/test_help.py checks: named here so that `report --help` does not import it)."""


@app.command("report")
def report_cli(
    paths: Annotated[list[Path], typer.Argument(
        metavar="RUN_DIR_OR_ROOT...", help="Run directories, or folders searched for them.")],
    sort: Annotated[str | None, typer.Option(
        "--sort", help="Sort by this column (scores best first); default: by the differing "
        "config keys.")] = None,
    reverse: Annotated[bool, typer.Option("--reverse", help="Reverse the order.")] = False,
    fmt: Annotated[Format, typer.Option(
        "--format", "-f", help="table, csv, json (a list of row objects) or markdown.")
    ] = Format.table,
    columns: Annotated[list[str] | None, typer.Option(
        "--columns", "-c", help="Columns to show, in order (comma-separated or repeated; a "
        "unique tail such as `lr` names train.optimizer.lr).")] = None,
    per_run: Annotated[bool, typer.Option(
        "--per-run", help="One row per run; do not average the seeds of a point.")] = False,
    plot: Annotated[Path | None, typer.Option(
        "--plot", help="Also draw the learning curves (train loss, dev metric per epoch) of "
        "the runs into this PNG.")] = None,
) -> None:
    """One row per run: the config keys that differ, best epoch, dev and test scores, wall
    time and tokens/s; points run with several seeds get mean ± std.

    Example: lstm report runs/lr-vs-size --sort test.token_accuracy --format markdown
    """
    if plot is not None:
        from lstm_cli.plots import require_matplotlib
        require_matplotlib()
    from lstm_cli.sweep import results

    records = [results.load_run(path) for path in results.find_run_dirs(paths)]
    keys = results.varying_keys(records)
    rows = [results.run_row(record, keys) for record in records]
    if not per_run:
        rows = results.group_rows(rows, keys)
    available = results.all_columns(rows, keys)
    chosen = available
    if columns:
        names = [name.strip() for text in columns for name in text.split(",") if name.strip()]
        chosen = [results.resolve_column(name, available) for name in names]
    sort_column = results.resolve_column(sort, available) if sort else None
    rows = results.sort_rows(rows, sort_column, keys, reverse=reverse)
    rendered = results.render(rows, chosen, fmt.value, keys)
    if isinstance(rendered, str):
        sys.stdout.write(rendered)
    else:
        # A table piped to a file keeps its full width; a terminal wraps it.
        width = None if sys.stdout.isatty() else 10_000
        Console(file=sys.stdout, width=width).print(rendered)
    if plot is not None:
        from lstm_cli.plots import plot_learning_curves
        from lstm_cli.sweep.plan import short_keys
        short = short_keys(keys)
        plot_learning_curves([results.learning_curve(record, results.run_label(record, keys,
                                                                                short))
                              for record in records], plot)
        typer.echo(f"learning curves written to {plot}", err=True)
