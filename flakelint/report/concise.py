"""``concise``: one line per finding, ``path:line:col: CODE message``."""

from flakelint.escape import clean, clean_path
from flakelint.report import pluralize


def render(diagnostics, context) -> str:
    lines = [
        f"{clean_path(d.path)}:{d.start.line}:{d.start.column}: {d.code} {clean(d.message)}" for d in diagnostics
    ]
    if diagnostics:
        lines.append(f"Found {pluralize(len(diagnostics), 'finding')}.")
    return "\n".join(lines) + ("\n" if lines else "")
