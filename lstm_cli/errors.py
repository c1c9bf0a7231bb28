"""Errors the user can fix: rendered by the CLI as one message and exit status 2.

Anything else that escapes is an internal error (exit status 1).
"""

from __future__ import annotations

from pathlib import Path


class LstmError(Exception):
    """Bad input from the user (config, data, checkpoint, command line)."""

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None,
                 hint: str | None = None) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        """`file:line: message (hint)` — the one line the CLI prints."""
        where = ""
        if self.path is not None:
            where = self.path if self.line is None else f"{self.path}:{self.line}"
            where += ": "
        text = where + self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class ConfigError(LstmError):
    """A config file, config key or `--set` override is invalid."""


class DataError(LstmError):
    """A data or vector file is missing, unreadable or malformed."""


class CheckpointError(LstmError):
    """A checkpoint is missing, corrupt or from an unknown format version."""
