"""lstm: a command-line sequence-labelling trainer with its own NumPy LSTM engine.

`from lstm_cli import load` gives the Python API (`lstm_cli.api`), imported on first use so
that `import lstm_cli` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from lstm_cli.api import load


def __getattr__(name: str):
    if name == "load":
        from lstm_cli.api import load

        return load
    raise AttributeError(f"module 'lstm_cli' has no attribute {name!r}")


__all__ = ["__version__", "load"]
