"""`python -m lstm_cli` runs the `lstm` command."""

from lstm_cli.cli.main import run

run()
