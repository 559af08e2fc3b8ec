"""FL001 syntax-error: what Nix's parser would reject.

Two sources of truth are combined. tree-sitter's ERROR and MISSING nodes give
the regions that do not parse (found by a walk that enters only subtrees
holding an error: no full-tree query, no ``Node.parent`` climbing, both of
which are slow or quadratic on large or deeply nested files). And a few
checks cover what Nix's lexer rejects but the tree-sitter grammar accepts;
these look only at candidate offsets regular expressions find in the bytes;
one descent in C each drops most of them (a real keyword token, a word in a
comment or string), and the rest are located in the tree by one forward
sweep (:func:`flakelint.parse.locate`).
"""

from __future__ import annotations

import bisect
import math
import re
import unicodedata

from flakelint.diagnostic import Severity
from flakelint.parse import error_tokens, iter_error_subtree, locate, update_read_as_path
from flakelint.rule import FileRule

MAX_SNIPPET = 40
#: Regions reported per file; a hostile file can hold hundreds of thousands.
MAX_REGIONS = 100
#: Form feeds and vertical tabs looked up per file (each lookup descends
#: from the root).
MAX_LOOKUPS = 50

KEYWORDS = ("assert", "else", "if", "in", "inherit", "let", "or", "rec", "then", "with")
INT64_MAX = 2**63 - 1
_IDENTIFIER_CHAR = rb"A-Za-z0-9_'\-"


def _keyword_search(words: tuple[str, ...]):
    """The ``search`` of a regex for ``words`` standing as words of their own.

    Each word's lookbehind comes after the word itself (`in(?<![...]in)`), so
    the pattern starts with a literal and `re` skips ahead to it in C; a
    lookbehind in front would make it try every position of the file. Words
    grouped in one search share their first letter (the shared prefix stays
    literal); longer words come first, so `inherit` is not cut to `in`.
    """
    branches = [
        re.escape(word) + rb"(?<![" + _IDENTIFIER_CHAR + rb"]" + re.escape(word) + rb")"
        for word in sorted((w.encode() for w in words), key=len, reverse=True)
    ]
    return re.compile(rb"(?:" + b"|".join(branches) + rb")(?![" + _IDENTIFIER_CHAR + rb"])").search


# One search per first letter of the keywords (`if`, `in` and `inherit` share
# one): an alternation of words with different first letters would be tried
# at every occurrence of any of those letters, far slower than a few scans.
_KEYWORD_SEARCHES = tuple(
    _keyword_search(tuple(k for k in KEYWORDS if k[0] == first)) for first in sorted({k[0] for k in KEYWORDS})
)
# A `/` that ends a path fragment (the next byte cannot continue a path), or a `//`.
_PATH_RE = re.compile(rb"/(?![A-Za-z0-9._+\-/$])|//")
_BIG_INT_RE = re.compile(rb"(?<![0-9])[0-9]{19,}")
#: With every digit mapped to `0`, a run of 19 digits is a plain substring search.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_NINETEEN_DIGITS = b"0" * 19
_ODD_SPACE_RE = re.compile(rb"[\x0b\x0c]")
# `{ ... }@args:x` with no space: Nix's lexer reads `args:x` as a URI.
_AT_URI_RE = re.compile(rb"@[ \t\r\n]*([a-zA-Z][a-zA-Z0-9+.\-]*):[a-zA-Z0-9%/?:@&=+$,_.!~*'\-]")

_PAIRS = {"{": "}", "[": "]", "(": ")", "${": "}", "let": "in", '"': '"', "''": "''"}
_CLOSERS = {"}", "]", ")", "in"}
_QUOTES = {'"', "''"}


