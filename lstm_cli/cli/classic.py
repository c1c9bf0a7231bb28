"""`lstm classic`: the LSTM papers' experiments, every task × cell over several seeds."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.table import Table
from rich.text import Text

from lstm_cli.cli.common import SET_OPTION, print_json, stdout_console
from lstm_cli.cli.main import app

if TYPE_CHECKING:                    # imported where used, so that `classic --help` is fast
    from lstm_cli.classic.runner import RunResult

# What `--help` lists without importing the tasks and the engine: the keys of
# `classic.tasks.TASKS` and of `classic.runner.CELLS`, in order (tests/cli/test_help.py checks).
TASK_NAMES = ("embedded-reber", "continual-reber", "adding", "temporal-order",
              "temporal-order-3", "parity-sequence")
CELL_NAMES = ("lstm", "lstm-peephole", "gru", "rnn", "lstm-nfg")
DEFAULT_CELLS = ("lstm", "lstm-peephole", "gru", "rnn")


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


@app.command("classic")
def classic_cli(
    tasks: str = typer.Option(",".join(TASK_NAMES), "--tasks", "-t",
                              help=f"Comma-separated tasks among {', '.join(TASK_NAMES)}."),
    cells: str = typer.Option(",".join(DEFAULT_CELLS), "--cells", "-c",
                              help=f"Comma-separated cells among {', '.join(CELL_NAMES)} "
                                   "(lstm-nfg: no forget gate, Gers et al.'s contrast)."),
    seeds: int = typer.Option(3, "--seeds", "-n", min=1, help="Runs per task and cell "
                              "(seeds 0 .. N-1)."),
    budget: int = typer.Option(None, "--budget", "-b", min=1, help="Training sequences per "
                               "run before giving up (default: each task's own)."),
    paper: bool = typer.Option(False, "--paper", help="The papers' scale: full sequence "
                               "lengths, 100,000-symbol test stream, budgets of 10^5–10^6 "
                               "sequences (hours on a laptop)."),
    overrides: list[str] = SET_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the runs and the summary as "
                                 "JSON on stdout."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No line per finished run (on "
                               "stderr)."),
) -> None:
    """Train the LSTM papers' long-time-lag tasks with each cell, judged by the papers' criteria.

    Quick scale by default (shorter sequences, small budgets: minutes); --paper as published.

    Example: lstm classic --tasks embedded-reber,adding --cells lstm,rnn --seeds 3
    """
    from lstm_cli.classic.runner import run_classic, summarise
    from lstm_cli.classic.tasks import TASKS

    def report(result: RunResult) -> None:
        if not quiet:
            verdict = "solved" if result.solved else "not solved"
            typer.echo(f"{result.task} {result.cell} seed {result.seed}: {verdict} after "
                       f"{result.sequences:,} sequences, {result.seconds:.1f}s", err=True)

    results = run_classic(_names(tasks), _names(cells), seeds, budget=budget,
                          paper_scale=paper, overrides=list(overrides or []), progress=report)
    rows = summarise(results)
    if as_json:
        print_json({"runs": [result.to_dict() for result in results], "summary": rows})
        return
    console = stdout_console()
    console.width = max(console.width, 100)        # the table is wider than 80 columns
    console.print(summary_table(rows))
    for name in dict.fromkeys(row["task"] for row in rows):
        task = TASKS[name]
        score = next((row["score"]["name"] for row in rows
                      if row["task"] == name and row["score"]), None)
        end = f" End: {SCORE_NAMES.get(score, score)}." if score else ""
        paper = f" Paper: {task.paper_result}." if task.paper_result else ""
        typer.echo(f"{name} ({task.paper}).{end}{paper}")


SCORE_NAMES = {"test_strings_solved": "test strings solved",
               "consecutive_correct": "correct predictions in a row on the test stream",
               "recent_correct": "of the last 2000 training sequences, the fraction correct"}
"""What the last column of the table shows, by the trials' headline key."""


def summary_table(rows: list[dict]) -> Table:
    """The summary rows as a rich table: solved runs, the median (min–max) of the sequences they
    needed, mean wall time per run, and the median headline score at the end."""
    table = Table(title=Text("Classic experiments, solved by the paper's criterion"),
                  title_justify="left")
    for header in ("Task", "Cell", "Solved", "Sequences to solve", "s/run", "End"):
        table.add_column(Text(header), justify="left" if header in ("Task", "Cell")
                         else "right")
    for row in rows:
        sequences = row["sequences"]
        seen = "—" if sequences is None else (
            f"{sequences['median']:,}" if sequences["min"] == sequences["max"]
            else f"{sequences['median']:,} ({sequences['min']:,}–{sequences['max']:,})")
        table.add_row(Text(row["task"]), Text(row["cell"]),
                      Text(f"{row['solved']}/{row['runs']}"), Text(seen),
                      Text(f"{row['seconds']:.1f}"), Text(_score(row["score"])))
    return table


def _score(score: dict | None) -> str:
    """`97.3 %` for a fraction, `1,000` for a count; `—` without a score."""
    if score is None:
        return "—"
    value = score["median"]
    return f"{value:,.0f}" if score["name"] == "consecutive_correct" else f"{100 * value:.1f} %"
