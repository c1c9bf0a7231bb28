"""The `lstm` command: one typer app, one module per command, errors rendered in one place.

Exit status: 0 done; 1 internal error; 2 bad usage, config, data or checkpoint, or a file that
cannot be read or written (one message, no traceback unless --debug); 3 training diverged; 130
interrupted (SIGINT/SIGTERM).
"""

from __future__ import annotations

import errno
import sys
import traceback

import typer

from lstm_cli.errors import LstmError

EXIT_INTERNAL, EXIT_USAGE, EXIT_DIVERGED, EXIT_INTERRUPTED = 1, 2, 3, 130
# OSErrors that say something about the machine, not about lstm, even without a file name.
ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}

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
        baseline,
        bench,
        classic,
        config_cmd,
        data_cmd,
        eval_cmd,
        export,
        gradcheck,
        init_cmd,
        predict,
        report,
        sweep,
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
    DEBUG["enabled"] = "--debug" in argv
    argv = [arg for arg in argv if arg != "--debug"]
    register_commands()
    from lstm_cli.train.loop import TrainingDiverged
    try:
        # Outside standalone mode click returns the code of a `typer.Exit` raised by a command
        # (and typer turns Ctrl-C into Exit(130)) rather than raising it.
        code = app(args=argv, prog_name="lstm", standalone_mode=False)
    except typer.Exit as done:
        return done.exit_code
    except TrainingDiverged as error:
        _report(error)
        return EXIT_DIVERGED
    except LstmError as error:
        _report(error)
        return EXIT_USAGE
    except (KeyboardInterrupt, typer.Abort):            # older click turns Ctrl-C into Abort
        typer.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except _click_errors() as error:
        error.show()
        return EXIT_USAGE
    except OSError as error:                            # a file the user named, or a full disk
        if error.filename is None and error.errno not in ENVIRONMENT_ERRNOS:
            return _internal_error()
        if DEBUG["enabled"]:
            traceback.print_exc()
        where = "" if error.filename is None else f"{error.filename}: "
        typer.echo(f"error: {where}{error.strerror or error}", err=True)
        return EXIT_USAGE
    except Exception:                                   # noqa: BLE001 (the last resort)
        return _internal_error()
    return code if isinstance(code, int) else 0


def _internal_error() -> int:
    typer.echo("internal error (a bug in lstm):", err=True)
    if DEBUG["enabled"]:
        traceback.print_exc()
    else:
        typer.echo(f"  {sys.exc_info()[1]!r}\n  rerun with --debug for the traceback", err=True)
    return EXIT_INTERNAL


def _click_errors() -> tuple[type[Exception], ...]:
    """Command-line usage errors: click's, or those of the copy of click that recent typer
    releases vendor (`typer._click`, and click itself is then not installed)."""
    import importlib
    exceptions = importlib.import_module(typer.BadParameter.__module__)
    return exceptions.UsageError, exceptions.FileError


def _report(error: LstmError) -> None:
    if DEBUG["enabled"]:
        traceback.print_exc()
    typer.echo(f"error: {error.render()}", err=True)


def run() -> None:
    sys.exit(main())