class SyntaxErrorRule(FileRule):
    """Nix that does not parse.

    ## What it does
    Reports each region of a `.nix` file that Nix's parser would reject: one
    finding per region, at its start, quoting the offending text (at most 100
    per file; the rest are counted in one last finding). Input that ends
    too early is reported at the innermost bracket, `let` or string that is
    never closed. Also reported, because Nix's lexer rejects them although the
    tree-sitter grammar does not: a UTF-8 byte order mark at the start of the
    file, a file with no expression at all (empty, or only comments), a path
    with a trailing slash (`./modules/`), an integer too large for 64 bits, a
    keyword used as a name (`x.if`, `{ inherit }:`; `or` is fine as an
    attribute name), and a form feed or vertical tab outside strings and
    comments.

    Known gaps of the tree-sitter grammar are not reported: a trailing comma
    in formals (`{ a, b, }:`, the default style of nixfmt and alejandra) is
    valid Nix and stays silent. flakelint's FL001 is tested against
    `nix-instantiate --parse` on every fixture.

    ## Why is this bad?
    A file that does not parse breaks every configuration that imports it,
    and no other rule can look inside the broken region.

    ## Example
    ```nix
    { pkgs, ... }:
    {
      environment.systemPackages = [ pkgs.git ]
    }
    ```

    ## Use instead
    ```nix
    { pkgs, ... }:
    {
      environment.systemPackages = [ pkgs.git ];
    }
    ```

    ## Known limitations
    The pipe operators `|>` and `<|` (experimental since Nix 2.24) are not in
    flakelint's grammar and are reported as syntax errors. Two rarities Nix
    rejects stay unreported: a keyword glued to a path (`in./a`, which Nix's
    lexer reads as one path) and `a//.b` (an update whose right side starts
    with a dot).
    """

    code = "FL001"
    name = "syntax-error"
    severity = Severity.ERROR

    def check(self, source):
        has_bom = source.has_bom
        if has_bom:
            yield self.diagnostic(
                source,
                start=0,
                end=3,
                message="the file starts with a UTF-8 byte order mark (BOM), which Nix's parser rejects",
                hint="save the file as UTF-8 without a BOM",
            )
        root = source.root_node
        spans: list[tuple[int, int]] = []
        if root.has_error:
            for diagnostic, span in self._regions(source):
                spans.append(span)
                yield diagnostic
        elif not has_bom and _only_comments(root):
            yield self.diagnostic(
                source,
                start=0,
                message="syntax error: the file holds no Nix expression (it is empty or only comments)",
                hint="Nix cannot import an empty file; write an expression such as `{ }`, or delete the file",
            )
            return
        yield from self._stricter_than_grammar(source, spans)

    # -- regions tree-sitter could not parse ---------------------------------

    def _regions(self, source):
        root = source.root_node
        regions = [
            node
            for node in iter_error_subtree(root, enter=lambda n: n.type != "ERROR")
            if node.type == "ERROR" or node.is_missing
        ]
        content_end = _content_end(source)
        eof_reported = False
        unclosed = _NOT_COMPUTED = object()
        covered_until = -1
        shown = 0
        for index, node in enumerate(regions):
            if node.start_byte < covered_until:
                continue
            covered_until = max(covered_until, node.end_byte)
            span = (node.start_byte, max(node.end_byte, node.start_byte + 1))
            if node.end_byte >= content_end:
                if eof_reported:
                    continue
                if unclosed is _NOT_COMPUTED:
                    unclosed = _innermost_unclosed(root)
                if unclosed is not None or node.is_missing:
                    eof_reported = True
                    if shown == MAX_REGIONS:
                        yield self._more(source, node, regions[index:]), span
                        return
                    shown += 1
                    yield self._end_of_file(source, node, unclosed), span
                    continue
            if shown == MAX_REGIONS:
                yield self._more(source, node, regions[index:]), span
                return
            shown += 1
            yield self._report(source, node), span

    def _more(self, source, node, rest):
        return self.diagnostic(
            source,
            start=node.start_byte,
            message=f"syntax error: {len(rest)} more syntax error regions in this file are not listed",
            hint="fix the first errors; later ones are often consequences of them",
        )

    def _end_of_file(self, source, node, unclosed):
        if unclosed is None:
            return self.diagnostic(source, node, "syntax error: unexpected end of file")
        what = "string" if unclosed.type in _QUOTES else f"`{unclosed.type}`"
        return self.diagnostic(
            source,
            unclosed,
            f"syntax error: unexpected end of file; this {what} is never closed",
        )

    def _report(self, source, node):
        if node.is_missing:
            expected = node.type if node.type.isidentifier() else f"`{node.type}`"
            return self.diagnostic(source, node, f"syntax error: missing {expected}")
        text = source.text(node)
        first_line = text.split("\n", 1)[0].strip(" \t\r")
        if first_line in _QUOTES:
            return self.diagnostic(source, node, "syntax error: this string is never closed")
        data = source.data
        start = node.start_byte
        operator = None
        if data[start : start + 2] in (b"|>", b"<|"):
            operator = data[start : start + 2].decode()
        elif data[start - 1 : start + 1] in (b"|>", b"<|") and start > 0:
            operator = data[start - 1 : start + 1].decode()
        hint = None
        if operator is not None:
            first_line = operator
            hint = "the pipe operators |> and <| are experimental (Nix >= 2.24, pipe-operators) and not supported here"
        if not first_line:
            message = "syntax error: unexpected input here"
        elif _is_odd_character(first_line[0]):
            message = f"syntax error: unexpected character {_describe(first_line[0])}"
        else:
            if len(first_line) > MAX_SNIPPET:
                first_line = first_line[:MAX_SNIPPET] + "…"
            message = f"syntax error: unexpected `{first_line}`"
        end = node.end_byte if "\n" not in text else node.start_byte + len(text.split("\n", 1)[0].encode())
        return self.diagnostic(source, start=node.start_byte, end=end, message=message, hint=hint)

    # -- what Nix rejects although the grammar accepts it -------------------

    def _stricter_than_grammar(self, source, spans):
        found = []
        for node, message, hint in _strict_findings(source):
            if not _in_spans(spans, node.start_byte):
                found.append((node.start_byte, node.end_byte, message, hint))
                if len(found) > MAX_REGIONS:
                    break
        for index, (start, end, message, hint) in enumerate(sorted(found)):
            if index == MAX_REGIONS:
                yield self.diagnostic(
                    source,
                    start=start,
                    message="syntax error: more input that Nix rejects follows in this file; not listed",
                )
                break
            yield self.diagnostic(source, start=start, end=end, message=message, hint=hint)


