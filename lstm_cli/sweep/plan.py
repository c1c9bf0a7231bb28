"""The runs of a sweep: points, seeds, run directory names, `lstm train` commands, status.

Points are the cartesian product of `grid` (keys in file order, the last varying fastest)
crossed with `random.samples` draws (drawn once, in order, from `numpy.random.default_rng(seed)`,
so every grid point meets the same samples); each point runs once per entry of `seeds`.

A run directory is named from what varies: `hidden_size=64,lr=0.01,seed=0`. A key is shortened to
its last component unless two varying keys share it (then to the shortest unambiguous tail,
`split.seed`); characters outside `[A-Za-z0-9._,=+-]` become `_`; a name longer than
MAX_NAME_LENGTH is cut and ends in `~` and an 8-hex hash of the full name.

A run is `done` when its report.json exists, `stopped` when an early-stopping scheduler ended it
(stopped.json), `resume` when its last checkpoint exists, else `new`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml

from lstm_cli import fsutil
from lstm_cli.config import Config, load_config
from lstm_cli.errors import ConfigError, LstmError
from lstm_cli.sweep.spec import SweepSpec, load_sweep_spec

MAX_NAME_LENGTH = 96
STOPPED_FILE = "stopped.json"
"""Written into a run directory the Ray executor's scheduler stopped early."""

Status = Literal["done", "stopped", "resume", "new"]


@dataclass(frozen=True)
class Run:
    """One training run of a sweep."""

    name: str
    run_dir: Path
    point: dict[str, Any]          # grid and random values, in sweep-file order
    seed: int | None               # from `seeds`, passed as --seed
    fixed: dict[str, Any]          # the sweep's `set`
    config: Config = field(compare=False, repr=False)

    def set_args(self) -> list[str]:
        """The `--set` values: the fixed overrides, then the point."""
        return set_args(self.fixed, self.point)


@dataclass
class Sweep:
    path: Path
    spec: SweepSpec
    base: Path                     # the base config, as found from the working directory
    output: Path
    runs: list[Run]


def load_sweep(path: str | Path) -> Sweep:
    """Read a sweep file and expand it into runs; each run's config is validated here."""
    path = Path(path)
    spec = load_sweep_spec(path)
    base = _resolve_base(spec, path)
    output = Path(spec.output)
    points = expand_points(spec)
    seeds: list[int | None] = list(spec.seeds) if spec.seeds is not None else [None]
    varying = list(spec.grid) + (list(spec.random.params) if spec.random else [])
    short = short_keys(varying, reserved={"seed"} if spec.seeds is not None else set())
    runs: list[Run] = []
    for point, seed in itertools.product(points, seeds):
        name = run_name(point, seed, short)
        if any(run.name == name for run in runs):
            raise ConfigError(f"two runs would share the directory {output / name}", path=path,
                              hint="remove the duplicate grid, choice or seed value")
        run_dir = output / name
        overrides = set_args(spec.fixed, point)
        if seed is not None:
            overrides.append(f"seed={seed}")
        try:
            config = load_config(base, overrides)
        except ConfigError as error:
            raise _blame_run(error, name, spec, path) from None
        runs.append(Run(name, run_dir, point, seed, dict(spec.fixed), config))
    return Sweep(path, spec, base, output, runs)


def _blame_run(error: ConfigError, name: str, spec: SweepSpec, path: Path) -> ConfigError:
    """A run's config error, pointed at the sweep file's line for a key the sweep sets."""
    if error.path is not None:
        return ConfigError(f"run {name}: {error.message}", path=error.path, line=error.line,
                           hint=error.hint)
    key = error.message.removeprefix("--set ").split(":")[0]
    return ConfigError(f"run {name}: {key}: {error.message.split(': ', 1)[-1]}", path=path,
                       line=spec.line_of(key), hint=error.hint)


def _resolve_base(spec: SweepSpec, sweep_path: Path) -> Path:
    base = Path(spec.base)
    if not base.is_absolute():
        base = sweep_path.parent / base
    if not base.is_file():
        raise ConfigError(f"base: config file not found: {display_path(base)}",
                          path=sweep_path, hint="'base' is relative to the sweep file")
    return Path(display_path(base))


