"""Making repository-controlled text safe to print.

File names, attribute names and source snippets come from the repository,
which may be a hostile pull request. Before any of it reaches a terminal or a
CI log: control characters (C0, DEL, C1), Unicode bidirectional overrides
("Trojan Source") and undecodable bytes become visible escapes, and nothing
we print as a path can start a line with ``::`` (a GitHub workflow command).
"""

from __future__ import annotations

import re

_UNSAFE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(match: re.Match) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    point = ord(char)
    if 0xDC80 <= point <= 0xDCFF:  # a byte os.fsdecode could not decode
        return f"\\x{point - 0xDC00:02x}"
    if point <= 0xFF:
        return f"\\x{point:02x}"
    return f"\\u{point:04x}"


def clean(text: str, keep_tabs: bool = False) -> str:
    """``text`` with every unsafe character as a visible escape.

    Also ``##[`` becomes ``##\\[``: the GitHub Actions runner still obeys its
    older ``##[command]`` syntax anywhere in a log line.
    """
    cleaned = _UNSAFE.sub(_escape_char, text)
    if not keep_tabs:
        cleaned = cleaned.replace("\t", "\\t")
    return cleaned.replace("##[", "##\\[")


def clean_path(path: str) -> str:
    """A path as printed at the start of a line: escaped, never starting a workflow command.

    The runner trims leading white space (any Unicode space) before it looks
    for ``::``, so a path starting with white space or ``:`` gets a ``./``.
    """
    cleaned = clean(path)
    if cleaned[:1] == ":" or cleaned[:1].isspace():
        cleaned = "./" + cleaned
    return cleaned


def json_safe(text: str) -> str:
    """Serialised JSON that cannot carry a ``##[command]`` into a log: ``#`` as ``\\u0023``.

    The escape is part of JSON, so the data is unchanged for every parser.
    """
    return text.replace("##[", "#\\u0023[")
