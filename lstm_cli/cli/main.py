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

DEBUG = {"enabled": False}


def fail(message: str, code: int = EXIT_USAGE) -> None:
    """Print `error: message` on stderr and exit with `code`."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


#: Each command's module and the one-line summary `lstm --help` lists (the first paragraph of
#: the command's docstring, or its group's help), in the order the commands are registered.
#: `lstm --help` is drawn from this table so that it imports no command module;
#: tests/cli/test_help.py checks the table against the modules.
COMMANDS: dict[str, tuple[str, str]] = {
    "baseline": ("baseline", "Score the most-frequent-tag baseline on the config's dev and test "
                             "data."),
    "bench": ("bench", "Time the engine: tokens/s for training and inference, against the GEMM "
                       "floor."),
    "classic": ("classic", "Train the LSTM papers' long-time-lag tasks with each cell, judged by "
                           "the papers' criteria."),
    "config": ("config_cmd", "Show, validate or describe experiment configs."),
    "data": ("data_cmd", "Built-in datasets generated from a seed."),
    "eval": ("eval_cmd", "Evaluate a checkpoint: token accuracy, per-label P/R/F1, entity F1, "
                         "confusion matrix."),
    "export": ("export", "Export weights in PyTorch's state_dict layout and gate order."),
    "gradcheck": ("gradcheck", "Check the config's model gradients against finite differences "
                               "(float64, tiny sizes)."),
    "init": ("init_cmd", "Inspect labelled data and write a complete, commented config for "
                         "it."),
    "predict": ("predict", "Label new sequences with a trained model."),
    "report": ("report", "One row per run: the config keys that differ, best epoch, dev and test "
                         "scores, wall\ntime and tokens/s; points run with several seeds get "
                         "mean ± std."),
    "sweep": ("sweep", "Run every point of a sweep file; finished runs are skipped, unfinished "
                       "ones resumed."),
    "train": ("train", "Train a model from a YAML config."),
}
GROUPS = {"config", "data"}              # sub-command groups (typer lists them after commands)

#: `-h` as well as `--help` everywhere (a context inherits its parent's help option names).
#: `default_map` (click's per-parameter defaults) gives the help flag of `lstm` and of each group
#: the value False when it is not given, as click does: typer >= 0.29 leaves it None and coerces
#: that through pydantic (80 ms of imports) on the way to `lstm COMMAND --help`.
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"],
                    "default_map": {"help": False, **{group: {"help": False} for group in GROUPS}}}

app = typer.Typer(
    name="lstm",
    help="Train, evaluate and run sequence labellers with a NumPy LSTM engine.\n\n"
         "Example: lstm train configs/quickstart.yaml --set model.hidden_size=64",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    context_settings=CONTEXT_SETTINGS)


def register_commands(names: list[str] | None = None) -> None:
    """Import the modules of the commands `names` (all by default): each adds its commands to
    `app`. A command's heavy imports (numpy, pydantic, the engine) come with its module."""
    import importlib
    for name in COMMANDS if names is None else names:
        importlib.import_module(f"lstm_cli.cli.{COMMANDS[name][0]}")


def summary_app() -> typer.Typer:
    """An app with `app`'s options and, for each command, a stub carrying its summary: what
    `lstm` and `lstm --help` print, without importing any command module."""
    stubs = typer.Typer(name=app.info.name, help=app.info.help, no_args_is_help=True,
                        add_completion=False, pretty_exceptions_enable=False,
                        context_settings=CONTEXT_SETTINGS)
    stubs.callback()(_root)
    for name, (_, summary) in COMMANDS.items():
        if name in GROUPS:
            stubs.add_typer(typer.Typer(help=summary), name=name)
        else:
            stubs.command(name, help=summary)(_stub)
    return stubs


def _stub() -> None:
    """Never run: `main` runs a command from its own module."""


def _command_name(argv: list[str]) -> str | None:
    """The command `argv` names (its first argument that is not an option), or None."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


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
    name = _command_name(argv)
    command_app = app
    if name is None:
        command_app = summary_app()
    else:
        register_commands([name] if name in COMMANDS else None)
    try:
        # Outside standalone mode click returns the code of a `typer.Exit` raised by a command
        # (and typer turns Ctrl-C into Exit(130)) rather than raising it.
        code = command_app(args=argv, prog_name="lstm", standalone_mode=False)
    except typer.Exit as done:
        return done.exit_code
    except LstmError as error:
        _report(error)
        return EXIT_DIVERGED if _diverged(error) else EXIT_USAGE
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


def _diverged(error: LstmError) -> bool:
    """Whether `error` is training's divergence (exit 3); training is imported only here, on
    the error path, so that other commands do not pay for it."""
    from lstm_cli.train.divergence import TrainingDiverged
    return isinstance(error, TrainingDiverged)


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
