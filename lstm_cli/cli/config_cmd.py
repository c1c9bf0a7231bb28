"""`lstm config show|validate|schema`: inspect experiment files."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from lstm_cli.cli.common import SET_OPTION
from lstm_cli.cli.main import app

config_app = typer.Typer(help="Show, validate or describe experiment configs.\n\n"
                              "Example: lstm config show configs/quickstart.yaml "
                              "--set model.cell=gru", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("show")
def show_cli(config_path: Path = typer.Argument(..., metavar="CONFIG"),
             overrides: list[str] = SET_OPTION) -> None:
    """Print the fully resolved config (defaults filled in, overrides applied).

    Example: lstm config show configs/quickstart.yaml --set train.epochs=3
    """
    from lstm_cli.config import load_config

    typer.echo(load_config(config_path, overrides or []).to_yaml(), nl=False)


@config_app.command("validate")
def validate_cli(config_path: Path = typer.Argument(..., metavar="CONFIG"),
                 overrides: list[str] = SET_OPTION) -> None:
    """Check a config; exit 0 when valid, 2 with the first problem otherwise.

    Example: lstm config validate configs/seed-news.yaml
    """
    from lstm_cli.config import load_config

    load_config(config_path, overrides or [])
    typer.echo(f"{config_path}: ok")


@config_app.command("schema")
def schema_cli() -> None:
    """Print the JSON Schema of config files (for editor validation).

    Example: lstm config schema > lstm-config.schema.json
    """
    from lstm_cli.config import Config

    typer.echo(json.dumps(Config.model_json_schema(), indent=2))
