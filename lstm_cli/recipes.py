"""`lstm init`: look at labelled data and write the project's best recipe for it as a config.

    profile = inspect_data("train.txt", dev="dev.txt", test="test.txt")
    recipe = recipe_for(profile, budget_minutes=10)
    Path("config.yaml").write_text(recipe.to_yaml())

`inspect_data` reads the files with the project's readers and finds the format (CoNLL columns,
CoNLL-U, JSONL), the token, label and extra columns, the label scheme (IOB1/IOB2/IOBES, or
plain tags), the sizes, and whether the words are written in an alphabetic script.
`recipe_for` turns that profile into a complete config:

- chunk labels (a scheme): a CRF output with the scheme's constraints (unless more than 1 % of
  the training sentences break them: IOB1 data read as IOB2, or noisy labels), the model chosen
  on `entity.f1`; plain tags: softmax, chosen on `token_accuracy`;
- words (word dropout α/(count + α), none with pretrained vectors), a character CNN per word,
  prefix/suffix/shape embeddings for alphabetic scripts; categorical extra columns present in
  every split as features;
- one BiLSTM layer, dropout 0.33 on its inputs and outputs, lazy Adam;
- sizes from the number of training tokens N: batches of 64 from 100k tokens (32 from 30k,
  else 16), epochs 16·√(200k / N) within [12, 60], cut to what 90 % of `budget_minutes`
  allows at the throughput measured on 2 cores; the weight average over a horizon of 2.5
  epochs with bias correction (`train.ema_epochs`), and patience max(5, epochs / 4) counted
  after that horizon; of epochs with equal dev metric (a small dev set saturates it: a few
  tokens decide it) the one with the lower dev loss is kept (`early_stopping.tie_metric`);
- a dev split (and a test split when there is no test file) cut from train with a fixed seed
  when no dev file is given.

Every choice is written into the YAML as a comment saying why, and any can be overridden with
the keyword arguments of `recipe_for` (the flags of `lstm init`).
"""

from __future__ import annotations

import math
import shlex
import textwrap
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import takewhile
from pathlib import Path
from typing import Any, Literal

import yaml

from lstm_cli.config import validate_config
from lstm_cli.data.conll import looks_like_token_line, read_conll
from lstm_cli.data.conllu import read_conllu
from lstm_cli.data.dataset import format_of_suffix
from lstm_cli.data.files import iter_lines
from lstm_cli.data.jsonl import read_jsonl
from lstm_cli.data.schemes import detect_scheme, is_valid_sequence
from lstm_cli.data.types import Example
from lstm_cli.data.vectors import vector_dim
from lstm_cli.errors import DataError

SPLITS = ("train", "dev", "test")
DATA_SUFFIXES = (".conllu", ".conll", ".txt", ".tsv", ".bio", ".iob", ".iob2", ".jsonl",
                 ".json", ".tags", ".data")
SPLIT_NAMES = {"train": ("train",), "dev": ("dev", "valid", "val", "development"),
               "test": ("test", "eval")}
"""`lstm init DATA_DIR`: a file is a split's when its name holds one of these words."""

NON_ALPHABETIC_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "YI ", "BOPOMOFO")
"""Letters from these Unicode blocks are logographic or syllabic: a word is one to a few of
them, so prefixes, suffixes and word shapes say little."""

MAX_FEATURE_VALUES = 500
"""An extra column is a categorical feature when it has at most this many distinct values
(and fewer than one per 20 tokens): POS or chunk tags are, lemmas or glosses are not."""

TRAIN_TOKENS_PER_SECOND = 8000.0
EVAL_TOKENS_PER_SECOND = 8000.0
"""Throughput of the recipe's model at 2 BLAS threads on a quiet 2-core machine (EWT: epochs of
21–28 s, median 24 s, for 204,577 tokens; dev evaluation about 3 s for 25,147); a CRF is
planned at 20 % more."""

REFERENCE_TOKENS = 200_000
REFERENCE_EPOCHS = 16
"""The EWT recipe: 16 epochs on about 200k tokens; smaller data gets more epochs."""

