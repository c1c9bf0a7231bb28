"""Shipped configs that say they were written by `lstm init` are exactly what it writes today.

Such a config records the command in its header (`# Command: lstm init ...`); it may start with
a few hand-written comment lines, and everything from the recipe's first line on must equal the
recipe's output byte for byte, so "our best recipe" has one source: `lstm_cli/recipes.py`.
Skipped where the shared data the command reads is absent.
"""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lstm_cli.cli.main import app, register_commands
from lstm_cli.recipes import command_of

REPO = Path(__file__).parents[1]
RECIPE_START = "# Written by `lstm init`"
CONFIGS = sorted(path for path in (REPO / "configs").rglob("*.yaml")
                 if RECIPE_START in path.read_text(encoding="utf-8"))


def test_the_ewt_and_news_configs_are_recipes():
    assert {REPO / "configs" / "ud-en-ewt-upos.yaml", REPO / "configs" / "seed-news.yaml"} \
        <= set(CONFIGS)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda path: path.name)
def test_shipped_recipe_is_what_lstm_init_writes(path, tmp_path, monkeypatch):
    text = path.read_text(encoding="utf-8")
    arguments = command_of(text)
    assert arguments, f"{path.name}: no '# Command: lstm init ...' line in its header"
    files = [arguments[index + 1] for index, word in enumerate(arguments)
             if word in ("--train", "--dev", "--test", "--vectors")]
    monkeypatch.chdir(REPO)
    if not all(Path(file).exists() for file in files):
        pytest.skip(f"the data {path.name} was written from is absent")
    out = tmp_path / "recipe.yaml"
    register_commands()
    result = CliRunner().invoke(app, ["init", *arguments, "--out", str(out)])
    assert result.exit_code == 0, result.output
    recipe = out.read_text(encoding="utf-8")
    shipped = text[text.index(RECIPE_START):]
    assert shipped == recipe, (f"{path.name} is not what `lstm init` writes now; regenerate it "
                               f"with: {' '.join(['lstm', 'init', *arguments])} --out {path} "
                               "--force (and keep its hand-written preface)")


def test_command_of_reads_a_wrapped_command_back():
    text = ("# preface\n# Written by `lstm init` from the data it read.\n"
            "# Command: lstm init --train a/train.conll --dev\n#   'b c/dev.conll' --seed 3\n"
            "# Found:\n#   format: conll\n")
    assert command_of(text) == ["--train", "a/train.conll", "--dev", "b c/dev.conll",
                                "--seed", "3"]
    assert command_of("# a config written by hand\nseed: 0\n") is None