def _only_comments(root) -> bool:
    """Does the file hold no expression (no child of the root but comments, or none at all)?"""
    for child in root.children:
        if child.type != "comment":
            return False
    return True


def _in_spans(spans: list[tuple[int, int]], offset: int) -> bool:
    """Is ``offset`` inside the last of ``spans`` (sorted by start) that starts at or before it?"""
    if not spans:
        return False
    index = bisect.bisect_right(spans, (offset, math.inf)) - 1
    return index >= 0 and offset < spans[index][1]


def _content_end(source) -> int:
    """Where the last token ends: an error at or after it is at the end of the file."""
    root = source.root_node
    end = 0
    for child in root.children:
        if child.type != "comment":
            end = max(end, child.end_byte)
    return min(end, len(source.data.rstrip()))


def _innermost_unclosed(root):
    """The innermost opener (bracket, `let`, quote) the file never closes."""
    stack = []
    for leaf in error_tokens(root):
        kind = leaf.type
        if leaf.is_missing or kind == "ERROR":
            continue
        if kind in _QUOTES:
            if stack and stack[-1].type == kind:
                stack.pop()
            else:
                stack.append(leaf)
        elif kind in _PAIRS:
            stack.append(leaf)
        elif kind in _CLOSERS and stack and _PAIRS[stack[-1].type] == kind:
            stack.pop()
    return stack[-1] if stack else None


def _is_odd_character(char: str) -> bool:
    return not char.isprintable() or (char.isspace() and char != " ") or unicodedata.category(char) in ("Cf", "Zs", "Zl", "Zp")


_CONTROL_NAMES = {"\x0b": "VERTICAL TAB", "\x0c": "FORM FEED"}


def _describe(char: str) -> str:
    name = _CONTROL_NAMES.get(char) or unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name.lower()})" if name else "")


