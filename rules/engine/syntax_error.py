from __future__ import annotations

from functools import lru_cache

from flakelint.diagnostic import Severity
from flakelint.rule import FileRule

MAX_SNIPPET = 40


@lru_cache(maxsize=1)
def _error_query():
    import tree_sitter

    from flakelint.parse import nix_language

    return tree_sitter.Query(nix_language(), "(ERROR) @error (MISSING) @missing")


class SyntaxErrorRule(FileRule):
    """Nix that does not parse.

    ## What it does
    Reports each region of a `.nix` file that Nix's parser would reject: one
    finding per region, at its start, quoting the offending text. A file that
    starts with a UTF-8 byte order mark is reported too, because Nix's lexer
    does not accept one.

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
    flakelint's grammar and are reported as syntax errors.
    """

    code = "FL001"
    name = "syntax-error"
    severity = Severity.ERROR

    def check(self, source):
        if source.has_bom:
            yield self.diagnostic(
                source,
                start=0,
                end=3,
                message="the file starts with a UTF-8 byte order mark (BOM), which Nix's parser rejects",
                hint="save the file as UTF-8 without a BOM",
            )
        root = source.root_node
        if not root.has_error:
            return
        from tree_sitter import QueryCursor

        captures = QueryCursor(_error_query()).captures(root)
        regions = sorted(captures.get("error", []) + captures.get("missing", []), key=lambda n: (n.start_byte, -n.end_byte))
        covered_until = -1
        for node in regions:
            if node.start_byte < covered_until or _inside_error(node):
                continue
            covered_until = max(covered_until, node.end_byte)
            yield self._report(source, node)

    def _report(self, source, node):
        if node.is_missing:
            expected = node.type if node.type.isidentifier() else f"`{node.type}`"
            return self.diagnostic(source, node, f"syntax error: missing {expected}")
        unclosed = _unclosed_opener(source, node)
        if unclosed is not None:
            return self.diagnostic(
                source,
                unclosed,
                f"syntax error: unexpected end of file; this `{unclosed.type}` is never closed",
            )
        text = source.text(node)
        first_line = text.strip().splitlines()[0] if text.strip() else ""
        if len(first_line) > MAX_SNIPPET:
            first_line = first_line[:MAX_SNIPPET] + "…"
        message = f"syntax error: unexpected `{first_line}`" if first_line else "syntax error: unexpected end of input"
        hint = None
        if "|>" in text or "<|" in text:
            hint = "the pipe operators |> and <| are experimental (Nix >= 2.24, pipe-operators) and not supported here"
        end = node.end_byte if "\n" not in text else node.start_byte + len(text.split("\n", 1)[0].encode())
        return self.diagnostic(source, start=node.start_byte, end=end, message=message, hint=hint)


_PAIRS = {"{": "}", "[": "]", "(": ")", "${": "}", "let": "in"}
_CLOSERS = {"}", "]", ")", "in"}


def _unclosed_opener(source, node):
    """For an error region that runs to the end of the file, the innermost opener never closed."""
    if node.end_byte < len(source.data.rstrip()):
        return None
    from flakelint.parse import iter_leaves

    stack = []
    for leaf in iter_leaves(node):
        if leaf.type in _PAIRS:
            stack.append(leaf)
        elif leaf.type in _CLOSERS and stack and _PAIRS[stack[-1].type] == leaf.type:
            stack.pop()
    return stack[-1] if stack else None


def _inside_error(node) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type == "ERROR":
            return True
        parent = parent.parent
    return False
