"""What a module file sets: its top-level option definitions, statically.

Used by context rules (FL207). Only the plain shapes are understood — a
function returning an attribute set, through ``let``/``with``, an explicit
``config = …`` (also under ``mkIf``/``mkMerge``) — and only static attribute
names count. Anything else yields nothing, so the rules stay silent.
"""

from __future__ import annotations

from functools import lru_cache

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
    """The ``binding`` children of a set literal (not ``inherit``s, not comments)."""
    for child in attrset.named_children:
        if child.type == "binding_set":
            return [b for b in child.named_children if b.type == "binding"]
    return []


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


_SET_TYPES = ("attrset_expression", "rec_attrset_expression")


def _value_sets(data: bytes, node) -> list:
    """The set literals among ``_unwrap_values(data, node)``.

    Only a call or parentheses can stand for other nodes, so a set literal
    or any other value is answered without that loop.
    """
    if node is None:
        return []
    kind = node.type
    if kind in _SET_TYPES:
        return [node]
    if kind != "apply_expression" and kind not in nixast.WRAPPERS:
        return []
    return [inner for inner in _unwrap_values(data, node) if inner.type in _SET_TYPES]


#: What :meth:`_Under.reach` says of a path.
AWAY, LEADS, MATCHES = 0, 1, 2
_END = object()  # in an _Under trie: a prefix ends here


class _Under:
    """Which option paths a walk limited to some option prefixes still needs.

    ``under`` is a collection of option path prefixes (``("home",)``,
    ``("users", "users")``). A path *matches* when it starts with one of them;
    it *leads* to one when it is a proper prefix of one (``("users",)``). A
    binding whose path does neither cannot have a matching path below it, so
    the walk skips its value.
    """

    __slots__ = ("trie", "everything")

    def __init__(self, under):
        #: name -> sub-trie, or _END where a prefix ends (a shorter prefix replaces the longer ones it starts).
        self.trie: dict = {}
        for prefix in sorted((tuple(p) for p in under if p), key=len, reverse=True):
            node = self.trie
            for name in prefix[:-1]:
                node = node.setdefault(name, {})
            node[prefix[-1]] = _END
        self.everything = any(not p for p in under)

    def reach(self, path) -> int:
        """MATCHES, LEADS (to a prefix) or AWAY (from all of them)."""
        if self.everything:
            return MATCHES
        node = self.trie
        for name in path:
            node = node.get(name)
            if node is None:
                return AWAY
            if node is _END:
                return MATCHES
        return LEADS


@lru_cache(maxsize=8)
def _limit(under: frozenset) -> _Under:
    return _Under(under)


def option_definitions(source) -> list[tuple[tuple[str, ...], object]]:
    """(option path, binding node) for each top-level definition, up to three levels deep."""
    top = _top_level(source)
    return _definitions(source.data, top, None) if top is not None else []


def option_declarations(source) -> list[tuple[str, ...]]:
    """Option paths a module declares under ``options`` (``options.my.thing = mkOption …``)."""
    top = _top_level(source)
    return _declarations(source.data, top, None) if top is not None else []


def options_near(source, prefixes, *, declarations: bool = True, definitions: bool = True) -> tuple[list, list]:
    """What a module declares and defines around some option path prefixes, walking only there.

    ``prefixes`` are option paths (``("home",)``, ``("users", "users")``).
    The definitions are those of ``option_definitions`` at or below one of
    them, in the same order. The declarations are those of
    ``option_declarations`` at, above or below one of them (``users`` for
    ``users.users``), leaving out the ones below another that is listed:
    enough to tell, for an option at or below a prefix, whether one at,
    above or below it is declared. One pass over the module's top-level
    bindings serves both; a list not asked for is empty.
    """
    top = _top_level(source) if declarations or definitions else None
    if top is None:
        return [], []
    limit = _limit(frozenset(prefixes))
    return (
        _declarations(source.data, top, limit) if declarations else [],
        _definitions(source.data, top, limit) if definitions else [],
    )


def _top_level(source) -> tuple[list, list] | None:
    """The module body's bindings and their attribute paths; None when the file is not plainly a module."""
    body = module_body(source.root_node.child_by_field_name("expression"))
    if body is None:
        return None
    data = source.data
    bindings = _bindings(body)
    return bindings, [nixast.binding_path(data, b) for b in bindings]


def _definitions(data: bytes, top: tuple[list, list], limit: _Under | None) -> list[tuple[tuple[str, ...], object]]:
    """``option_definitions``; with ``limit``, only those at or below its prefixes."""
    bindings, paths = top
    explicit = any(path[:1] == ["config"] or path[:1] == ["options"] for path in paths)
    found: list[tuple[tuple[str, ...], object]] = []
    for binding, path in zip(bindings, paths):
        if not path or None in path:
            continue
        if explicit:
            if path[0] != "config":
                continue
            path = path[1:]
        elif path[0] in NOT_OPTIONS or path[0] == "config":
            continue
        full = tuple(path)
        reach = limit.reach(full) if limit is not None and full else MATCHES
        if reach == AWAY:
            continue
        value = binding.child_by_field_name("expression")
        if not full:
            for inner in _value_sets(data, value):
                found.extend(_flatten(data, inner, (), binding, limit))
            continue
        if reach == MATCHES:
            found.append((full, binding))
        if len(full) < MAX_DEPTH:
            for inner in _value_sets(data, value):
                found.extend(_flatten(data, inner, full, binding, limit))
    return found


def _declarations(data: bytes, top: tuple[list, list], limit: _Under | None) -> list[tuple[str, ...]]:
    """``option_declarations``; with ``limit``, those ``options_near`` lists."""
    declared: list[tuple[str, ...]] = []
    for binding, path in zip(*top):
        if not path or path[0] != "options" or None in path:
            continue
        prefix = tuple(path[1:])
        if prefix:
            if limit is not None:
                if limit.reach(prefix) == AWAY:
                    continue
                declared.append(prefix)
                continue  # what it declares below is below it
            declared.append(prefix)
        for inner in _value_sets(data, binding.child_by_field_name("expression")):
            declared.extend(full for full, _ in _flatten(data, inner, prefix, binding, limit, outermost=True))
    return declared


def _flatten(
    data: bytes, attrset, prefix: tuple[str, ...], anchor, limit: _Under | None = None, outermost: bool = False
) -> list:
    """(path, binding) of the nested bindings of a set, ``prefix`` prepended, down to MAX_DEPTH names.

    With ``limit``, only those at or below one of its prefixes, and the walk
    skips the values of bindings that do not lead to one. With
    ``outermost`` too, those that lead to a prefix are kept as well, but
    nothing below a kept one.
    """
    found = []
    stack = [(attrset, prefix)]
    while stack:
        current, base = stack.pop()
        for binding in _bindings(current):
            path = nixast.binding_path(data, binding)
            if not path or None in path:
                continue
            full = base + tuple(path)
            if limit is not None:
                reach = limit.reach(full)
                if reach == AWAY:
                    continue
                if outermost:
                    found.append((full, binding))
                    continue
                if reach == MATCHES:
                    found.append((full, binding))
            else:
                found.append((full, binding))
            if len(full) < MAX_DEPTH:
                for inner in _value_sets(data, binding.child_by_field_name("expression")):
                    stack.append((inner, full))
    return found