EMA_EPOCHS = 2.5
"""The horizon of the weight average: the EWT config's decay 0.998 at 196 steps an epoch."""


@dataclass
class SplitProfile:
    path: str
    sentences: int
    tokens: int


@dataclass
class DataProfile:
    """What `inspect_data` found. `columns` is the number of CoNLL columns (0 otherwise);
    `features` maps a feature name to its column (CoNLL) or key (JSONL) and its number of
    distinct values in training."""

    format: Literal["conll", "conllu", "jsonl"]
    splits: dict[str, SplitProfile]
    labels: dict[str, int]
    scheme: str | None
    columns: int = 0
    label_column: int = -1
    features: dict[str, tuple[int, int]] = field(default_factory=dict)
    alphabetic: bool = True
    cased: bool = True
    mean_length: float = 0.0
    max_length: int = 0
    skipped_columns: dict[int, int] = field(default_factory=dict)
    invalid_sequences: int = 0

    @property
    def train_tokens(self) -> int:
        return self.splits["train"].tokens

    def describe(self) -> list[str]:
        """A few lines saying what was found."""
        sizes = ", ".join(f"{name} {split.sentences:,} sentences / {split.tokens:,} tokens"
                          for name, split in self.splits.items())
        scheme = f"chunk labels in {self.scheme}" if self.scheme else "plain tags"
        if self.invalid_sequences:
            scheme += (f"; {self.invalid_sequences} training sentences break its rules (IOB1 "
                       "data, or noisy labels)")
        lines = [f"format: {self.format}" + (f", {self.columns} columns" if self.columns else ""),
                 f"sizes: {sizes}",
                 f"labels: {len(self.labels)} ({scheme}): {_some(self.labels)}",
                 f"script: {'alphabetic' if self.alphabetic else 'not alphabetic'}"
                 f"{', cased' if self.cased else ''}; mean sentence length "
                 f"{self.mean_length:.1f}, longest {self.max_length}"]
        if self.features:
            lines.append("extra columns used as features: " + ", ".join(
                f"{name} ({values} values)" for name, (_, values) in self.features.items()))
        if self.skipped_columns:
            lines.append("extra columns not used (not categorical, or not in every split): "
                         + ", ".join(f"column {column} ({values} values)"
                                     for column, values in self.skipped_columns.items()))
        return lines


