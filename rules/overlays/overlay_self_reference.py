from __future__ import annotations

from flakelint import nixast
from flakelint.diagnostic import Severity
from flakelint.overlays import ATTRSETS, strip
from flakelint.rule import RepoRule

from . import overlay_layout, overlay_summaries, summarize_overlays

MAX_CLIMB = 512


def result_sets(body) -> list:
    """The attribute sets an overlay body returns: through `let`/`with`, and both sides of `//`."""
    found = []
    pending = [body]
    while pending and len(found) < 64:
        node = strip(pending.pop())
        if node is None:
            continue
        if node.type in ATTRSETS:
            found.append(node)
        elif node.type == "binary_expression":
            operator = node.child_by_field_name("operator")
            if operator is not None and operator.type == "//":
                pending.append(node.child_by_field_name("left"))
                pending.append(node.child_by_field_name("right"))
    return found


def binds(data: bytes, node, name: str) -> bool:
    """Does this node (a function, a let, a rec set) bind ``name`` for its body?"""
    if node.type == "function_expression":
        universal = node.child_by_field_name("universal")
        if universal is not None and nixast.node_text(data, universal) == name:
            return True
        formals = node.child_by_field_name("formals")
        if formals is not None:
            for formal in formals.named_children:
                ident = formal.child_by_field_name("name") if formal.type == "formal" else None
                if ident is not None and nixast.node_text(data, ident) == name:
                    return True
        return False
    if node.type in ("let_expression", "rec_attrset_expression"):
        binding_set = next((c for c in node.named_children if c.type == "binding_set"), None)
        for binding in binding_set.named_children if binding_set is not None else []:
            if binding.type == "binding" and nixast.binding_path(data, binding)[:1] == [name]:
                return True
            if binding.type in ("inherit", "inherit_from"):
                attrs = binding.child_by_field_name("attrs")
                if attrs is not None and name in [nixast.attr_name(data, a) for a in attrs.named_children]:
                    return True
    return False


def shadowed(data: bytes, node, stop, name: str) -> bool:
    current = node
    for _ in range(MAX_CLIMB):
        parent = current.parent
        if parent is None or current == stop:
            return False
        if binds(data, parent, name):
            return True
        current = parent
    return True  # too deep to tell


def in_override_self(data: bytes, node, stop) -> bool:
    """``prev.python3.override { self = final.python3; }``: nixpkgs' documented, lazy idiom."""
    current = node
    for _ in range(MAX_CLIMB):
        parent = current.parent
        if parent is None or current == stop:
            return False
        if parent.type == "binding" and nixast.binding_path(data, parent) == ["self"]:
            return True
        current = parent
    return False


def in_update(data: bytes, node, value) -> bool:
    """``X = prev.X // { a = … final.X.b …; }``: `final.X.b` only needs the two sets, not itself."""
    top = strip(value)
    if top is None or top.type != "binary_expression":
        return False
    operator = top.child_by_field_name("operator")
    if operator is None or operator.type != "//":
        return False
    right = top.child_by_field_name("right")
    return right is not None and right.start_byte <= node.start_byte and node.end_byte <= right.end_byte


def self_references(data: bytes, binding, final: str, name: str, scope):
    """``final.<name>`` selections inside a binding's value (not shadowed)."""
    value = binding.child_by_field_name("expression")
    if value is None:
        return
    for node in nixast.captures("(select_expression) @s", value).get("s", []):
        base = nixast.unwrap(node.child_by_field_name("expression"))
        if base is None or base.type != "variable_expression" or nixast.node_text(data, base) != final:
            continue
        attrpath = node.child_by_field_name("attrpath")
        names = nixast.attrpath_names(data, attrpath) if attrpath is not None else []
        if names[:1] != [name]:
            continue
        if shadowed(data, base, scope, final) or in_override_self(data, node, value):
            continue
        if len(names) > 1 and in_update(data, node, value):
            continue
        yield node


