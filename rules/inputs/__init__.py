"""FL1xx: flake inputs and flake.lock (pinning, drift, follows, release hygiene, impurity).

Shared helpers of the family: where a finding about an input goes (its
declaration in ``flake.nix``, or the lock entry when ``flake.nix`` does not
declare it), and which inputs count as nixpkgs.
"""

from __future__ import annotations

import re

from flakelint.diagnostic import Diagnostic, Position
from flakelint.inputs import FlakeRef, is_nixos_nixpkgs, repository

#: Snippet lines longer than this are not attached (a one-line 50 MB lock).
MAX_SNIPPET = 400


def at_span(rule, repo, span: tuple[int, int], message: str, hint: str | None = None) -> Diagnostic:
    """A finding at a byte span of ``flake.nix``."""
    return rule.diagnostic(repo.sources["flake.nix"], start=span[0], end=span[1], message=message, hint=hint)


def at_lock(rule, repo, location: tuple, message: str, hint: str | None = None, line: int | None = None, column: int | None = None) -> Diagnostic:
    """A finding in ``flake.lock`` at a JSON path (or an explicit line/column)."""
    lock = repo.lock
    if line is None:
        line, column = lock.position(location)
    text = lock.line_text(line)
    return Diagnostic(
        code=rule.code,
        message=message,
        path=lock.path,
        start=Position(line, column or 1),
        hint=hint,
        snippet=text if len(text) <= MAX_SNIPPET else None,
    )


def valid_lock(repo):
    """The lock when it exists and is valid, else None."""
    lock = repo.lock
    return lock if lock is not None and lock.valid else None


def declared_ref(repo, name: str) -> FlakeRef | None:
    """The reference ``flake.nix`` gives input ``name`` (None when it gives none readable)."""
    model = repo.inputs
    decl = model.inputs.get(name) if model is not None else None
    if decl is None:
        return None
    return decl.flakeref


def locked_node(repo, name: str):
    """The lock node of root input ``name`` (follows resolved), or None."""
    lock = valid_lock(repo)
    if lock is None:
        return None
    target = lock.root_input_target(name)
    if target is None or target == lock.root:
        return None
    return lock.nodes.get(target)


def input_location(rule, repo, name: str, message: str, hint: str | None = None, prefer_url: bool = False):
    """A finding about root input ``name``: at its declaration, its formal, or its lock entry."""
    model = repo.inputs
    if model is not None:
        decl = model.inputs.get(name)
        if decl is not None:
            span = decl.source_span if prefer_url else (decl.start, decl.end)
            return at_span(rule, repo, span, message, hint)
        if model.outputs is not None:
            formal = model.outputs.formal(name)
            if formal is not None:
                return at_span(rule, repo, (formal.start, formal.end), message, hint)
    lock = repo.lock
    if lock is not None:
        return at_lock(rule, repo, ("nodes", lock.root, "inputs", name), message, hint)
    return None


def root_input_names(repo) -> list[str]:
    """Root inputs in declaration order: flake.nix first, then the lock's."""
    names: list[str] = []
    model = repo.inputs
    if model is not None:
        names += list(model.inputs)
        names += [f.name for f in model.implicit if f.name not in names]
    lock = valid_lock(repo)
    if lock is not None:
        names += [n for n in lock.root_inputs if n not in names]
    return names


def nixpkgs_inputs(repo, configured: list[str] | None = None) -> list[tuple[str, FlakeRef | None, object]]:
    """The root inputs that count as nixpkgs: (name, declared reference, lock node or None).

    With ``configured`` names, exactly those; otherwise every root input whose
    declared url or lock entry fetches NixOS/nixpkgs. Inputs that merely
    follow another input are left out (the followed one is checked).
    """
    found = []
    model = repo.inputs
    for name in root_input_names(repo):
        decl = model.inputs.get(name) if model is not None else None
        if decl is not None and decl.follows is not None and decl.url is None and not decl.attrs:
            continue
        lock = valid_lock(repo)
        if lock is not None and isinstance(lock.root_inputs.get(name), tuple):
            continue
        ref = decl.flakeref if decl is not None else None
        node = locked_node(repo, name)
        if configured:
            if name not in configured:
                continue
        else:
            declared_is = ref is not None and is_nixos_nixpkgs(ref)
            locked_is = node is not None and is_nixos_nixpkgs(node.locked_ref)
            if ref is not None and ref.type is not None and not ref.is_indirect:
                if not declared_is:
                    continue  # the url says what it is
            elif not locked_is:
                continue
        found.append((name, ref, node))
    return found