def _strict_findings(source):
    """(node, message, hint) for Nix-invalid input that tree-sitter-nix accepts, in order."""
    data = source.data
    root = source.root_node
    candidates = _candidates(data)
    if candidates:
        kinds = dict(candidates)
        offsets = _without_other_tokens(root, [offset for offset, _ in candidates], kinds)
        if offsets:
            yield from _located_findings(source, offsets, kinds)
    if b"\x0b" in data or b"\x0c" in data:
        # Rare; the usual case is found without testing every byte against a class.
        yield from _odd_space_findings(data, root)


def _candidates(data: bytes) -> list[tuple[int, str]]:
    """(offset, kind) where Nix-invalid input may start, sorted (an offset can repeat with another kind)."""
    found = [(offset, "keyword") for offset in _keyword_offsets(data)]
    found += [(m.start(), "path") for m in _PATH_RE.finditer(data)]
    found += [(offset, "integer") for offset in _big_integer_offsets(data)]
    if b"@" in data:
        found += [(m.start(1), "uri") for m in _AT_URI_RE.finditer(data)]
    found.sort()
    return found


def _located_findings(source, offsets: list[int], kinds: dict):
    """What :func:`_strict_findings` reports at ``offsets`` (ascending), each located in the tree."""
    data = source.data
    root = source.root_node
    seen = set()
    budget = [MAX_LOOKUPS]  # sibling searches for `or` in lists, each as wide as the list
    for found in locate(root, offsets):
        node, kind = found.node, kinds[found.offset]
        if node.start_byte in seen:
            continue
        if kind == "keyword" and node.type == "identifier":
            seen.add(node.start_byte)
            word = source.text(node)
            if word == "or" and _or_allowed(found, data, budget):
                continue
            yield (
                node,
                f"syntax error: unexpected keyword `{word}`; a keyword cannot be used as a name here",
                f"quote it where an attribute name is meant (`\"{word}\"`), or choose another name",
            )
        elif kind == "path" and node.type == "path_fragment":
            seen.add(node.start_byte)
            problem = _path_problem(source.text(node), node, found.parent)
            if problem:
                yield (node, *problem)
        elif kind == "integer" and node.type == "integer_expression":
            seen.add(node.start_byte)
            text = source.text(node)
            if text.isdigit() and int(text) > INT64_MAX:
                yield node, f"syntax error: the integer {_clip(text)} is too large (Nix integers are signed 64-bit)", None
        elif kind == "uri" and node.type == "identifier" and node.start_byte == found.offset:
            seen.add(node.start_byte)
            name = source.text(node)
            yield (
                node,
                f"syntax error: Nix reads `{_clip(name)}:` and the text after it as a URI, not as a function's argument",
                "put a space after the `:`",
            )


def _odd_space_findings(data: bytes, root):
    """Form feeds and vertical tabs between tokens (outside strings and comments)."""
    for looked, match in enumerate(_ODD_SPACE_RE.finditer(data)):
        if looked == MAX_LOOKUPS:
            break
        start = match.start()
        node = root.descendant_for_byte_range(start, start + 1)
        if node is not None and node.child_count:
            yield (
                _Span(start, start + 1),
                f"syntax error: unexpected character {_describe(chr(data[start]))} outside a string or comment",
                "Nix accepts only spaces, tabs and line breaks between tokens",
            )


def _keyword_offsets(data: bytes) -> list[int]:
    """Where a keyword stands as a word of its own (not inside a longer name), unsorted.

    The offsets an alternation of the keywords between a lookbehind and a
    lookahead for identifier bytes would find. At most one keyword fits at
    an offset (`in` needs a non-identifier byte after it, `inherit` an `h`).
    Most files hold each keyword a few times or not at all, so one
    ``search`` per match (the first proving most searches empty) costs less
    than setting up a ``finditer`` for each.
    """
    offsets = []
    append = offsets.append
    for search in _KEYWORD_SEARCHES:
        match = search(data)
        while match is not None:
            append(match.start())
            match = search(data, match.end())
    return offsets