def expand_points(spec: SweepSpec) -> list[dict[str, Any]]:
    """Grid points crossed with random samples, in a deterministic order."""
    grid = [dict(zip(spec.grid, values, strict=True))
            for values in itertools.product(*spec.grid.values())]
    if spec.random is None:
        return grid
    rng = np.random.default_rng(spec.seed)
    samples = [{key: distribution.sample(rng) for key, distribution in
                spec.random.params.items()} for _ in range(spec.random.samples)]
    return [{**point, **sample} for point in grid for sample in samples]


def short_keys(keys: list[str], reserved: set[str] = frozenset()) -> dict[str, str]:
    """Each dotted key's shortest tail that no other key (nor a reserved name) shares."""
    short = {}
    for key in keys:
        parts = key.split(".")
        for depth in range(1, len(parts) + 1):
            tail = ".".join(parts[-depth:])
            clashes = tail in reserved or any(
                other != key and (other == tail or other.endswith("." + tail)) for other in keys)
            if not clashes or depth == len(parts):
                short[key] = tail
                break
    return short


def run_name(point: dict[str, Any], seed: int | None, short: dict[str, str]) -> str:
    """The run directory name (see the module docstring)."""
    parts = [f"{short[key]}={format_value(value)}" for key, value in point.items()]
    if seed is not None:
        parts.append(f"seed={seed}")
    name = re.sub(r"[^A-Za-z0-9._,=+-]", "_", ",".join(parts)) or "run"
    if name.startswith((".", "-")):
        name = "_" + name[1:]
    if len(name) > MAX_NAME_LENGTH:
        digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
        name = f"{name[:MAX_NAME_LENGTH - 9]}~{digest}"
    return name


def format_value(value: Any) -> str:
    """A value as it appears in names: floats shortest (`1e-05`), booleans `true`/`false`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float | int | str):
        return str(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def set_args(fixed: dict[str, Any], point: dict[str, Any]) -> list[str]:
    """`key=value` for each fixed override, then each value of the point."""
    return [format_override(key, value) for key, value in {**fixed, **point}.items()]


def format_override(key: str, value: Any) -> str:
    """`key=value` with the value written so that `--set` reads back exactly `value`."""
    text = yaml.safe_dump(value, default_flow_style=True, width=2 ** 30).strip()
    text = text.removesuffix("\n...").strip()
    return f"{key}={text}"


def run_status(run_dir: Path) -> Status:
    if (run_dir / "report.json").exists():
        return "done"
    if (run_dir / STOPPED_FILE).exists():
        return "stopped"
    if fsutil.readable_dir(run_dir / "checkpoints" / "last") is not None:
        return "resume"
    return "new"


def split_runs(sweep: Sweep) -> tuple[list[tuple[Run, bool]], list[tuple[Run, Status]]]:
    """([(run, resume)] still to do, [(run, status)] finished or stopped), in sweep order."""
    work, finished = [], []
    for run in sweep.runs:
        status = run_status(run.run_dir)
        if status in ("done", "stopped"):
            finished.append((run, status))
        else:
            work.append((run, status == "resume"))
    return work, finished


def train_args(sweep: Sweep, run: Run, *, resume: bool) -> list[str]:
    """The arguments after `lstm`: `train BASE --set ... [--seed S] --out DIR --quiet`."""
    args = ["train", str(sweep.base)]
    for override in run.set_args():
        args += ["--set", override]
    if run.seed is not None:
        args += ["--seed", str(run.seed)]
    args += ["--out", display_path(run.run_dir), "--quiet"]
    return args + (["--resume"] if resume else [])


def lstm_program() -> list[str]:
    """How a shell should call lstm: `lstm` when it is on PATH, else this Python with -m."""
    return ["lstm"] if shutil.which("lstm") else [sys.executable, "-m", "lstm_cli"]


def shell_command(sweep: Sweep, run: Run, *, resume: bool) -> str:
    return shlex.join([*lstm_program(), *train_args(sweep, run, resume=resume)])


def display_path(path: Path) -> str:
    """Relative to the working directory when below it, else absolute."""
    absolute = Path(os.path.abspath(path))
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


def read_stopped(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / STOPPED_FILE
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as error:
        raise LstmError(f"unreadable ({error})", path=path) from None
