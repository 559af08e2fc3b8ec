"""``github``: GitHub Actions workflow commands, one annotation per finding.

Escaping follows the runner's rules: in the message ``%``, CR and LF are
percent-encoded (``%25``, ``%0D``, ``%0A``); in properties also ``:`` and
``,`` (``%3A``, ``%2C``). Every other control character (and bidi override)
is turned into a visible escape first, so no finding can start a line of
its own and smuggle in another workflow command, and nothing raw reaches the
log.
"""

from __future__ import annotations

import re

from flakelint.diagnostic import Severity
from flakelint.escape import clean

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
_LINE_BREAK = re.compile(r"(\r|\n)")
_PERCENT = {"\r": "%0D", "\n": "%0A"}


def escape_data(text: str) -> str:
    """Workflow-command escaping of a message."""
    return "".join(
        _PERCENT[piece] if piece in _PERCENT else clean(piece).replace("%", "%25")
        for piece in _LINE_BREAK.split(text)
    )


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(diagnostics, context) -> str:
    lines = []
    for d in diagnostics:
        end = d.end or d.start
        properties = [
            f"file={escape_property(d.path)}",
            f"line={d.start.line}",
            f"col={d.start.column}",
            f"endLine={end.line}",
            f"endColumn={end.column}",
            f"title={escape_property(f'{d.code} {d.name}')}",
        ]
        message = d.message + (f" (hint: {d.hint})" if d.hint else "")
        lines.append(f"::{_COMMAND[d.severity]} {','.join(properties)}::{escape_data(message)}")
    return "\n".join(lines) + ("\n" if lines else "")
