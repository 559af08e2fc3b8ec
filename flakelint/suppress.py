"""Suppression comments: ``# flakelint: ignore[FL501]`` and ``ignore-file[...]``.

``ignore[...]`` covers its own line and, when the comment stands alone on its
line, the line below it. ``ignore-file[...]`` must be in the file's leading
comments (before any code). Several codes are comma-separated, rule names work
as well as codes, and text after ``--`` is the reason, kept for the reader.
Comments are found with a tree-sitter query, so text inside strings never
counts as a suppression.

FL003 reports what suppresses nothing: an unknown code, a code of an enabled
rule that silenced no finding, a directive with no code in brackets, and an
``ignore-file`` after the leading comments (which is not honoured). FL003
findings can themselves be silenced with ``ignore[FL003]`` or
``ignore-file[FL003]`` (useful for codes of a newer flakelint); an
``FL003`` entry is never reported as unused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from flakelint.diagnostic import Diagnostic, Position
from flakelint.registry import rule_by_code_or_name

_DIRECTIVE = re.compile(r"flakelint:\s*(ignore-file|ignore)\b(?:\s*\[([^\]]*)\])?")


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
    #: where the directive starts (``flakelint:``)
    position: Position = Position(1, 1)
    #: why it can never suppress anything (reported as FL003), if it cannot
    problem: str | None = None


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
            start = source.node_start(node)
            alone = source.line_text(start.line)[: start.column - 1].strip() == ""
            lines = {start.line}
            end_line = source.node_end(node).line
            if alone:
                lines.add(end_line + 1)
            where = source.position(node.start_byte + len(text[: match.start()].encode()))
            suppression = Suppression(file_level=file_level, lines=frozenset(lines), position=where)
            found.append(suppression)
            if body is None or not re.search(r"[^,\s]", body):
                suppression.problem = f"`{kind}` needs the codes it suppresses in brackets: `{kind}[FL001]`"
                continue
            if file_level and node.start_byte > first_code:
                # Only honoured in the leading comment block.
                suppression.problem = (
                    "`ignore-file[...]` works only in the file's leading comments, before any code; "
                    "this one suppresses nothing"
                )
                continue
            body_offset = node.start_byte + len(text[: match.start(2)].encode())
            for item in re.finditer(r"[^,\s]+", body):
                written = item.group(0)
                rule = rule_by_code_or_name(written)
                offset = body_offset + len(body[: item.start()].encode())
                suppression.codes.append(
                    SuppressedCode(written, rule.code if rule else None, source.position(offset))
                )
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
    """FL003 for what suppresses nothing (see the module docstring).

    Codes not in ``enabled`` are never reported as unused: flakelint cannot
    know whether they would have fired. The FL003 findings are then passed
    through the same suppressions, so ``ignore[FL003]`` silences them.
    """
    found = []
    for suppression in suppressions:
        if suppression.problem is not None:
            found.append(_unused(path, suppression.position, len("flakelint:"), suppression.problem))
            continue
        kind = "ignore-file" if suppression.file_level else "ignore"
        for entry in suppression.codes:
            if entry.code is None:
                message = f"suppression names an unknown rule code `{entry.text}`"
            elif entry.used or entry.code not in enabled or entry.code == "FL003":
                continue
            else:
                message = f"`{kind}[{entry.text}]` suppresses nothing: no {entry.code} finding here"
            found.append(_unused(path, entry.position, len(entry.text), message))
    return apply_suppressions(found, suppressions)


def _unused(path: str, position: Position, width: int, message: str) -> Diagnostic:
    return Diagnostic(
        code="FL003",
        message=message,
        path=path,
        start=position,
        end=Position(position.line, position.column + width),
        hint="remove it (or fix the code)",
    )
