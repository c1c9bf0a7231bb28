"""`lstm data list|make`: the built-in generated datasets."""

from __future__ import annotations

from pathlib import Path

import typer

from lstm_cli.cli.main import app

data_app = typer.Typer(help="Built-in datasets generated from a seed.\n\n"
                            "Example: lstm data make queries --out data/queries --seed 0",
                       no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("list")
def list_cli() -> None:
    """List the built-in datasets.

    Example: lstm data list
    """
    from lstm_cli.data.generators import BUILTIN_DATASETS

    for name, spec in BUILTIN_DATASETS.items():
        typer.echo(f"{name:16} {spec.format:6} {spec.default_size:6}  {spec.description}")


@data_app.command("make")
def make_cli(name: str = typer.Argument(..., help="Dataset name (see `lstm data list`)."),
             out: Path = typer.Option(..., "--out", "-o", help="Directory to write into."),
             seed: int = typer.Option(0, "--seed", help="Generator seed."),
             size: int = typer.Option(None, "--size", min=1, help="Number of sequences.")
             ) -> None:
    """Generate a built-in dataset as train/dev/test files.

    Example: lstm data make embedded-reber --out data/reber --seed 1 --size 2000
    """
    from lstm_cli.data.generators import make

    for path in make(name, out, seed=seed, size=size):
        typer.echo(str(path))