def _big_integer_offsets(data: bytes) -> list[int]:
    """Starts of runs of 19 or more digits: the integer candidates.

    Most files have no such run; a translate and one substring search (both
    in C) prove it without running the regex, whose leading character class
    is tested at every byte.
    """
    if _NINETEEN_DIGITS not in data.translate(_DIGITS_AS_ZERO):
        return []
    return [m.start() for m in _BIG_INT_RE.finditer(data)]


#: The node type a candidate must land in to be reported (see the branches of
#: :func:`_strict_findings`).
_WANTED_TYPE = {"keyword": "identifier", "path": "path_fragment", "integer": "integer_expression", "uri": "identifier"}
#: Candidates per file checked by a descent from the root; the rest go to
#: :func:`locate` unchecked. A descent is a walk in C as long as the path to
#: the leaf, and nesting can be as deep as the file is long (`((((...`), so
#: probes times file length is also held under PROBE_BYTES: a hostile file
#: costs at most some tens of milliseconds here, and an ordinary one (up to
#: 5 KB) gets all MAX_PROBES.
MAX_PROBES = 200
PROBE_BYTES = 1_000_000


def _without_other_tokens(root, offsets: list[int], kinds: dict) -> list[int]:
    """``offsets`` less those that land in a token of a type their kind never reports.

    Nearly every keyword candidate is a real keyword token (or a word in a
    comment or string), and nearly every path candidate a `/` in a comment or
    string; :func:`_strict_findings` skips those. A token is a leaf, so the
    leaf holding the offset is the node :func:`locate` would give it, and
    one descent in C finds it for much less than locate's Python steps. A
    dropped offset touches neither ``seen`` nor the `or` budget there, so the
    findings are the same. An offset whose node is not a leaf holding it is
    kept, as is every offset past the probe budget.
    """
    probes = min(MAX_PROBES, PROBE_BYTES // max(root.end_byte, 1))
    descend = root.descendant_for_byte_range
    kept = []
    for index, offset in enumerate(offsets):
        if index < probes:
            node = descend(offset, offset + 1)
            if (
                node is not None
                and node.type != _WANTED_TYPE[kinds[offset]]
                and node.child_count == 0
                and node.start_byte <= offset < node.end_byte
            ):
                continue
        kept.append(offset)
    return kept


def _path_problem(text: str, fragment, path) -> tuple[str, str] | None:
    siblings = path.children if path is not None else [fragment]
    first = siblings[0] == fragment
    last = siblings[-1] == fragment
    if first and last and "//" in text:
        if update_read_as_path(text):
            return None
        return f"syntax error: the path `{_clip(text)}` contains `//`, which Nix rejects", "write a single `/`"
    if last and text.endswith("/"):
        return f"syntax error: the path `{_clip(text)}` ends with a slash, which Nix rejects", "remove the trailing `/`"
    return None


class _Span:
    """A bare byte range standing in for a node."""

    def __init__(self, start: int, end: int):
        self.start_byte = start
        self.end_byte = end


def _or_allowed(found, data: bytes, budget: list[int]) -> bool:
    """Where Nix takes `or` as a name.

    In attribute paths and `inherit` lists; and as a variable right after a
    simple expression, where Nix reads `f or` as `f` applied to `or` (so in a
    list, `[ f or ]` is one element). A simple expression is not a selection
    (`x.a or` wants a default) and not `or` itself.
    """
    parent, container = found.parent, found.grandparent
    if parent is None:
        return False
    if parent.type in ("attrpath", "inherited_attrs"):
        return True
    if parent.type != "variable_expression" or container is None:
        return False
    if container.type == "apply_expression":
        if container.child_by_field_name("argument") != parent:
            return False
        function = container.child_by_field_name("function")
        before = function.child_by_field_name("argument") if function.type == "apply_expression" else function
    elif container.type == "list_expression":
        if budget[0] <= 0:
            return True  # stop looking (a hostile file); `[ f or ]` is valid Nix
        budget[0] -= 1
        before = found.previous_named()
    else:
        return False
    if before is None or before.type == "select_expression":
        return False
    return not (before.type == "variable_expression" and data[before.start_byte : before.end_byte] == b"or")


def _clip(text: str) -> str:
    return text if len(text) <= MAX_SNIPPET else text[:MAX_SNIPPET] + "…"