def same_repository(a: FlakeRef, b: FlakeRef) -> bool:
    identity = repository(a)
    return identity is not None and identity == repository(b)


# ---------------------------------------------------------------- files the flake evaluates


def evaluated_files(repo) -> list[str]:
    """Files the flake evaluates: reached from ``flake.nix`` by imports it certainly makes.

    A legacy ``default.nix``/``shell.nix`` is a root of the import graph of its
    own, but the flake does not evaluate it unless ``flake.nix`` reaches it;
    files of a nested flake that the parent refers to are evaluated by the
    parent. Only edges that evaluate their target are followed: a path
    imported or used as a module (also through a pattern under a fixed
    directory such as ``./hosts/${name}``), a directory loader (import-tree, haumea), a file
    handed to a function — but not every file below a directory handed to
    an unknown function, which the import graph adds only so that nothing
    looks orphaned.
    """
    if "evaluated_files" not in repo._cache:
        repo._cache["evaluated_files"] = _evaluated_files(repo)
    return list(repo._cache["evaluated_files"])


def _evaluated_files(repo) -> list[str]:
    if "flake.nix" not in repo.sources:
        return []
    from flakelint.facts import MODULE_USAGES

    graph = repo.graph
    starts = ["flake.nix"] + [r for r in graph.roots if r not in ("flake.nix", "default.nix", "shell.nix")]
    outgoing: dict[str, list[str]] = {}
    for link in graph.links:  # the edges, grouped by reference
        ref = link.ref
        targets = link.targets
        if ref.usage in ("src", "guard", "read", "doc"):
            continue
        if ref.kind == "exact":
            default = "default.nix" if ref.target == "." else f"{ref.target}/default.nix"
            if ref.usage != "tree":
                # one of every file below a directory: not known to be evaluated
                targets = [target for target in targets if target in (ref.target, default)]
        elif ref.kind == "pattern":
            if ref.usage not in MODULE_USAGES and ref.usage != "tree":
                continue
            if "*" in ref.target.split("/", 1)[0]:
                continue  # `import (self + path)`: could be any file, not known to be this one
        else:
            continue
        if targets:
            outgoing.setdefault(link.source, []).extend(targets)
    seen = set(starts)
    queue = list(starts)
    while queue:
        current = queue.pop()
        for target in outgoing.get(current, []):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return sorted(path for path in seen if path in repo.sources)


DOCUMENTATION = {"example", "defaultText", "description", "literalExpression", "literalExample", "literalMD", "mdDoc"}
MAX_CLIMB = 512


def exempt(source, node) -> str | None:
    """Why a node is not evaluated as written: a formal's default, option documentation, a purity guard.

    ``{ pkgs ? import <nixpkgs> { } }:`` only evaluates its default when the
    caller leaves ``pkgs`` out, which a flake never does by accident; the
    ``example``/``defaultText`` of an option and ``literalExpression`` are
    text, never evaluated; a branch of ``if builtins ? currentSystem …`` (or
    ``lib.inPureEvalMode``) is code written to run only where it works.
    """
    from flakelint import nixast

    data = source.data
    current = node
    for _ in range(MAX_CLIMB):
        parent = current.parent
        if parent is None:
            return None
        if parent.type == "formal" and parent.child_by_field_name("default") == current:
            return "default"
        if parent.type == "if_expression" and parent.child_by_field_name("condition") != current:
            condition = parent.child_by_field_name("condition")
            text = source.text(condition) if condition is not None else ""
            if re.search(r"\bbuiltins\s*\?", text) or "inPureEvalMode" in text:
                return "guarded"
        if parent.type == "binding":
            names = nixast.binding_path(data, parent)
            if names and names[-1] in DOCUMENTATION:
                return "documentation"
        if parent.type == "apply_expression" and parent.child_by_field_name("argument") == current:
            head, _ = nixast.apply_head(parent)
            if nixast.call_name(data, head) in DOCUMENTATION:
                return "documentation"
        current = parent
    return None
