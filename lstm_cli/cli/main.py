"""The `lstm` command: one typer app, one module per command, errors rendered in one place.

Exit status: 0 done; 1 internal error; 2 bad usage, config, data or checkpoint (one message, no
traceback unless --debug); 3 training diverged; 130 interrupted (SIGINT/SIGTERM).
"""

from __future__ import annotations

import sys
import traceback

import typer

from lstm_cli.errors import LstmError

EXIT_INTERNAL, EXIT_USAGE, EXIT_DIVERGED, EXIT_INTERRUPTED = 1, 2, 3, 130

app = typer.Typer(
    name="lstm",
    help="Train, evaluate and run sequence labellers with a NumPy LSTM engine.\n\n"
         "Example: lstm train configs/quickstart.yaml --set model.hidden_size=64",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]})

DEBUG = {"enabled": False}


def fail(message: str, code: int = EXIT_USAGE) -> None:
    """Print `error: message` on stderr and exit with `code`."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def register_commands() -> None:
    from lstm_cli.cli import (  # noqa: F401  (each module adds its commands to `app`)
        bench,
        config_cmd,
        data_cmd,
        eval_cmd,
        export,
        gradcheck,
        predict,
        train,
    )


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors.")
          ) -> None:
    if debug:
        DEBUG["enabled"] = True


def main(argv: list[str] | None = None) -> int:
    """Console entry point; `--debug` may appear anywhere on the command line."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--debug" in argv:
        DEBUG["enabled"] = True
        argv = [arg for arg in argv if arg != "--debug"]
    register_commands()
    from lstm_cli.train.loop import TrainingDiverged
    try:
        app(args=argv, prog_name="lstm", standalone_mode=False)
    except typer.Exit as done:
        return done.exit_code
    except TrainingDiverged as error:
        _report(error)
        return EXIT_DIVERGED
    except LstmError as error:
        _report(error)
        return EXIT_USAGE
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except _click_errors() as error:
        error.show()
        return EXIT_USAGE
    except Exception:                                   # noqa: BLE001 (the last resort)
        typer.echo("internal error (a bug in lstm):", err=True)
        if DEBUG["enabled"]:
            traceback.print_exc()
        else:
            typer.echo(f"  {sys.exc_info()[1]!r}\n  rerun with --debug for the traceback",
                       err=True)
        return EXIT_INTERNAL
    return 0


def _click_errors():
    import click
    return (click.UsageError, click.BadParameter, click.FileError)


def _report(error: LstmError) -> None:
    if DEBUG["enabled"]:
        traceback.print_exc()
    typer.echo(f"error: {error.render()}", err=True)


def run() -> None:
    sys.exit(main())
