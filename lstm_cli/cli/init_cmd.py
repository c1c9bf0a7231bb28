"""`lstm init`: inspect labelled data and write a commented config with the recipe for it."""

from __future__ import annotations

import shlex
from pathlib import Path

import typer

from lstm_cli import fsutil
from lstm_cli.cli.main import app
from lstm_cli.errors import LstmError


@app.command("init")
def init_cli(
    data_dir: Path = typer.Argument(None, metavar="[DATA_DIR]",
                                    help="A directory whose file names say train/dev/test "
                                         "(instead of --train/--dev/--test)."),
    train: Path = typer.Option(None, "--train", help="Labelled training data."),
    dev: Path = typer.Option(None, "--dev", help="Labelled dev data (default: 10 % of train, "
                             "cut with a fixed seed)."),
    test: Path = typer.Option(None, "--test", help="Labelled test data."),
    out: Path = typer.Option(Path("config.yaml"), "--out", "-o", help="Config file to write."),
    task: str = typer.Option(None, "--task", help="tag | chunk (default: chunk when the "
                             "labels are IOB1/IOB2/IOBES, else tag)."),
    output: str = typer.Option(None, "--output", help="softmax | crf (default: crf for "
                               "chunks, softmax for tags)."),
    budget_minutes: float = typer.Option(10.0, "--budget-minutes", min=0.5, help="Training "
                                         "time to plan for on 2 cores (caps the epochs)."),
    epochs: int = typer.Option(None, "--epochs", min=1, help="Epochs (default: from the "
                               "data's size and the budget)."),
    vectors: str = typer.Option(None, "--vectors", help="Pretrained word vectors "
                                "(word2vec/GloVe/fastText text)."),
    data_format: str = typer.Option(None, "--format", help="conll | conllu | jsonl "
                                    "(default: detected)."),
    seed: int = typer.Option(0, "--seed", help="The config's seed (and the split's)."),
    force: bool = typer.Option(False, "--force", help="Overwrite --out if it exists."),
) -> None:
    """Inspect labelled data and write a complete, commented config for it.

    Example: lstm init --train train.conll --dev dev.conll --out ner.yaml && lstm train ner.yaml
    """
    choices = {"--task": (task, ("tag", "chunk")), "--output": (output, ("softmax", "crf")),
               "--format": (data_format, ("conll", "conllu", "jsonl"))}
    for flag, (value, allowed) in choices.items():
        if value is not None and value not in allowed:
            raise LstmError(f"{flag} must be one of {', '.join(allowed)}, got {value!r}")
    from lstm_cli.recipes import find_data_files, inspect_data, recipe_for

    if data_dir is not None:
        if train is not None:
            raise LstmError("give a data directory or --train, not both")
        files = find_data_files(data_dir)
        train, dev, test = (Path(files[name]) if name in files else None
                            for name in ("train", "dev", "test"))
    if train is None:
        raise LstmError("no training data", hint="lstm init --train FILE, or lstm init DATA_DIR")
    if out.exists() and not force:
        raise LstmError("the config file already exists", path=out, hint="use --force, or "
                        "another --out")
    profile = inspect_data(train, dev, test, format=data_format)
    recipe = recipe_for(profile, task=task, output=output, budget_minutes=budget_minutes,
                        vectors=vectors, seed=seed, epochs=epochs)
    out.parent.mkdir(parents=True, exist_ok=True)
    fsutil.atomic_write_text(out, recipe.to_yaml())
    typer.echo("Found:")
    for line in profile.describe():
        typer.echo(f"  {line}")
    typer.echo("Chose:")
    for line in recipe.choices:
        typer.echo(f"  {line}")
    typer.echo(f"Wrote {out}. Train with:\n  lstm train {shlex.quote(str(out))}")
