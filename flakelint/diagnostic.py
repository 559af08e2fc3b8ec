"""The one shape every finding takes, from every rule, on its way to every report."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(enum.IntEnum):
    """Default severity of a rule. Info rules are off unless selected."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> "Severity":
        aliases = {"e": cls.ERROR, "w": cls.WARNING, "i": cls.INFO}
        key = text.strip().lower()
        if key in aliases:
            return aliases[key]
        return cls[key.upper()]


@dataclass(frozen=True, order=True)
class Position:
    """1-based line and 1-based column counted in Unicode code points."""

    line: int
    column: int


@dataclass(frozen=True)
class Diagnostic:
    """One finding.

    ``path`` is the file's path relative to the flake root it was found in,
    with forward slashes; ``root`` is that root. Reports turn the pair into
    whatever their format wants (relative to the working directory, a SARIF
    URI) so that no rule has to care.
    """

    code: str
    message: str
    path: str
    start: Position = Position(1, 1)
    end: Position | None = None
    hint: str | None = None
    root: str = ""
    # Filled in by the engine from the registry, so rules need not repeat it.
    name: str = ""
    severity: Severity = Severity.WARNING
    # A severity the rule chose for this finding (e.g. a password hash is a
    # warning where a clear-text password is an error); None: the rule's default.
    level: Severity | None = field(default=None, compare=False)
    # The text of the start line, attached by the engine for the `full` report
    # (no report ever re-reads a file).
    snippet: str | None = field(default=None, compare=False)
    # Column ranges (1-based, end exclusive) of the snippet to mask, e.g. a
    # secret; reports never show that text.
    redact: tuple[tuple[int, int], ...] = field(default=(), compare=False)

    @property
    def sort_key(self) -> tuple:
        return (self.path, self.start.line, self.start.column, self.code, self.message)
