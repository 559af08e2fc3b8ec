"""``json``: a stable, documented list of findings (schema in docs/output-formats.md)."""

from __future__ import annotations

import json

from flakelint.escape import json_safe

from flakelint import HOMEPAGE

SCHEMA_VERSION = 1


def finding(d) -> dict:
    return {
        "code": d.code,
        "name": d.name,
        "severity": d.severity.label,
        "message": d.message,
        "path": d.path,
        "start": {"line": d.start.line, "column": d.start.column},
        "end": {"line": d.end.line, "column": d.end.column} if d.end else None,
        "hint": d.hint,
        "url": rule_url(d.code, d.name),
    }


def rule_url(code: str, name: str) -> str:
    return f"{HOMEPAGE}/blob/main/docs/rules/{code}-{name}.md"


def render(diagnostics, context) -> str:
    # ensure_ascii keeps the output pure ASCII: no raw control or bidi
    # character from a repository can reach a terminal through it.
    return json_safe(json.dumps([finding(d) for d in diagnostics], indent=2, ensure_ascii=True)) + "\n"
