"""``full``: rustc/ruff style, with the source line, a caret under the span and a hint.

Colour only when the CLI says so (a TTY, and ``NO_COLOR`` unset). The source
line comes with the finding (the engine attaches it while the file is in
memory); text a rule marked for redaction, such as a secret, is masked.
"""

from __future__ import annotations

from flakelint.diagnostic import Severity
from flakelint.escape import clean, clean_path
from flakelint.report import summary_line

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_COLORS = {Severity.ERROR: "\x1b[1;31m", Severity.WARNING: "\x1b[1;33m", Severity.INFO: "\x1b[1;34m"}
_CYAN = "\x1b[36m"


def render(diagnostics, context) -> str:
    paint = _painter(context.color)
    out: list[str] = []
    if context.properties.get("header"):
        out.extend(clean(line) for line in context.properties["header"].split("\n"))
        out.append("")
    for d in diagnostics:
        location = f"{clean_path(d.path)}:{d.start.line}:{d.start.column}:"
        title = f"{paint(_BOLD, location)} {paint(_COLORS[d.severity], d.code)} [{d.name}] {clean(d.message)}"
        out.append(title)
        out.extend(_snippet(d, paint))
        if d.hint:
            out.append(f"  {paint(_CYAN, '= hint:')} {clean(d.hint)}")
        out.append("")
    out.append(summary_line(diagnostics, context))
    return "\n".join(out) + "\n"


def _painter(enabled: bool):
    def paint(style: str, text: str) -> str:
        return f"{style}{text}{_RESET}" if enabled else text

    return paint


def _snippet(d, paint) -> list[str]:
    if d.snippet is None:
        return []
    raw = d.snippet
    for start_col, end_col in d.redact:
        raw = raw[: start_col - 1] + "*" * max(0, end_col - start_col) + raw[end_col - 1 :]
    prefix = raw[: d.start.column - 1]
    if d.end and d.end.line == d.start.line:
        width = max(1, d.end.column - d.start.column)
    else:
        width = max(1, len(raw) - (d.start.column - 1))
    marked = raw[d.start.column - 1 : d.start.column - 1 + width]
    shown_line = clean(raw.expandtabs(4))
    caret_offset = len(clean(prefix.expandtabs(4)))
    caret_width = max(1, len(clean(marked)))
    gutter = str(d.start.line)
    pad = " " * len(gutter)
    return [
        paint(_DIM, f"{pad} |"),
        f"{paint(_DIM, f'{gutter} |')} {shown_line}",
        f"{paint(_DIM, f'{pad} |')} {' ' * caret_offset}{paint(_COLORS[d.severity], '^' * caret_width)}",
    ]
