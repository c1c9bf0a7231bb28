"""The sweep file: a typed schema, loading with line numbers, and key checks against `Config`.

    base: configs/quickstart.yaml      # the config every run starts from, relative to this file
    output: runs/lr-vs-size            # one run directory per point and seed below this (cwd)
    set: {train.epochs: 10}            # fixed overrides for every run (dotted keys, as --set)
    grid: {model.hidden_size: [64, 128], train.optimizer.lr: [0.01, 0.003]}
    random:                            # `samples` draws, crossed with the grid
      samples: 8
      params: {model.dropout: {uniform: [0.0, 0.5]}}
    seeds: [0, 1, 2]                   # repeat each point; each run gets `--seed S`
    seed: 0                            # the sweep's own seed for random sampling
    scheduler: {asha: {metric: dev.token_accuracy, grace_period: 2}}   # ray executor only

Every failure is a `ConfigError` naming the sweep file, line and key, with the nearest valid key
when one was misspelt; `load_sweep_spec` raises it before any run starts.
"""

from __future__ import annotations

import math
import typing
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from lstm_cli.config import (
    nearest_key_hint,
    read_yaml_mapping,
    render_validation_error,
    section_fields,
    suggest_key,
)
from lstm_cli.errors import ConfigError

DISTRIBUTIONS = ("uniform", "log_uniform", "int_uniform", "choice")


class SweepSection(BaseModel):
    """A part of the sweep file: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Distribution(SweepSection):
    """One random parameter: exactly one of the four kinds, bounds inclusive."""

    uniform: tuple[float, float] | None = None
    log_uniform: tuple[float, float] | None = None
    int_uniform: tuple[int, int] | None = None
    choice: list[Any] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _one_kind(self) -> Distribution:
        given = [kind for kind in DISTRIBUTIONS if getattr(self, kind) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(DISTRIBUTIONS)}")
        bounds = getattr(self, given[0])
        if given[0] != "choice" and bounds[0] > bounds[1]:
            raise ValueError(f"{given[0]}: the low bound {bounds[0]} is above the high bound "
                             f"{bounds[1]}")
        if self.log_uniform is not None and self.log_uniform[0] <= 0:
            raise ValueError("log_uniform bounds must be positive")
        return self

    def sample(self, rng: np.random.Generator) -> Any:
        """One draw; floats are rounded to 4 significant digits so names and commands stay
        readable (the rounded value is the one the run gets)."""
        if self.choice is not None:
            return self.choice[int(rng.integers(len(self.choice)))]
        if self.int_uniform is not None:
            low, high = self.int_uniform
            return int(rng.integers(low, high + 1))
        if self.uniform is not None:
            value = rng.uniform(*self.uniform)
        else:
            low, high = self.log_uniform
            value = math.exp(rng.uniform(math.log(low), math.log(high)))
        return float(f"{value:.4g}")


class RandomSearch(SweepSection):
    samples: int = Field(ge=1)
    params: dict[str, Distribution] = Field(min_length=1)


class AshaSpec(SweepSection):
    """Ray Tune's ASHA scheduler; `time_attr` is the epoch, `max_t` defaults to the longest run."""

    metric: str = "dev.token_accuracy"
    mode: Literal["max", "min"] | None = None
    grace_period: int = Field(1, ge=1)
    reduction_factor: float = Field(4.0, gt=1)
    max_t: int | None = Field(None, ge=1)


class SchedulerSpec(SweepSection):
    asha: AshaSpec


class SweepSpec(SweepSection):
    """The whole sweep file."""

    base: str
    output: str
    fixed: dict[str, Any] = Field(default_factory=dict, alias="set")
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    random: RandomSearch | None = None
    seeds: list[int] | None = Field(None, min_length=1)
    seed: int = 0
    scheduler: SchedulerSpec | None = None

    _lines: dict[str, int] = PrivateAttr(default_factory=dict)

    def line_of(self, key: str) -> int | None:
        """The line of a dotted config key in `set`, `grid` or `random.params`."""
        return next((self._lines[f"{section}.{key}"] for section in ("set", "grid",
                     "random.params") if f"{section}.{key}" in self._lines), None)

    @model_validator(mode="after")
    def _grid_lists_not_empty(self) -> SweepSpec:
        for key, values in self.grid.items():
            if not values:
                raise ValueError(f"grid.{key} lists no values")
        return self