def find_data_files(directory: str | Path) -> dict[str, str]:
    """train/dev/test files of a directory, by name (`en_ewt-ud-train.conllu`, `valid.txt`);
    a directory holding one data file gives it as train."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError("expected a directory of data files", path=directory)
    files = sorted(path for path in directory.iterdir()
                   if path.is_file() and path.suffix.lower() in DATA_SUFFIXES)
    found: dict[str, str] = {}
    for split, words in SPLIT_NAMES.items():
        matches = [path for path in files
                   if any(word in _name_words(path) for word in words)]
        if len(matches) > 1:
            raise DataError(f"found several {split} files: "
                            f"{', '.join(path.name for path in matches)}", path=directory,
                            hint="name them with --train/--dev/--test")
        if matches:
            found[split] = str(matches[0])
    if not found and len(files) == 1:
        found["train"] = str(files[0])
    if "train" not in found:
        raise DataError("found no training file (a name holding 'train')", path=directory,
                        hint="name it with --train FILE")
    return found


def _name_words(path: Path) -> set[str]:
    """The words of a file name: `en_ewt-ud-train.conllu` -> {en, ewt, ud, train, conllu}."""
    return set(filter(None, "".join(c if c.isalnum() else " " for c in path.name.lower())
                      .split()))


def detect_format(path: str | Path) -> Literal["conll", "conllu", "jsonl"]:
    """JSONL when the first non-blank line is a JSON object; CoNLL-U when the file ends in
    .conllu or its first word line has ten tab-separated fields starting with a number;
    otherwise CoNLL columns."""
    if format_of_suffix(Path(path).suffix) == "conllu":
        return "conllu"
    for _, line in iter_lines(path):
        if not line.strip() or line.startswith("#"):
            continue
        if line.lstrip().startswith("{"):
            return "jsonl"
        fields = line.split("\t")
        if len(fields) == 10 and fields[0].split("-")[0].split(".")[0].isdigit():
            return "conllu"
        return "conll"
    return "conll"


def _conll_columns(path: str | Path) -> int:
    for _, line in iter_lines(path):
        if looks_like_token_line(line, comment_prefix="#"):
            return len(line.split())
    return 0


def inspect_data(train: str | Path, dev: str | Path | None = None,
                 test: str | Path | None = None, *,
                 format: str | None = None) -> DataProfile:
    """Read the splits with the project's readers and describe them (see `DataProfile`)."""
    paths = {name: str(path) for name, path in zip(SPLITS, (train, dev, test), strict=True)
             if path is not None}
    format = format or detect_format(paths["train"])
    columns, candidates = 0, {}
    if format == "conll":
        widths = {name: _conll_columns(path) for name, path in paths.items()}
        columns = widths["train"]
        if columns < 2:
            raise DataError("expected at least a token and a label column, found "
                            f"{columns}", path=paths["train"])
        candidates = {f"column{index}": index for index in range(1, columns - 1)
                      if all(index < width - 1 for width in widths.values())}
        not_everywhere = [index for index in range(1, columns - 1)
                          if f"column{index}" not in candidates]
    data = {name: _read(path, format, candidates) for name, path in paths.items()}
    examples = data["train"]
    labels = Counter(label for example in examples for label in example.labels or ())
    if not labels:
        raise DataError("expected labelled training data, found no labels", path=paths["train"])
    profile = DataProfile(
        format=format, columns=columns, labels=dict(labels.most_common()),
        scheme=detect_scheme(labels),
        splits={name: SplitProfile(path, len(data[name]), sum(len(e) for e in data[name]))
                for name, path in paths.items()})
    if profile.scheme:
        profile.invalid_sequences = sum(not is_valid_sequence(example.labels, profile.scheme)
                                        for example in examples)
    lengths = [len(example) for example in examples]
    profile.mean_length = sum(lengths) / len(lengths)
    profile.max_length = max(lengths)
    profile.alphabetic, profile.cased = _script(examples)
    tokens = profile.train_tokens
    names = list(candidates) or sorted(examples[0].features)
    for name in names:
        values = len({value for e in examples for value in e.features.get(name, ())})
        everywhere = all(name in e.features for split in data.values() for e in split[:1])
        categorical = values <= MAX_FEATURE_VALUES and values * 20 < tokens
        if everywhere and (categorical or format == "jsonl"):    # JSONL: every one is read
            profile.features[name] = (candidates.get(name, -1), values)
        elif name in candidates:
            profile.skipped_columns[candidates[name]] = values
    if format == "conll":
        for index in not_everywhere:
            profile.skipped_columns[index] = 0
        profile.skipped_columns = dict(sorted(profile.skipped_columns.items()))
    return profile


def _read(path: str, format: str, columns: dict[str, int]) -> list[Example]:
    if format == "conllu":
        return read_conllu(path, label_field="upos")
    if format == "jsonl":
        return read_jsonl(path)
    return read_conll(path, token_column=0, label_column=-1, features=columns)


def _script(examples: Sequence[Example]) -> tuple[bool, bool]:
    """(alphabetic, cased): whether most letters are outside the logographic and syllabic
    blocks, and whether at least 1 % of them are upper case."""
    letters = Counter(char for example in examples[:2000] for token in example.tokens
                      for char in token if char.isalpha())
    total = sum(letters.values()) or 1
    non_alphabetic = sum(count for char, count in letters.items()
                         if unicodedata.name(char, "").startswith(NON_ALPHABETIC_SCRIPTS))
    upper = sum(count for char, count in letters.items() if char.isupper())
    return non_alphabetic * 2 < total, upper * 100 >= total


def _some(labels: dict[str, int], limit: int = 12) -> str:
    shown = ", ".join(list(labels)[:limit])
    return shown + (f", … ({len(labels) - limit} more)" if len(labels) > limit else "")


