"""What a module file sets: its top-level option definitions, statically.

Used by context rules (FL207). Only the plain shapes are understood — a
function returning an attribute set, through ``let``/``with``, an explicit
``config = …`` (also under ``mkIf``/``mkMerge``) — and only static attribute
names count. Anything else yields nothing, so the rules stay silent.
"""

from __future__ import annotations

from flakelint import nixast

NOT_OPTIONS = {"imports", "options", "_file", "key", "disabledModules", "meta", "_class", "freeformType"}
WRAPPERS = {"mkIf", "mkDefault", "mkForce", "mkOverride", "mkBefore", "mkAfter", "mkOrder", "mkMerge"}
MAX_DEPTH = 3


def module_body(root_expression):
    """The attribute set a module file evaluates to, or None when it is not plainly one."""
    node = nixast.unwrap(root_expression)
    for _ in range(64):
        if node is None:
            return None
        if node.type == "function_expression":
            node = nixast.unwrap(node.child_by_field_name("body"))
        elif node.type in ("let_expression", "with_expression", "assert_expression"):
            node = nixast.unwrap(node.child_by_field_name("body"))
        else:
            break
    if node is not None and node.type in ("attrset_expression", "rec_attrset_expression"):
        return node
    return None


def _bindings(attrset):
    binding_set = next((c for c in attrset.named_children if c.type == "binding_set"), None)
    if binding_set is None:
        return []
    return [b for b in binding_set.named_children if b.type == "binding"]


def _unwrap_values(data: bytes, node) -> list:
    """``mkIf c { … }`` -> ``{ … }``; ``mkMerge [ a b ]`` -> ``[a, b]``."""
    results = []
    pending = [node]
    while pending:
        current = nixast.unwrap(pending.pop())
        if current is None:
            continue
        if current.type == "apply_expression":
            head, args = nixast.apply_head(current)
            name = nixast.call_name(data, head)
            if name == "mkMerge" and args:
                merged = nixast.unwrap(args[-1])
                if merged is not None and merged.type == "list_expression":
                    pending.extend(merged.named_children)
                continue
            if name in WRAPPERS and args:
                pending.append(args[-1])
                continue
        results.append(current)
    return results


def option_definitions(source) -> list[tuple[tuple[str, ...], object]]:
    """(option path, binding node) for each top-level definition, up to three levels deep."""
    data = source.data
    root = source.root_node
    expression = root.child_by_field_name("expression")
    body = module_body(expression)
    if body is None:
        return []
    bindings = _bindings(body)
    names = {tuple(nixast.binding_path(data, b))[:1] for b in bindings}
    explicit = (("config",) in names) or (("options",) in names)
    found: list[tuple[tuple[str, ...], object]] = []
    for binding in bindings:
        path = nixast.binding_path(data, binding)
        if not path or any(p is None for p in path):
            continue
        if explicit:
            if path[0] != "config":
                continue
            path = path[1:]
        elif path[0] in NOT_OPTIONS or path[0] == "config":
            continue
        value = binding.child_by_field_name("expression")
        if not path:
            for inner in _unwrap_values(data, value):
                if inner.type in ("attrset_expression", "rec_attrset_expression"):
                    found.extend(_flatten(data, inner, (), binding))
            continue
        found.append((tuple(path), binding))
        for inner in _unwrap_values(data, value):
            if inner.type in ("attrset_expression", "rec_attrset_expression") and len(path) < MAX_DEPTH:
                found.extend(_flatten(data, inner, tuple(path), binding))
    return found


def _flatten(data: bytes, attrset, prefix: tuple[str, ...], anchor) -> list:
    found = []
    stack = [(attrset, prefix)]
    while stack:
        current, base = stack.pop()
        for binding in _bindings(current):
            path = nixast.binding_path(data, binding)
            if not path or any(p is None for p in path):
                continue
            full = base + tuple(path)
            found.append((full, binding))
            if len(full) < MAX_DEPTH:
                for inner in _unwrap_values(data, binding.child_by_field_name("expression")):
                    if inner.type in ("attrset_expression", "rec_attrset_expression"):
                        stack.append((inner, full))
    return found


def option_declarations(source) -> list[tuple[str, ...]]:
    """Option paths a module declares under ``options`` (``options.my.thing = mkOption …``)."""
    data = source.data
    root = source.root_node
    body = module_body(root.child_by_field_name("expression"))
    if body is None:
        return []
    declared: list[tuple[str, ...]] = []
    for binding in _bindings(body):
        path = nixast.binding_path(data, binding)
        if not path or path[0] != "options" or any(p is None for p in path):
            continue
        if len(path) > 1:
            declared.append(tuple(path[1:]))
        for inner in _unwrap_values(data, binding.child_by_field_name("expression")):
            if inner.type in ("attrset_expression", "rec_attrset_expression"):
                declared.extend(full for full, _ in _flatten(data, inner, tuple(path[1:]), binding))
    return declared
