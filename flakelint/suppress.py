"""Suppression comments: ``# flakelint: ignore[FL501]`` and ``ignore-file[...]``.

``ignore[...]`` covers its own line and, when the comment stands alone on its
line, the line below it. ``ignore-file[...]`` must be in the file's leading
comments (before any code). Several codes are comma-separated, rule names work
as well as codes, and text after ``--`` is the reason, kept for the reader.
Comments are found with a tree-sitter query, so text inside strings never
counts as a suppression.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from flakelint.diagnostic import Diagnostic, Position
from flakelint.registry import rule_by_code_or_name

_DIRECTIVE = re.compile(r"flakelint:\s*(ignore-file|ignore)\s*\[([^\]]*)\]")


@dataclass
class SuppressedCode:
    text: str  # as written
    code: str | None  # resolved code, None when unknown
    position: Position
    used: bool = False


@dataclass
class Suppression:
    file_level: bool
    lines: frozenset[int]
    codes: list[SuppressedCode] = field(default_factory=list)


@lru_cache(maxsize=1)
def _comment_query():
    import tree_sitter

    from flakelint.parse import nix_language

    return tree_sitter.Query(nix_language(), "(comment) @comment")


def find_suppressions(source) -> list[Suppression]:
    """Every suppression directive in a parsed file."""
    if b"flakelint:" not in source.data:
        return []
    from tree_sitter import QueryCursor

    comments = QueryCursor(_comment_query()).captures(source.root_node).get("comment", [])
    comments.sort(key=lambda node: node.start_byte)
    first_code = _first_code_offset(source.root_node)
    found = []
    for node in comments:
        text = source.text(node)
        for match in _DIRECTIVE.finditer(text):
            kind, body = match.group(1), match.group(2)
            file_level = kind == "ignore-file"
            if file_level and node.start_byte > first_code:
                continue  # only honoured in the leading comment block
            start = source.node_start(node)
            alone = source.line_text(start.line)[: start.column - 1].strip() == ""
            lines = {start.line}
            end_line = source.node_end(node).line
            if alone:
                lines.add(end_line + 1)
            suppression = Suppression(file_level=file_level, lines=frozenset(lines))
            body_offset = node.start_byte + len(text[: match.start(2)].encode())
            for item in re.finditer(r"[^,\s]+", body):
                written = item.group(0)
                rule = rule_by_code_or_name(written)
                offset = body_offset + len(body[: item.start()].encode())
                suppression.codes.append(
                    SuppressedCode(written, rule.code if rule else None, source.position(offset))
                )
            found.append(suppression)
    return found


def _first_code_offset(root) -> int:
    for child in root.children:
        if child.type != "comment":
            return child.start_byte
    return root.end_byte


def apply_suppressions(diagnostics: list[Diagnostic], suppressions: list[Suppression]) -> list[Diagnostic]:
    """Drop the diagnostics a suppression covers, marking the suppressions used."""
    if not suppressions:
        return diagnostics
    kept = []
    for diagnostic in diagnostics:
        covered = False
        for suppression in suppressions:
            if not suppression.file_level and diagnostic.start.line not in suppression.lines:
                continue
            for entry in suppression.codes:
                if entry.code == diagnostic.code:
                    entry.used = True
                    covered = True
        if not covered:
            kept.append(diagnostic)
    return kept


def unused_suppressions(path: str, suppressions: list[Suppression], enabled: frozenset[str]) -> list[Diagnostic]:
    """FL003 for unknown codes and for enabled codes that silenced nothing."""
    found = []
    for suppression in suppressions:
        kind = "ignore-file" if suppression.file_level else "ignore"
        for entry in suppression.codes:
            if entry.code is None:
                message = f"suppression names an unknown rule code `{entry.text}`"
            elif entry.used or entry.code not in enabled:
                continue
            else:
                message = f"`{kind}[{entry.text}]` suppresses nothing: no {entry.code} finding here"
            found.append(
                Diagnostic(
                    code="FL003",
                    message=message,
                    path=path,
                    start=entry.position,
                    end=Position(entry.position.line, entry.position.column + len(entry.text)),
                    hint="remove it (or fix the code)",
                )
            )
    return found