class OverlaySelfReference(RepoRule):
    """An overlay attribute defined through itself via the first argument: infinite recursion.

    ## What it does
    In an overlay `final: prev: { X = …; }`, reports `final.X` anywhere in
    the definition of `X` — also through `overrideAttrs`, `override`, `let`,
    nested sets, `passthru` and function bodies — and `inherit (final) X;`.
    The overlay's own argument names are used, whatever they are
    (`self: super:`, `_: prev:`, `f: p:`). `final.Y` for another attribute
    is fine, and so is `prev.X`; a name rebound on the way (an
    `overrideAttrs (final: old: …)` whose `final` is the derivation's own
    attributes) is not the overlay's argument. The nixpkgs idiom
    `prev.python3.override { self = final.python3; }` is lazy and not
    reported, and neither is `X = prev.X // { a = … final.X.b …; }` (an
    update of a package set that refers to another member of it).

    ## Why is this bad?
    `final` is the package set *after* this overlay: `final.X` is the very
    value being defined. Evaluating it needs itself, and Nix stops with
    "infinite recursion encountered" (or, inside `passthru`, as soon as
    anything looks at that attribute). The previous definition is `prev.X`.

    ## Example
    ```nix
    { ... }:
    {
      nixpkgs.overlays = [
        (final: prev: {
          htop = final.htop.overrideAttrs (old: {
            patches = (old.patches or [ ]) ++ [ ./htop.patch ];
          });
        })
      ];
    }
    ```

    ## Use instead
    ```nix
    { ... }:
    {
      nixpkgs.overlays = [
        (final: prev: {
          htop = prev.htop.overrideAttrs (old: {
            patches = (old.patches or [ ]) ++ [ ./htop.patch ];
          });
        })
      ];
    }
    ```
    """

    code = "FL402"
    shared = (overlay_layout,)  # run with the rules that share it (Rule.shared)
    name = "overlay-self-reference"
    severity = Severity.ERROR

    def summarize(self, source):
        """One file's self-references in overlays: (start, end, message, hint), computed where the file was parsed."""
        return summarize_overlays(source, lambda expression, shape, site: tuple(_self_references(source.data, shape)))

    def check(self, repo):
        for source, findings in overlay_summaries(self, repo):
            for start, end, message, hint in findings:
                yield self.diagnostic(source, start=start, end=end, message=message, hint=hint)


def _self_references(data: bytes, shape):
    """The findings in one overlay: ``final.X`` in the definition of ``X``, and ``inherit (final) X``."""
    if shape.kind != "overlay" or shape.final == "_" or shape.final == shape.prev:
        return
    for attrset in result_sets(shape.body):
        if attrset.type == "rec_attrset_expression" and binds(data, attrset, shape.final):
            continue
        binding_set = next((c for c in attrset.named_children if c.type == "binding_set"), None)
        for binding in binding_set.named_children if binding_set is not None else []:
            if binding.type == "inherit_from":
                base = nixast.unwrap(binding.child_by_field_name("expression"))
                if base is None or base.type != "variable_expression" or nixast.node_text(data, base) != shape.final:
                    continue
                attrs = binding.child_by_field_name("attrs")
                for attr in attrs.named_children if attrs is not None else []:
                    name = nixast.attr_name(data, attr)
                    if name:
                        yield _finding(attr, name, shape.final, shape.prev, inherit=True)
                continue
            if binding.type != "binding":
                continue
            path = nixast.binding_path(data, binding)
            if len(path) != 1 or path[0] is None:
                continue
            for node in self_references(data, binding, shape.final, path[0], shape.body.parent):
                yield _finding(node, path[0], shape.final, shape.prev)


def _finding(node, name, final, prev, inherit=False) -> tuple[int, int, str, str]:
    written = f"inherit ({final}) {name}" if inherit else f"{final}.{name}"
    return (
        node.start_byte,
        node.end_byte,
        f"`{name}` is defined through `{written}`, which is this very definition: infinite recursion",
        f"use `{prev}.{name}` for the previous definition" if prev != "_" else f"name the second argument and use `prev.{name}`",
    )
