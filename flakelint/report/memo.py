"""A rendered SARIF report, kept for the next run that renders the same one.

Why: building SARIF needs ``sarif_om``, whose import (about a hundred attrs
classes, each generating its methods) costs 50 ms, and its rule descriptors
need every rule class imported. On a large repository whose findings all
come from the cache that is a sixth of the run. The report is a pure
function of its inputs (:mod:`flakelint.report.sarif` writes no timestamps
and no absolute paths), so the text rendered last time is reused when a
SHA-256 over all of them matches: the format, flakelint's version and a
fingerprint of its installed code (:func:`flakelint.cache.code_fingerprint`),
the report context, and every field of every finding.

One slot per format and set of linted paths, in the cache directory (never
in a linted repository: the CLI asks only when the result cache was usable
for every flake), replaced whole like the cache's entries
(:func:`flakelint.cache.write_atomically`). A slot that cannot be read, or
whose key differs, is a miss: the report is rendered as usual and the slot
replaced.
"""

from __future__ import annotations

import hashlib
import os

#: Formats worth it: the others render in a millisecond or two with nothing to import.
MEMO_FORMATS = ("sarif",)
#: Bumped when what the key covers changes.
MEMO_VERSION = b"1"


def render_memoized(format_name: str, diagnostics, context, paths: list[str]) -> str:
    """The report, from the slot when its key matches, else rendered (and the slot updated)."""
    from flakelint.report import render

    if format_name not in MEMO_FORMATS:
        return render(format_name, diagnostics, context)
    key = report_key(format_name, diagnostics, context)
    slot = _slot(format_name, paths)
    text = _read(slot, key)
    if text is None:
        text = render(format_name, diagnostics, context)
        _write(slot, key, text)
    return text


def report_key(format_name: str, diagnostics, context) -> bytes:
    from flakelint import __version__
    from flakelint.cache import code_fingerprint

    digest = hashlib.sha256(MEMO_VERSION + b"\0" + format_name.encode() + b"\0" + __version__.encode())
    digest.update(code_fingerprint().encode() + b"\0" + repr(context).encode("utf-8", "surrogateescape"))
    for diagnostic in diagnostics:
        digest.update(b"\0" + repr(diagnostic).encode("utf-8", "surrogateescape"))
    return digest.hexdigest().encode()


def _slot(format_name: str, paths: list[str]) -> str:
    from flakelint.cache import cache_dir

    where = "\0".join(os.path.abspath(path) for path in paths).encode("utf-8", "surrogateescape")
    return os.path.join(cache_dir(), f"report-{format_name}-{hashlib.sha256(where).hexdigest()[:32]}.txt")


def _read(slot: str, key: bytes) -> str | None:
    try:
        with open(slot, "rb") as handle:
            if handle.readline().rstrip(b"\n") != key:
                return None
            return handle.read().decode("utf-8")
    except (OSError, ValueError):
        return None


def _write(slot: str, key: bytes, text: str) -> None:
    """Replace the slot atomically; a failure to write is not an error (the report is the same)."""
    from flakelint.cache import write_atomically

    write_atomically(slot, key + b"\n" + text.encode("utf-8"))
