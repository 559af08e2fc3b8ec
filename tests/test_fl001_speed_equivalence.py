"""FL001's cheap candidate searches find what the plain regular expressions find.

``rules/engine/syntax_error.py`` looks for Nix-invalid input that the grammar
accepts through candidate offsets. The searches were rewritten for speed (one
search per keyword, a digit prefilter for large integers, a descent in C that
drops candidates landing in a token of another type); these tests pin that
they give exactly what the straightforward versions give.
"""

from __future__ import annotations

import re

import pytest

from flakelint.parse import locate, parse_source
from rules.engine import syntax_error as fl001

from conftest import FIXTURES

IDENTIFIER = rb"A-Za-z0-9_'\-"
#: The reference: every keyword standing as a word of its own.
KEYWORD_RE = re.compile(
    rb"(?<![" + IDENTIFIER + rb"])(?:" + b"|".join(k.encode() for k in fl001.KEYWORDS) + rb")(?![" + IDENTIFIER + rb"])"
)

TRICKY = [
    b"",
    b"in",
    b"inherit",
    b"inherits in inherit",
    b"within main domain or for",
    b"x.in x-in x_in x'in in' in- in_ 1in in1",
    b"let\tin\nif(then)else{with}assert;rec[or]",
    b"# if this or that, then else\n\"in ${let}\" ''with''",
    b"inin in in inherit inheritin ininherit",
    b"-if '-in or-",
    "ünicode in é if".encode(),
]


def fixture_texts() -> list[bytes]:
    return [path.read_bytes() for path in sorted(FIXTURES.rglob("*.nix")) if path.is_file() and not path.is_symlink()]


@pytest.mark.parametrize("data", TRICKY)
def test_keyword_offsets_match_the_single_regex(data):
    assert sorted(fl001._keyword_offsets(data)) == [m.start() for m in KEYWORD_RE.finditer(data)]


def test_keyword_offsets_match_the_single_regex_on_fixtures():
    for data in fixture_texts():
        assert sorted(fl001._keyword_offsets(data)) == [m.start() for m in KEYWORD_RE.finditer(data)]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"1" * 18,
        b"1" * 19,
        b"x = 123456789012345678; y = 0000000000000000000;",
        b"a1234567890123456789 " + b"9" * 40 + b" 12 " + b"5" * 19,
        b"0" * 18 + b"x" + b"0" * 18,
    ],
)
def test_big_integer_offsets_match_the_regex(data):
    assert fl001._big_integer_offsets(data) == [m.start() for m in fl001._BIG_INT_RE.finditer(data)]


def candidates(data: bytes) -> list[tuple[int, str]]:
    return sorted(
        [(offset, "keyword") for offset in fl001._keyword_offsets(data)]
        + [(m.start(), "path") for m in fl001._PATH_RE.finditer(data)]
        + [(offset, "integer") for offset in fl001._big_integer_offsets(data)]
        + [(m.start(1), "uri") for m in fl001._AT_URI_RE.finditer(data)]
    )


def test_dropped_candidates_are_ones_no_branch_reports():
    # A dropped offset must be one whose located node has another type than
    # its kind reports: otherwise a finding (or an entry in `seen`) is lost.
    texts = fixture_texts() + [b"{ x.if = 1; inherit (a) or; }@ rec:x", b"{ in, ... }: [ f or ] ./a/ 99999999999999999999"]
    dropped_any = False
    for data in texts:
        root = parse_source(data, "x.nix").root_node
        found = candidates(data)
        kinds = dict(found)
        offsets = [offset for offset, _ in found]
        kept = set(fl001._without_other_tokens(root, offsets, kinds))
        for located in locate(root, offsets):
            if located.offset not in kept:
                dropped_any = True
                assert located.node.type != fl001._WANTED_TYPE[kinds[located.offset]], (data[:80], located.offset)
    assert dropped_any


class CountingRoot:
    """A root node that counts descents."""

    def __init__(self, root):
        self.root = root
        self.descents = 0
        self.end_byte = root.end_byte

    def descendant_for_byte_range(self, start, end):
        self.descents += 1
        return self.root.descendant_for_byte_range(start, end)


def test_probes_are_bounded_by_file_length():
    # Each descent can cost the nesting depth, which can be the file's length.
    depth = 50_000
    data = b"(" * depth + b"[" + b" (if a then b else c)" * 80 + b"]" + b")" * depth
    root = CountingRoot(parse_source(data, "x.nix").root_node)
    found = candidates(data)
    kept = fl001._without_other_tokens(root, [offset for offset, _ in found], dict(found))
    assert root.descents == fl001.PROBE_BYTES // len(data) < fl001.MAX_PROBES
    assert len(kept) == len(found) - root.descents
    # Small files get every probe they need.
    small = b"[" + b" (if a then b else c)" * 60 + b"]"
    root = CountingRoot(parse_source(small, "x.nix").root_node)
    found = candidates(small)
    assert fl001._without_other_tokens(root, [offset for offset, _ in found], dict(found)) == []
    assert root.descents == min(len(found), fl001.MAX_PROBES)