@dataclass
class Recipe:
    """A config (plain data, valid for `config.validate_config`), a comment per dotted key
    saying why, and the summary of what was chosen."""

    config: dict[str, Any]
    comments: dict[str, str]
    choices: list[str]
    header: list[str]

    def to_yaml(self) -> str:
        """The config as YAML with the header and the comments."""
        lines = [f"# {part}" if part else "#" for line in self.header
                 for part in _wrapped(line, "")]
        lines += _yaml_lines(self.config, "", 0, self.comments)
        return "\n".join(lines) + "\n"


def recipe_for(profile: DataProfile, *, task: Literal["tag", "chunk"] | None = None,
               output: Literal["softmax", "crf"] | None = None,
               budget_minutes: float = 10.0, vectors: str | None = None,
               vectors_dim: int | None = None, seed: int = 0,
               epochs: int | None = None) -> Recipe:
    """The project's best recipe for data like `profile` (see the module docstring); the
    keyword arguments override the guesses. `vectors` names pretrained word vectors (their
    width `vectors_dim`, read from the file when None)."""
    comments: dict[str, str] = {}
    choices: list[str] = []
    n_tokens = profile.train_tokens

    def why(key: str, text: str) -> None:
        comments[key] = text

    guessed_task = task is None
    task = task or ("chunk" if profile.scheme else "tag")
    if task == "chunk" and profile.scheme is None:
        raise DataError("--task chunk needs chunk labels (O, B-X, I-X, …); these are plain "
                        "tags", path=profile.splits["train"].path)
    guessed = output is None
    output = output or ("crf" if task == "chunk" else "softmax")
    metric = "entity.f1" if task == "chunk" else "token_accuracy"

    data: dict[str, Any] = {"format": profile.format}
    data.update({name: split.path for name, split in profile.splits.items()})
    if "dev" not in profile.splits:
        small = profile.splits["train"].sentences < 10_000
        if "test" in profile.splits:
            data["split"] = {"train": 0.9, "dev": 0.1, "test": 0.0, "seed": seed}
            why("data.split", "no dev file: 10 % of train held out as dev (seed fixed)")
        else:
            data["split"] = {"train": 0.7, "dev": 0.1, "test": 0.2, "seed": seed} if small \
                else {"train": 0.8, "dev": 0.1, "test": 0.1, "seed": seed}
            why("data.split", "no dev or test file: both cut from train (seed fixed); set "
                              "test: 0 and train to the rest to train on more")
        choices.append("dev: cut from train (data.split)")
    if profile.format == "conll":
        data["token_column"], data["label_column"] = 0, -1
        why("data.label_column", "the last column")
        if profile.features:
            data["feature_columns"] = {name: column
                                       for name, (column, _) in profile.features.items()}
            why("data.feature_columns", "categorical extra columns found in every split")
    if profile.format == "conllu":
        data["conllu_label"] = "upos"
    data["tokenizer"] = "rule" if profile.alphabetic else "whitespace"
    why("data.tokenizer", "plain text for `lstm predict` and `Tagger.tag`: "
        + ("syntok's rules (an alphabetic script), which split punctuation from words; or a "
           "tokeniser trained on CoNLL-U (see configs/ud-en-ewt-tokenizer.yaml)"
           if profile.alphabetic else "split at white space (syntok's rules are for "
           "alphabetic scripts); or a tokeniser trained on CoNLL-U (see "
           "configs/ud-en-ewt-tokenizer.yaml)"))

    scale = math.sqrt(REFERENCE_TOKENS / max(n_tokens, 1))
    batch_size = 64 if n_tokens >= 100_000 else 32 if n_tokens >= 30_000 else 16
    lr = 0.003 if batch_size == 64 else 0.002
    size_epochs = min(60, max(12, round(REFERENCE_EPOCHS * scale)))
    dev_tokens = profile.splits["dev"].tokens if "dev" in profile.splits else 0.1 * n_tokens
    train_tokens = n_tokens if "dev" in profile.splits else 0.7 * n_tokens
    per_epoch = (train_tokens / TRAIN_TOKENS_PER_SECOND * (1.2 if output == "crf" else 1.0)
                 + dev_tokens / EVAL_TOKENS_PER_SECOND)
    budget_epochs = int((0.9 * budget_minutes * 60 - 30) / max(per_epoch, 1e-9))  # a margin
    chosen_epochs = epochs or max(3, min(size_epochs, budget_epochs))
    estimate = chosen_epochs * per_epoch + 30
    patience = max(5, chosen_epochs // 4)

    model: dict[str, Any] = {"cell": "lstm", "hidden_size": 200, "num_layers": 1,
                             "bidirectional": True, "input_dropout": 0.33,
                             "output_dropout": 0.33,
                             "word_dropout_alpha": 0.0 if vectors else 1.0}
    why("model.word_dropout_alpha",
        "no word dropout: a rare word's pretrained vector says what it means, and replacing "
        "it by <unk> hides that" if vectors else
        "rare words are replaced by <unk> with probability 1/(count + 1), so the model learns "
        "<unk>")
    if vectors:
        dim = vectors_dim or vector_dim(vectors)
        model["embedding"] = {"dim": dim, "pretrained": vectors, "freeze": False}
        why("model.embedding", "pretrained vectors given with --vectors")
    else:
        model["embedding"] = {"dim": 128}
    model["chars"] = {"encoder": "cnn", "dim": 32, "filters": 100, "width": 3,
                      "max_length": 24}
    why("model.chars", "a character CNN per distinct word: words never seen in training "
                       "still say what their characters say")
    if profile.alphabetic:
        model["affixes"] = {"dim": 16, "prefix": [1, 2, 3], "suffix": [1, 2, 3, 4],
                            "shape": profile.cased}
        why("model.affixes", "alphabetic script: prefixes, suffixes"
            + (" and word shape (the script is cased)" if profile.cased else
               " (no word shape: the script has no case)"))
    else:
        why("model.chars", "a character CNN per distinct word; no affix features (the script "
                           "is not alphabetic)")
    if profile.features:
        model["features"] = {name: 16 if values <= 20 else 32
                             for name, (_, values) in profile.features.items()}
        why("model.features", "an embedding per feature column (16-d up to 20 values, else "
                              "32-d)")
    model["output"] = output
    why("model.output", f"{'chunk labels' if task == 'chunk' else 'plain tags'}: {output}"
        + (" (guessed; --output overrides)" if guessed else " (--output)"))
    if output == "crf":
        constrained = profile.scheme is not None and \
            profile.invalid_sequences * 100 <= profile.splits["train"].sentences
        model["crf"] = {"constraints": constrained}
        why("model.crf", f"no {profile.scheme} move that cannot happen (I-X after O, …)"
            if constrained else "no chunk scheme: no constraints" if profile.scheme is None
            else f"no constraints: {profile.invalid_sequences} training sentences break "
                 f"{profile.scheme}'s rules, and constraints would forbid their gold paths")

    train: dict[str, Any] = {
        "epochs": chosen_epochs, "batch_size": batch_size,
        "optimizer": {"name": "adam", "lr": lr, "beta2": 0.9, "lazy": True},
        "clip_norm": 5.0,
        "ema_epochs": EMA_EPOCHS, "ema_bias_correction": True,
        "early_stopping": {"metric": metric, "tie_metric": "loss", "patience": patience},
    }
    why("train.epochs", f"{n_tokens:,} training tokens: {size_epochs} epochs by size "
        f"(16 × √(200k / tokens), within 12–60)"
        + (f", cut to {chosen_epochs} by the {budget_minutes:g}-minute budget"
           if chosen_epochs < size_epochs and not epochs else "")
        + f"; about {estimate / 60:.0f} min on 2 cores")
    why("train.batch_size", "64 from 100k training tokens, 32 from 30k, else 16")
    why("train.optimizer", "lazy Adam: an embedding row moves only when its batch holds it")
    why("train.ema_epochs", "evaluate and keep the weights' average over the last "
                            f"{EMA_EPOCHS} epochs, bias-corrected so early epochs are not the "
                            "initial weights")
    why("train.early_stopping", f"model chosen on dev {metric}, and among epochs of equal "
                                f"{metric} (a small dev set saturates it) on dev loss; stop after "
                                f"{patience} epochs without a better one, counted after the "
                                "average's horizon")
    config = {"seed": seed, "data": data, "model": model, "train": train}
    validate_config(config)
    choices += [f"task: {task} → output {output}, model chosen on {metric}",
                f"features: words{' + pretrained vectors' if vectors else ''}, character CNN"
                + (", affixes" if profile.alphabetic else "")
                + "".join(f", {name}" for name in profile.features),
                f"training: {chosen_epochs} epochs of batches of {batch_size}, lr {lr}, weight "
                f"average over {EMA_EPOCHS} epochs, patience {patience} "
                f"(about {estimate / 60:.0f} min on 2 cores)"]
    if estimate > budget_minutes * 60:
        choices.append(f"warning: {chosen_epochs} epochs take about {estimate / 60:.0f} min, "
                       f"over the {budget_minutes:g}-minute budget")
    command = init_command(profile, task=task if not guessed_task else None,
                           output=output if not guessed else None,
                           budget_minutes=budget_minutes, vectors=vectors, seed=seed,
                           epochs=epochs)
    header = ["Written by `lstm init` from the data it read; every choice is explained in a "
              "comment.", f"Command: {command}", "Found:",
              *(f"  {line}" for line in profile.describe()), "",
              "Train with: lstm train THIS_FILE"]
    return Recipe(config, comments, choices, header)


def init_command(profile: DataProfile, *, task: str | None = None, output: str | None = None,
                 budget_minutes: float = 10.0, vectors: str | None = None, seed: int = 0,
                 epochs: int | None = None) -> str:
    """The `lstm init` command line that writes this recipe again: the data files, then every
    flag whose value is not its default (`--format` only where detection would differ)."""
    words = ["lstm", "init"]
    for name, split in profile.splits.items():
        words += [f"--{name}", split.path]
    if detect_format(profile.splits["train"].path) != profile.format:
        words += ["--format", profile.format]
    flags = {"--task": task, "--output": output, "--vectors": vectors, "--epochs": epochs,
             "--budget-minutes": None if budget_minutes == 10.0 else f"{budget_minutes:g}",
             "--seed": seed or None}
    for flag, value in flags.items():
        if value is not None:
            words += [flag, str(value)]
    return " ".join(shlex.quote(word) for word in words)


def command_of(config_text: str) -> list[str] | None:
    """The `lstm init` arguments recorded in a config's header by `Recipe.to_yaml` (the
    `# Command:` line and its continuation lines), or None for a config written by hand."""
    lines = config_text.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("# Command: "):
            parts = [line.removeprefix("# Command: ")]
            parts += [following.removeprefix("#   ") for following in
                      takewhile(lambda text: text.startswith("#   "), lines[index + 1:])]
            return shlex.split(" ".join(parts))[2:]
    return None


def _yaml_lines(mapping: dict[str, Any], prefix: str, depth: int,
                comments: dict[str, str]) -> list[str]:
    """Block YAML for sections, flow YAML for leaf lists and small mappings, a `# comment`
    line above every key that has one."""
    lines = []
    indent = "  " * depth
    for key, value in mapping.items():
        dotted = f"{prefix}{key}"
        if dotted in comments:
            lines += [f"{indent}# {part}" for part in _wrapped(comments[dotted], indent)]
        if isinstance(value, dict) and _is_section(dotted, value):
            lines.append(f"{indent}{key}:")
            lines += _yaml_lines(value, dotted + ".", depth + 1, comments)
        else:
            text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True,
                                  sort_keys=False, width=1000).strip()
            text = text.removesuffix("\n...").strip()
            lines.append(f"{indent}{key}: {text}")
    return lines


def _is_section(dotted: str, value: dict) -> bool:
    """Top-level sections and `train.early_stopping`/`optimizer` stay block YAML."""
    return dotted.count(".") == 0 or dotted in ("train.optimizer", "train.early_stopping")


def _wrapped(text: str, indent: str) -> list[str]:
    """`text` cut into comment lines of at most 100 characters (continuations indented)."""
    if not text:
        return [""]
    width = 98 - len(indent)
    lead = text[:len(text) - len(text.lstrip())]
    return textwrap.wrap(text, width=width, subsequent_indent=lead + "  ",
                         break_on_hyphens=False) or [""]
