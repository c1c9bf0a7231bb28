"""Imports run one way: each module of lstm_cli imports only from its own layer or below.

Every `import` and `from … import` is read with `ast`, the ones inside functions and
`if TYPE_CHECKING:` blocks too, and so are the registries that `config.one_of` and
`config.registry` name as `"module:NAME"` strings. Within a layer imports are free.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "lstm_cli"

LAYERS: tuple[tuple[str, ...], ...] = (
    # foundations: errors, atomic files, checkpoint files, the metric names
    ("lstm_cli.errors", "lstm_cli.fsutil", "lstm_cli.checkpoint", "lstm_cli.metric_registry"),
    ("lstm_cli.engine",),                     # pure NumPy maths
    ("lstm_cli.config",),                     # the schema (reads engine's registries)
    ("lstm_cli.data", "lstm_cli.text"),       # readers, vocabularies, batches; char labelling
    ("lstm_cli.model",),                      # a trained model: config + vocabs + engine
    ("lstm_cli.eval", "lstm_cli.plots"),      # metrics, scoring, reports
    ("lstm_cli.inference",),                  # predict and evaluate with a model
    ("lstm_cli.train",),                      # the loop, optimisers, schedules
    ("lstm_cli.api", "lstm_cli.text.trained", "lstm_cli.eval.raw_text", "lstm_cli.classic",
     "lstm_cli.sweep", "lstm_cli.recipes", "lstm_cli.bench"),  # applications of the above
    ("lstm_cli.cli", "lstm_cli.__main__", "lstm_cli"),  # commands; `lstm_cli.load`
)
"""Lowest first. A module belongs to the layer of its longest listed prefix."""

ALLOWED_UPWARD = {
    ("lstm_cli.config", "lstm_cli.data.dataset"),
    ("lstm_cli.config", "lstm_cli.train.optim"),
    ("lstm_cli.config", "lstm_cli.train.schedule"),
}
"""Registries the schema reads by name when a config is validated (`config.one_of`), so that a
format, optimiser or schedule name is written once, beside its implementation. They are looked
up at validation time, never while a module loads, so they make no import cycle."""

_REGISTRY = re.compile(r"(lstm_cli(?:\.\w+)*):\w+$")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    matches = [(len(prefix), index) for index, layer in enumerate(LAYERS) for prefix in layer
               if module == prefix or module.startswith(prefix + ".")]
    if not matches:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS")
    return max(matches)[1]


def is_module(name: str) -> bool:
    where = PACKAGE.parent / name.replace(".", "/")
    return where.with_suffix(".py").is_file() or where.is_dir()


def imports_of(path: Path, module: str) -> set[str]:
    """The lstm_cli modules `path` imports (for `from pkg import name`, `pkg.name` when that is
    a module, else `pkg`)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if is_module(submodule) else base)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = _REGISTRY.match(node.value)
            if match:
                found.add(match.group(1))
    return {name for name in found if name == "lstm_cli" or name.startswith("lstm_cli.")}


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[module_name(path) for path in MODULES])
def test_imports_run_down_the_layers(path: Path) -> None:
    module = module_name(path)
    own = layer_of(module)
    upward = sorted(target for target in imports_of(path, module)
                    if layer_of(target) > own and (module, target) not in ALLOWED_UPWARD)
    assert not upward, f"{module} (layer {own}) imports from above it: {upward}"


def test_allowed_upward_imports_are_still_needed() -> None:
    used = {(module_name(path), target) for path in MODULES
            for target in imports_of(path, module_name(path))}
    assert ALLOWED_UPWARD <= used


def test_imports_inside_functions_count():
    predict = PACKAGE / "cli" / "predict.py"
    assert {"lstm_cli.api", "lstm_cli.data.prepare"} <= imports_of(predict, module_name(predict))
