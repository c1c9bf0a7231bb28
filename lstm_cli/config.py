"""The experiment config: a typed schema, YAML loading with line numbers, dotted overrides.

`load_config(path, overrides)` reads YAML, rejects duplicate keys, applies `--set key=value`
overrides (values parsed as YAML scalars), and validates against `Config`. Every failure is a
`ConfigError` naming the file, line and dotted key, with the nearest valid key when one was
misspelt.
"""

from __future__ import annotations

import copy
import difflib
import importlib
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError, core_schema

from lstm_cli.errors import ConfigError
from lstm_cli.metric_registry import selectable_metrics

if TYPE_CHECKING:
    from lstm_cli.engine.outputs.base import OutputLayer, Targets


def registry(where: str) -> Any:
    """The registry `module:NAME` (imported on first use, so loading the schema imports no
    engine, data or training code)."""
    module, _, name = where.partition(":")
    return getattr(importlib.import_module(module), name)


class _RegistryNames:
    """Validates a name against the keys of a registry (`module:NAME`) as they are when a config
    is validated, so each name is written once, beside what it names, and one registered at
    runtime (a new output layer) is accepted. Errors and the JSON schema read as a `Literal`'s."""

    def __init__(self, where: str) -> None:
        self.where = where

    @property
    def registry(self) -> Iterable[str]:
        return registry(self.where)

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            self.validate, serialization=core_schema.to_string_ser_schema())

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> dict[str, Any]:
        return {"enum": list(self.registry), "type": "string"}

    def validate(self, value: Any) -> str:
        names = list(self.registry)
        if isinstance(value, str) and value in names:
            return value
        quoted = [repr(name) for name in names]
        expected = quoted[0] if len(quoted) == 1 else \
            f"{', '.join(quoted[:-1])} or {quoted[-1]}"
        raise PydanticCustomError("literal_error", "Input should be {expected}",
                                  {"expected": expected})


def one_of(where: str) -> Any:
    """The type of a config field that names an entry of the registry `module:NAME` (its keys,
    in order)."""
    return Annotated[str, _RegistryNames(where)]


