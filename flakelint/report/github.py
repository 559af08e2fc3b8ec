"""``github``: GitHub Actions workflow commands, one annotation per finding.

Escaping follows the runner's rules: in the message ``%``, CR and LF are
percent-encoded; in properties also ``:`` and ``,``. Repository text is
cleaned of control characters first, so no finding can start a line of its
own and smuggle in another workflow command.
"""

from __future__ import annotations

from flakelint.diagnostic import Severity
from flakelint.escape import clean

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return clean(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


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
