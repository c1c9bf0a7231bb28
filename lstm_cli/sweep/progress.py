"""What a sweep prints while it runs, whichever executor runs it.

One overall tqdm bar on stderr; one line per finished run on stdout; a summary at the end that
lists the failed runs with the file holding their output.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TextIO

from tqdm import tqdm

from lstm_cli.eval.report import summary_line
from lstm_cli.sweep.capture import OUTPUT_FILE
from lstm_cli.sweep.plan import Run, display_path

Outcome = Literal["done", "stopped", "failed", "interrupted", "skipped", "not started"]


@dataclass
class RunOutcome:
    run: Run
    outcome: Outcome
    seconds: float = 0.0
    returncode: int | None = None
    detail: str = ""               # the last line the run printed, for failures

    @property
    def output_path(self) -> Path:
        return self.run.run_dir / OUTPUT_FILE


@dataclass
class SweepResult:
    outcomes: list[RunOutcome]
    interrupted: bool = False

    @property
    def failed(self) -> list[RunOutcome]:
        return [o for o in self.outcomes if o.outcome == "failed"]


@dataclass
class SweepProgress:
    """Collects outcomes and prints them; `total` counts the runs that will actually run."""

    total: int
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    outcomes: list[RunOutcome] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.bar = tqdm(total=self.total, desc="sweep", unit="run", file=self.err,
                        dynamic_ncols=True, disable=self.total == 0)
        self.finished = 0

    def skipped(self, run: Run, status: str) -> None:
        self.outcomes.append(RunOutcome(run, "skipped", detail=status))

    def record(self, outcome: RunOutcome) -> None:
        """Print the line of one finished (or failed, or interrupted) run."""
        self.outcomes.append(outcome)
        self.finished += 1
        self.bar.update(1)
        where = display_path(outcome.run.run_dir)
        head = f"[{self.finished}/{self.total}] {outcome.outcome:<11} {where}"
        if outcome.outcome in ("done", "stopped"):
            line = f"{head}: {_result_text(outcome.run.run_dir)} ({outcome.seconds:.1f}s)"
        elif outcome.outcome == "failed":
            code = "" if outcome.returncode is None else f" (exit {outcome.returncode})"
            line = f"{head}{code}: {outcome.detail}; output in {display_path(outcome.output_path)}"
        else:
            line = f"{head}: stopped after saving its last checkpoint"
        tqdm.write(line, file=self.out)

    def close(self) -> None:
        self.bar.close()


def print_summary(result: SweepResult, out: TextIO, err: TextIO) -> None:
    """`sweep: 4 runs: 3 done, 1 failed`, then one line per failed run naming its output."""
    counts: dict[str, int] = {}
    for outcome in result.outcomes:
        counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
    order = ("done", "stopped", "skipped", "failed", "interrupted", "not started")
    parts = [f"{counts[name]} {name}" for name in order if counts.get(name)]
    runs = len(result.outcomes)
    out.write(f"sweep: {runs} run{'s' * (runs != 1)}: {', '.join(parts) or 'none'}\n")
    out.flush()
    for outcome in result.failed:
        err.write(f"failed: {display_path(outcome.run.run_dir)}: {outcome.detail} (output: "
                  f"{display_path(outcome.output_path)}, log: "
                  f"{display_path(outcome.run.run_dir / 'train.log')})\n")
    if result.interrupted:
        err.write("interrupted: re-run the sweep to resume the unfinished runs\n")
    err.flush()


def _result_text(run_dir: Path) -> str:
    report_path = run_dir / "report.json"
    if report_path.exists():
        report = json.loads(report_path.read_text(encoding="utf-8"))
        return f"{summary_line(report)} | best epoch {report.get('best_epoch')}"
    return "stopped early by the scheduler"