class Section(BaseModel):
    """A config section: unknown keys are errors, assignments are validated, numbers are finite
    (`.inf` and `.nan` are errors)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class SplitConfig(Section):
    """Cut `data.train` into train/dev/test by these fractions, shuffled with its own seed."""

    train: float = Field(0.8, gt=0, le=1)
    dev: float = Field(0.0, ge=0, lt=1)
    test: float = Field(0.2, ge=0, lt=1)
    seed: int = 0

    @model_validator(mode="after")
    def _sums_to_one(self) -> SplitConfig:
        if abs(self.train + self.dev + self.test - 1.0) > 1e-9:
            raise ValueError("split fractions train + dev + test must add up to 1")
        return self


class WindowConfig(Section):
    """Fixed-length windows cut from each sequence (the original program's 5-token windows)."""

    size: int = Field(5, ge=1)
    stride: int = Field(1, ge=1)
    align: Literal["centre", "left"] = "centre"


class BuiltinDataConfig(Section):
    """A built-in generated dataset (`lstm data list`) instead of files: train/dev/test 80/10/10."""

    name: str
    seed: int = 0
    size: int | None = Field(None, ge=10)


class DataConfig(Section):
    format: one_of("lstm_cli.data.dataset:CONFIG_FORMATS") = "conll"
    builtin: BuiltinDataConfig | None = None
    train: str | None = None
    dev: str | None = None
    test: str | None = None
    split: SplitConfig | None = None
    token_column: int = 0
    label_column: int = -1
    feature_columns: dict[str, int] = Field(default_factory=dict)
    comment_prefix: str | None = Field(None, min_length=1)
    conllu_label: Literal["upos", "xpos", "deprel"] = "upos"
    lowercase: bool = False
    normalize_digits: bool = False
    min_count: int = Field(1, ge=1)
    max_length: int | None = Field(None, ge=1)
    too_long: Literal["split", "reject"] = "split"
    window: WindowConfig | None = None
    tokenizer: str = "whitespace"


class EmbeddingConfig(Section):
    dim: int = Field(64, ge=0)
    pretrained: str | None = None
    freeze: bool = False


class CharsConfig(Section):
    """A character encoder per distinct word (off while `dim` is 0): a BiLSTM (`encoder: lstm`,
    `hidden_size` units per direction) or a CNN (`encoder: cnn`, `filters` of odd `width`,
    `activation`, max-pooled over the word). A word longer than `max_length` is read as its
    first and last max_length/2 characters (URLs, long numbers: their ends say what they are,
    and the encoder's time loop stays short)."""

    dim: int = Field(0, ge=0)
    encoder: one_of("lstm_cli.engine.tagger:CHAR_ENCODERS") = "lstm"
    hidden_size: int = Field(64, ge=1)
    filters: int = Field(100, ge=1)
    width: int = Field(3, ge=1)
    activation: Literal["tanh", "relu"] = "tanh"
    max_length: int | None = Field(None, ge=2)

    @field_validator("width")
    @classmethod
    def _odd_width(cls, width: int) -> int:
        if width % 2 == 0:
            raise ValueError(f"the character CNN's width must be odd (a window centred on "
                             f"each character); use {width - 1} or {width + 1}")
        return width


class AffixesConfig(Section):
    """Word-form features from each token (`data/affixes.py`): an embedding of `dim` per
    prefix length, suffix length and the shape; values seen fewer than `min_count` times in
    training become <unk>. Off while `dim` is 0."""

    dim: int = Field(0, ge=0)
    prefix: list[Annotated[int, Field(ge=1, le=9)]] = Field(default_factory=lambda: [1, 2, 3])
    suffix: list[Annotated[int, Field(ge=1, le=9)]] = Field(
        default_factory=lambda: [1, 2, 3, 4])
    shape: bool = True
    min_count: int = Field(1, ge=1)


class InitConfig(Section):
    input: Literal["glorot", "uniform", "orthogonal"] = "glorot"
    recurrent: Literal["orthogonal", "glorot", "uniform"] = "orthogonal"
    scale: float = Field(0.1, gt=0)


class CRFConfig(Section):
    constraints: bool = True


class CTCConfig(Section):
    reduction: Literal["mean", "sum", "mean_target_length"] = "mean"
    beam_width: int = Field(1, ge=1)


class SequenceConfig(Section):
    """`last_softmax`: which scores classify the sequence (its last real step, or the mean or
    maximum over its real steps)."""

    pool: one_of("lstm_cli.engine.outputs.sequence:POOLS") = "last"


class RegressionConfig(Section):
    """`regression`: K real outputs, trained with mean squared error per step or at the last
    step; a prediction counts as correct within `tolerance` (the adding problem's 0.04)."""

    per_step: bool = False
    size: int = Field(1, ge=1)
    tolerance: float = Field(0.04, gt=0)


Activation = one_of("lstm_cli.engine.activations:ACTIVATIONS")


class ModelConfig(Section):
    cell: one_of("lstm_cli.engine.cells:CELLS") = "lstm"
    variant: one_of("lstm_cli.engine.cells:LSTM_VARIANTS") = "vanilla"
    peepholes: bool = False
    hidden_size: int = Field(128, ge=1)
    num_layers: int = Field(1, ge=1)
    bidirectional: bool = True
    dropout: float = Field(0.0, ge=0, lt=1)
    input_dropout: float = Field(0.0, ge=0, lt=1)
    output_dropout: float = Field(0.0, ge=0, lt=1)
    forget_bias: float = 1.0
    input_bias: float = 0.0
    output_bias: float = 0.0
    gate_activation: Activation = "sigmoid"
    cell_activation: Activation = "tanh"
    output_activation: Activation = "tanh"
    rnn_nonlinearity: Literal["tanh", "relu"] = "tanh"
    embedding: EmbeddingConfig = Field(default_factory=EmbeddingConfig)
    chars: CharsConfig = Field(default_factory=CharsConfig)
    affixes: AffixesConfig = Field(default_factory=AffixesConfig)
    word_dropout: float = Field(0.0, ge=0, lt=1)
    word_dropout_alpha: float = Field(0.0, ge=0)
    features: dict[str, int] = Field(default_factory=dict)
    output: one_of("lstm_cli.engine.outputs:OUTPUTS") = "softmax"
    class_weights: dict[str, float] | None = None
    crf: CRFConfig = Field(default_factory=CRFConfig)
    ctc: CTCConfig = Field(default_factory=CTCConfig)
    sequence: SequenceConfig = Field(default_factory=SequenceConfig)
    regression: RegressionConfig = Field(default_factory=RegressionConfig)
    init: InitConfig = Field(default_factory=InitConfig)
    dtype: Literal["float32", "float64"] = "float32"

    @property
    def output_layer(self) -> type[OutputLayer]:
        """The class of the configured output layer."""
        return registry("lstm_cli.engine.outputs:OUTPUTS")[self.output]

    def output_section(self) -> dict[str, Any]:
        """The keys of the output layer's own section (`model.crf`, …), {} when it has none."""
        section = self.output_layer.config_section
        return {} if section is None else getattr(self, section).model_dump()

    def output_targets(self) -> Targets:
        """What the configured output layer is trained against (see engine/outputs/base.py)."""
        return self.output_layer.targets_for(**self.output_section())


class OptimizerConfig(Section):
    name: one_of("lstm_cli.train.optim:OPTIMIZERS") = "adam"
    lr: float = Field(0.001, gt=0)
    momentum: float = Field(0.9, ge=0, lt=1)
    beta1: float = Field(0.9, ge=0, lt=1)
    beta2: float = Field(0.999, ge=0, lt=1)
    eps: float = Field(1e-8, gt=0)
    rho: float = Field(0.99, ge=0, lt=1)
    lazy: bool = False


class ScheduleConfig(Section):
    """The decay is per epoch (`step_size` epochs, `gamma` per epoch, cosine over the run's
    epochs); the linear warm-up lasts `warmup_steps` optimiser steps, or `warmup_epochs` epochs
    (rounded to whole steps), whichever is given."""

    name: one_of("lstm_cli.train.schedule:SCHEDULES") = "constant"
    step_size: int = Field(10, ge=1)
    gamma: float = Field(0.5, gt=0, le=1)
    min_lr: float = Field(0.0, ge=0)
    warmup_steps: int = Field(0, ge=0)
    warmup_epochs: float = Field(0.0, ge=0)

    @model_validator(mode="after")
    def _one_warmup(self) -> ScheduleConfig:
        if self.warmup_steps and self.warmup_epochs:
            raise ValueError("give the warm-up as warmup_steps or as warmup_epochs, not both")
        return self


class EarlyStoppingConfig(Section):
    """Stop after `patience` epochs without a better `metric`; the first `min_epochs` epochs
    (and, with `train.ema_epochs`, the epochs of the average's horizon) do not count toward
    it, so the averaged model has had the time to move before a run can stop. With
    `tie_metric` (e.g. `loss`), an epoch whose `metric` equals the best's exactly is better
    when its `tie_metric` is: on a small dev set the metric saturates (a few tokens decide
    it) and, without it, the first of many equal epochs is kept."""

    metric: str = "token_accuracy"
    tie_metric: str | None = None
    patience: int | None = Field(None, ge=1)
    min_epochs: int = Field(0, ge=0)


class TrainConfig(Section):
    """The training loop. Its divergence guard (train/divergence.py) stops a run, exit 3, when
    a batch's loss or gradient norm is NaN/inf (`on_nonfinite: skip_batch` skips such a batch
    instead), or when a finite loss exceeds `divergence_factor` times the mean of the first 10
    updates' losses (at least ln C, a uniform guess over C labels, for classifying outputs),
    all per step, target label, sequence or value as the output's loss is; `divergence_factor:
    null` turns that check off.

    `ema`: the weights' moving average, evaluated and kept, with a decay per optimiser step;
    `ema_epochs`: the same with a horizon in epochs (decay 1 − 1/(horizon × steps per epoch)),
    which means the same whatever the data's size; `ema_bias_correction`: start the average
    from zero and divide by 1 − decay^steps, as Adam corrects its moments, so early averages
    are not dominated by the initial weights (`train/average.py`)."""

    epochs: int = Field(10, ge=1)
    batch_size: int = Field(32, ge=1)
    optimizer: OptimizerConfig = Field(default_factory=OptimizerConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    clip_norm: float | None = Field(5.0, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    early_stopping: EarlyStoppingConfig = Field(default_factory=EarlyStoppingConfig)
    bucket: bool = True
    threads: int | None = Field(None, ge=1)
    ema: float | None = Field(None, gt=0, lt=1)
    ema_epochs: float | None = Field(None, gt=0)
    ema_bias_correction: bool = False
    on_nonfinite: Literal["stop", "skip_batch"] = "stop"
    divergence_factor: float | None = Field(100.0, gt=1)

    @model_validator(mode="after")
    def _one_average(self) -> TrainConfig:
        if self.ema is not None and self.ema_epochs is not None:
            raise ValueError("give the weight average as train.ema (a decay per step) or as "
                             "train.ema_epochs (a horizon in epochs), not both")
        if self.ema_bias_correction and self.ema is None and self.ema_epochs is None:
            raise ValueError("train.ema_bias_correction needs a weight average: set train.ema "
                             "or train.ema_epochs")
        return self


class OutputConfig(Section):
    dir: str | None = None


class Config(Section):
    """The whole experiment; `configs/reference.yaml` lists every key with its default."""

    seed: int = 0
    data: DataConfig = Field(default_factory=DataConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)

    @model_validator(mode="after")
    def _fits_the_output(self) -> Config:
        """Sequence-level outputs take whole sequences and report their own metrics."""
        output = self.model.output
        if not self.model.output_layer.windows and self.data.window is not None:
            raise ValueError(f"data.window cuts sequences into windows, but model.output "
                             f"{output} predicts once per sequence; remove data.window")
        stopping = self.train.early_stopping
        selectable = selectable_metrics(self.model.output_targets().report)
        for key, metric in (("metric", stopping.metric), ("tie_metric", stopping.tie_metric)):
            if selectable is not None and metric is not None and metric not in selectable:
                raise ValueError(f"train.early_stopping.{key} {metric!r} is not in a {output} "
                                 f"report; choose one of {', '.join(selectable)}")
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON/YAML-able data (the resolved config saved in run dirs and checkpoints)."""
        return self.model_dump(mode="json")

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)


# --- loading ----------------------------------------------------------------------------------


def _key_lines(node: yaml.Node, path: str, source: str, lines: dict[str, int]) -> None:
    """Record the line of every mapping key by dotted path; reject duplicate keys."""
    if not isinstance(node, yaml.MappingNode):
        return
    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        line = key_node.start_mark.line + 1
        if key in seen:
            raise ConfigError(f"duplicate key '{path}{key}' (first given on line {seen[key]})",
                              path=source, line=line)
        seen[key] = line
        lines[f"{path}{key}"] = line
        _key_lines(value_node, f"{path}{key}.", source, lines)


MAX_YAML_DEPTH = 200
"""The deepest `[`/`{` nesting a YAML file or `--set` value may have."""

MAX_YAML_NODES = 100_000
"""The most values a YAML file or `--set` value may hold once its aliases are expanded (a config
has a few hundred; this refuses alias bombs before anything walks them)."""


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, with its constructors' own failures (`seed: 2001-02-30`, an integer
    of 5000 digits, `!!float abc`, `!!bool maybe`) raised as YAML errors at the value's mark."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as error:
            kind = node.tag.rpartition(":")[2]
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {node.value!r:.40} as {kind} ({error})",
                node.start_mark) from None


def parse_yaml(text: str, source: str | None = None) -> tuple[Any, dict[str, int]]:
    """The data of one YAML document (None for an empty one) and, given the file's name as
    `source`, the line of each dotted mapping key (duplicate keys are a ConfigError).

    Raises yaml.YAMLError for anything that is not a YAML document this loader reads: bad
    syntax, values its tags cannot hold, aliases that refer to themselves or expand to more than
    MAX_YAML_NODES values, nesting too deep to read.
    """
    _check_bracket_depth(text)
    loader = _Loader(text)
    lines: dict[str, int] = {}
    try:
        root = loader.get_single_node()
        if root is None:
            return None, lines
        if _expanded_size(root, {}, set()) > MAX_YAML_NODES:
            raise yaml.YAMLError(f"the document holds more than {MAX_YAML_NODES} values once "
                                 "its aliases are expanded")
        if source is not None:          # before construction, which merges `<<` keys in place
            _key_lines(root, "", source, lines)
        return loader.construct_document(root), lines
    except RecursionError:
        raise yaml.YAMLError("nesting too deep to read") from None
    finally:
        loader.dispose()


def _check_bracket_depth(text: str) -> None:
    """A YAMLError where `[` and `{` nest deeper than MAX_YAML_DEPTH (PyYAML's scanner takes
    time quadratic in that depth: minutes for a line of 100,000 `[`). Brackets inside quoted
    strings count too; no config comes near the limit."""
    depth = 0
    for bracket in re.finditer(r"[\[\]{}]", text):
        depth += 1 if bracket.group() in "[{" else -1
        if depth > MAX_YAML_DEPTH:
            line = text.count("\n", 0, bracket.start())
            raise yaml.MarkedYAMLError(
                problem=f"brackets nest deeper than {MAX_YAML_DEPTH} levels",
                problem_mark=yaml.Mark("<text>", bracket.start(), line, 0, None, None))


def _expanded_size(node: yaml.Node, sizes: dict[int, int], open_nodes: set[int]) -> int:
    """How many nodes `node` stands for with every alias expanded (each shared node counted once
    per use, computed once); a node that contains itself is a YAMLError."""
    if id(node) in sizes:
        return sizes[id(node)]
    if id(node) in open_nodes:
        raise yaml.YAMLError(f"an alias refers to a value that contains it (line "
                             f"{node.start_mark.line + 1})")
    open_nodes.add(id(node))
    size = 1
    if isinstance(node, yaml.MappingNode):
        size += sum(_expanded_size(key, sizes, open_nodes) + _expanded_size(value, sizes,
                                                                           open_nodes)
                    for key, value in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(item, sizes, open_nodes) for item in node.value)
    open_nodes.discard(id(node))
    sizes[id(node)] = size
    return size


def read_yaml_mapping(path: str | Path) -> tuple[dict[str, Any], dict[str, int]]:
    """A YAML file's top-level mapping and the line of each dotted key."""
    path = Path(path)
    if not path.exists():
        raise ConfigError("config file not found", path=path)
    if path.is_dir():
        raise ConfigError("expected a YAML file, found a directory", path=path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"not UTF-8 text (byte offset {error.start})", path=path) from None
    try:
        data, lines = parse_yaml(text, str(path))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(error, "problem", None) or str(error)
        if isinstance(error, yaml.reader.ReaderError):      # a character YAML does not allow
            problem = f"unacceptable character #x{error.character:04x}: {error.reason}"
            line = text.count("\n", 0, error.position) + 1
        raise ConfigError(f"invalid YAML: {' '.join(problem.split())}", path=path,
                          line=line) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"a config must be a YAML mapping of sections, found a "
                          f"{type(data).__name__}", path=path)
    return data, lines


def section_fields(dotted: list[str]) -> dict[str, Any] | None:
    """The fields of the schema section at a dotted path, or None if it is not a section."""
    model: Any = Config
    for part in dotted:
        field = model.model_fields.get(part) if isinstance(model, type) else None
        if field is None:
            return None
        model = _section_type(field.annotation)
        if model is None:
            return None
    return model.model_fields


def _section_type(annotation: Any) -> type[Section] | None:
    for candidate in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(candidate, type) and issubclass(candidate, Section):
            return candidate
    return None


def nearest_key_hint(parents: list[str], key: str, names: Iterable[str] | None) -> str | None:
    """"did you mean 'model.hidden_size'?" for a misspelt `key` below `parents`, else the valid
    keys there (`names`; None when they are unknown)."""
    names = list(names or ())
    if not names:
        return None
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.5)
    prefix = ".".join(parents + [""])
    return f"did you mean '{prefix}{close[0]}'?" if close else \
        f"valid keys here: {', '.join(sorted(names))}"


def suggest_key(parents: list[str], key: str) -> str | None:
    """The nearest config key to a misspelt `key` below `parents` (see `nearest_key_hint`)."""
    return nearest_key_hint(parents, key, section_fields(parents))


def parse_override(text: str) -> tuple[str, Any]:
    """`model.hidden_size=256` -> ("model.hidden_size", 256); the value is read as YAML."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set expects KEY=VALUE, got {text!r}")
    try:
        value = parse_yaml(raw)[0] if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    return key, value


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Set each dotted key; a key that is not in the schema is an error naming the nearest."""
    for text in overrides:
        key, value = parse_override(text)
        parts = key.split(".")
        node = data
        for depth, part in enumerate(parts):
            fields = section_fields(parts[:depth])
            if fields is not None and part not in fields:
                raise ConfigError(f"--set {key}: unknown key '{part}'",
                                  hint=suggest_key(parts[:depth], part))
            if depth == len(parts) - 1:
                node[part] = value
            else:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = node[part] = {}
                node = child
    return data


def validate_config(data: dict[str, Any], *, source: str | None = None,
                    lines: dict[str, int] | None = None,
                    overridden: tuple[str, ...] = ()) -> Config:
    """Validate plain data against the schema; the first problem becomes a ConfigError.

    A problem under a key in `overridden` (dotted keys given with `--set`) is blamed on that
    `--set`, not on the file's line.
    """
    try:
        return Config.model_validate(data)
    except ValidationError as error:
        raise render_validation_error(error, source=source, lines=lines, suggest=suggest_key,
                                      overridden=overridden) from None


def render_validation_error(error: ValidationError, *, source: str | Path | None,
                            lines: dict[str, int] | None,
                            suggest: Callable[[list[str], str], str | None],
                            overridden: tuple[str, ...] = (), subject: str = "config"
                            ) -> ConfigError:
    """The first problem of a validation error as one ConfigError naming the file, line and
    dotted key: an unknown key with `suggest(parents, key)`'s hint, a missing one, a name not
    among the allowed ones, or the validator's message with the value found. A problem under a
    key in `overridden` (given with `--set`) is blamed on that `--set`, not on the file."""
    problem = error.errors()[0]
    parts = [str(part) for part in problem["loc"]]
    dotted = ".".join(parts)
    line = line_for(lines or {}, parts)
    override = next((key for key in overridden if dotted == key
                     or dotted.startswith(key + ".") or key.startswith(dotted + ".")), None)
    if override is not None:
        source, line = None, None
    if problem["type"] == "extra_forbidden":
        return ConfigError(f"unknown key '{dotted}'", path=source, line=line,
                           hint=suggest(parts[:-1], parts[-1]))
    if problem["type"] == "missing":
        return ConfigError(f"'{dotted}' is required", path=source, line=line)
    message = problem["msg"].removeprefix("Value error, ")
    if problem["type"] == "literal_error":
        message = f"must be {problem['ctx']['expected']}"
    found = problem.get("input")
    found_text = "" if isinstance(found, dict) else f" (found {found!r})"
    where = dotted or subject
    if override is not None:
        where = f"--set {override}" + ("" if override == dotted else f": {where}")
    return ConfigError(f"{where}: {message}{found_text}", path=source, line=line)


def line_for(lines: dict[str, int], parts: list[str]) -> int | None:
    """The line of the deepest key of `parts` that `lines` knows (see `read_yaml_mapping`)."""
    for depth in range(len(parts), 0, -1):
        line = lines.get(".".join(parts[:depth]))
        if line is not None:
            return line
    return None


def load_config(path: str | Path, overrides: list[str] | None = None) -> Config:
    """Read, override and validate a config file."""
    data, lines = read_yaml_mapping(path)
    apply_overrides(data, overrides or [])
    overridden = tuple(parse_override(text)[0] for text in overrides or [])
    return validate_config(data, source=str(path), lines=lines, overridden=overridden)


def config_from_dict(data: dict[str, Any], overrides: list[str] | None = None) -> Config:
    """Validate a config held in memory (e.g. the one saved in a checkpoint); `data` itself is
    left untouched (the overrides go into a deep copy)."""
    return validate_config(apply_overrides(copy.deepcopy(data), overrides or []))
