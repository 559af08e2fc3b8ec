"""``concise``: one line per finding, ``path:line:col: CODE message``, then a summary line.

The summary is ``Found N findings.``, or ``All checks passed (N files
analysed).`` when there is nothing to report.
"""

from flakelint.escape import clean, clean_path
from flakelint.report import pluralize


def render(diagnostics, context) -> str:
    lines = [
        f"{clean_path(d.path)}:{d.start.line}:{d.start.column}: {d.code} {clean(d.message)}" for d in diagnostics
    ]
    if diagnostics:
        lines.append(f"Found {pluralize(len(diagnostics), 'finding')}.")
    else:
        lines.append(f"All checks passed ({pluralize(context.files_analysed, 'file')} analysed).")
    return "\n".join(lines) + "\n"
