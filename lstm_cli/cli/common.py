"""Helpers shared by the command modules."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:                    # imported where used: a command's --help needs no console
    from rich.console import Console

SET_OPTION = typer.Option(None, "--set", "-s", metavar="KEY=VALUE",
                          help="Override a config key (dotted, repeatable), e.g. "
                               "--set model.hidden_size=256")


def stderr_console() -> Console:
    from rich.console import Console
    return Console(file=sys.stderr, soft_wrap=True)


def stdout_console() -> Console:
    from rich.console import Console
    return Console(file=sys.stdout, soft_wrap=True)


def print_json(data: Any) -> None:
    """Machine-readable output on stdout: one JSON document."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
