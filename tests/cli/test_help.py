"""Every command's `--help` (through typer's CliRunner) states its purpose and a worked example;
usage mistakes exit 2."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from lstm_cli.cli.main import app, register_commands

register_commands()


def _command_paths(command, path: list[str]) -> list[list[str]]:
    """Every command and sub-command of the app, as argument lists (`[]` is `lstm` itself)."""
    paths = [path]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        paths += _command_paths(sub, [*path, name])
    return paths


COMMANDS = _command_paths(typer.main.get_command(app), [])


def test_the_commands_of_the_issue_are_registered():
    names = {" ".join(path) for path in COMMANDS}
    assert {"train", "eval", "predict", "data list", "data make", "config show",
            "config validate", "config schema", "gradcheck", "export"} <= names


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "lstm")
def test_help_shows_an_example(command):
    result = CliRunner().invoke(app, [*command, "--help"], prog_name="lstm")
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output
    example = result.output.split("Example:", 1)[1].split()
    assert example[0] in ("lstm", "echo")


@pytest.mark.parametrize("argv, message", [
    (["nosuchcommand"], "No such command"),
    (["train"], "Missing argument"),
    (["eval", "run", "--nosuchoption"], "No such option"),
])
def test_usage_errors_exit_2(cli, argv, message):
    result = cli(*argv)
    assert result.code == 2
    assert message in result.err and "Traceback" not in result.output


def test_lstm_help_drawn_from_the_command_table_equals_the_full_apps():
    """`lstm --help` imports no command module (main.COMMANDS stands in): same text as the
    app with every command module imported in order (a fresh interpreter: the order in which
    this test process happened to import them would change the listing)."""
    import subprocess
    import sys
    code = ("import sys; from typer.testing import CliRunner; "
            "from lstm_cli.cli.main import app, register_commands, summary_app\n"
            "stubs = summary_app(); register_commands()\n"
            "for width in (60, 80, 120):\n"
            "    runs = [CliRunner().invoke(a, ['--help'], prog_name='lstm', terminal_width=width,"
            " env={'COLUMNS': str(width)}) for a in (stubs, app)]\n"
            "    assert runs[0].exit_code == runs[1].exit_code == 0\n"
            "    assert runs[0].output == runs[1].output, (width, runs[0].output, runs[1].output)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    from lstm_cli.cli.main import COMMANDS
    assert set(COMMANDS) == set(typer.main.get_command(app).commands)


@pytest.mark.parametrize("command", [path for path in COMMANDS if path],
                         ids=lambda c: " ".join(c))
def test_a_commands_help_imports_only_its_own_module(command):
    """`lstm COMMAND --help` and `lstm GROUP SUB --help` import the command's module and nothing
    heavy it does not need: no other command's module, no numpy, and not pydantic either (the
    command modules import the config, the engine and the data readers where they run;
    main.CONTEXT_SETTINGS keeps typer >= 0.29 from importing pydantic to coerce an unset help
    flag of `lstm` or of a group)."""
    import subprocess
    import sys

    from lstm_cli.cli.main import COMMANDS as MODULES
    own_module = f"lstm_cli.cli.{MODULES[command[0]][0]}"
    not_imported = ["numpy", "pydantic", *(f"lstm_cli.cli.{module}" for name, (module, _) in
                                           MODULES.items() if name != command[0])]
    code = (f"import sys; from lstm_cli.cli.main import main; main({[*command, '--help']!r}); "
            "print(' '.join(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    loaded = done.stdout.strip().splitlines()[-1].split()
    assert own_module in loaded
    assert not [module for module in loaded
                if any(module == name or module.startswith(f"{name}.") for name in not_imported)]


def test_the_names_help_lists_are_those_of_the_modules_it_does_not_import():
    """`classic --help` and `report --help` name the tasks, cells and formats without importing
    the modules that define them; the names must be the same, in the same order."""
    from lstm_cli.classic.runner import CELLS
    from lstm_cli.classic.tasks import TASKS
    from lstm_cli.cli.classic import CELL_NAMES, TASK_NAMES
    from lstm_cli.cli.report import Format
    from lstm_cli.sweep.results import FORMATS

    assert TASK_NAMES == tuple(TASKS)
    assert CELL_NAMES == tuple(CELLS)
    assert tuple(fmt.value for fmt in Format) == FORMATS