def load_sweep_spec(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file; every dotted key must exist in the config schema."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("sweep file not found" if not path.exists() else
                          "expected a YAML file", path=path)
    data, lines = read_yaml_mapping(path)
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as error:
        raise render_validation_error(error, source=path, lines=lines,
                                      suggest=_suggest_sweep_key, subject="sweep") from None
    _check_config_keys(spec, path, lines)
    spec._lines = lines
    return spec


def _suggest_sweep_key(parents: list[str], key: str) -> str | None:
    """The nearest valid key at the level of the sweep schema where `key` failed."""
    model = _model_at(parents)
    return None if model is None else nearest_key_hint(parents, key, _names(model))


def _model_at(parts: list[str]) -> type[BaseModel] | None:
    """The sweep section at a location (`random.params.<key>` is a Distribution)."""
    model: type[BaseModel] | None = SweepSpec
    values_of: type[BaseModel] | None = None
    for part in parts:
        if values_of is not None:             # `part` is a key of a mapping of sections
            model, values_of = values_of, None
            continue
        if model is None or part not in _names(model):
            return None
        model, values_of = _section_types(model.model_fields[_field_name(model, part)]
                                          .annotation)
    return None if values_of is not None else model


def _names(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def _field_name(model: type[BaseModel], key: str) -> str:
    return next(name for name, field in model.model_fields.items() if key in (name, field.alias))


def _section_types(annotation: Any) -> tuple[type[BaseModel] | None, type[BaseModel] | None]:
    """(the section type of a field, or the value type of a mapping of sections)."""
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, SweepSection):
            return candidate, None
        if typing.get_origin(candidate) is dict:
            value_type = typing.get_args(candidate)[1]
            if isinstance(value_type, type) and issubclass(value_type, SweepSection):
                return None, value_type
    return None, None


def _check_config_keys(spec: SweepSpec, path: Path, lines: dict[str, int]) -> None:
    """Each dotted key of `set`, `grid` and `random.params` is a config key, given once."""
    sections = [("set", spec.fixed), ("grid", spec.grid),
                ("random.params", spec.random.params if spec.random else {})]
    first_seen: dict[str, str] = {}
    for section, mapping in sections:
        for key in mapping:
            line = lines.get(f"{section}.{key}")
            problem = config_key_problem(key)
            if problem is not None:
                message, hint = problem
                raise ConfigError(f"{section}: {message}", path=path, line=line, hint=hint)
            if key in first_seen:
                raise ConfigError(f"{section}: '{key}' is also given in {first_seen[key]}",
                                  path=path, line=line, hint="give each key in one place")
            first_seen[key] = section
            if key == "seed" and spec.seeds is not None:
                raise ConfigError(f"{section}: 'seed' conflicts with 'seeds'", path=path,
                                  line=line, hint="list the seeds under 'seeds' only")


def config_key_problem(key: str) -> tuple[str, str | None] | None:
    """Why a dotted key is not a config key (message, hint), or None when it is one.

    Keys below a mapping-valued field (`data.feature_columns.pos`) are free; keys below a
    scalar field (`model.hidden_size.x`) are not.
    """
    parts = key.split(".")
    if not all(parts):
        return f"'{key}' is not a dotted key", None
    for depth, part in enumerate(parts):
        fields = section_fields(parts[:depth])
        if fields is None:
            parent = section_fields(parts[:depth - 1])[parts[depth - 1]]
            if _is_mapping(parent.annotation):
                return None
            return (f"'{'.'.join(parts[:depth])}' is a value, not a section, so "
                    f"'{key}' is not a config key", None)
        if part not in fields:
            return f"unknown config key '{key}'", suggest_key(parts[:depth], part)
    return None


def _is_mapping(annotation: Any) -> bool:
    return any(typing.get_origin(candidate) is dict or candidate is dict
               for candidate in (annotation, *typing.get_args(annotation)))
