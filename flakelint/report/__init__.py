"""Report formats. Each module renders a list of findings to text; the CLI picks one.

Formats are imported only when used, so that a plain run does not pay for
``sarif_om`` or ``json``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

FORMATS = ("full", "concise", "json", "github", "sarif")


@dataclass
class ReportContext:
    """What a format may want besides the findings."""

    files_analysed: int = 0
    flakes: int = 0
    color: bool = False
    properties: dict = field(default_factory=dict)


def preload(format_name: str | None) -> None:
    """Import a format's module ahead of rendering, and let it prepare what every report needs.

    The engine calls this while it waits anyway (for its workers).
    """
    if format_name in FORMATS:
        module = importlib.import_module(f"flakelint.report.{format_name}")
        prepare = getattr(module, "prepare", None)
        if prepare is not None:
            prepare()


def render(format_name: str, diagnostics, context: ReportContext) -> str:
    if format_name not in FORMATS:
        raise ValueError(f"unknown output format {format_name!r}")
    module = importlib.import_module(f"flakelint.report.{format_name}")
    return module.render(diagnostics, context)


def pluralize(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def summary_line(diagnostics, context: ReportContext) -> str:
    from flakelint.diagnostic import Severity

    files = pluralize(context.files_analysed, "file")
    if not diagnostics:
        return f"All checks passed ({files} analysed)."
    counts = {severity: 0 for severity in Severity}
    for diagnostic in diagnostics:
        counts[diagnostic.severity] += 1
    parts = [pluralize(counts[s], s.label) for s in (Severity.ERROR, Severity.WARNING, Severity.INFO) if counts[s]]
    return f"Found {pluralize(len(diagnostics), 'finding')} ({', '.join(parts)}) in {files}."
