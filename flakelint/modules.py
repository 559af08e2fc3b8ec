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


_SET_TYPES = ("attrset_expression", "rec_attrset_expression")
#: What a module body may be wrapped in: ``{ … }: body``, ``let … in body``, ``with x; body``, ``assert c; body``.
_BODY_WRAPPERS = ("function_expression", "let_expression", "with_expression", "assert_expression")


def module_body(root_expression):
    """The attribute set a module file evaluates to, or None when it is not plainly one."""
    node = nixast.unwrap(root_expression)
    for _ in range(64):
        if node is None:
            return None
        kind = node.type
        if kind not in _BODY_WRAPPERS:
            return node if kind in _SET_TYPES else None
        node = nixast.unwrap(node.child_by_field_name("body"))
    return node if node is not None and node.type in _SET_TYPES else None


def _bindings(attrset):
    """The ``binding`` children of a set literal (not ``inherit``s, not comments)."""
    for child in attrset.named_children:
        if child.type == "binding_set":
            return [b for b in child.named_children if b.type == "binding"]
    return []


def _value_sets(data: bytes, node) -> list:
    """The set literals a value stands for: ``{ … }``; ``mkIf c { … }`` -> ``{ … }``; ``mkMerge [ a b ]`` -> ``b``, ``a``.

    One loop that looks at each node's type once: it runs for the value of
    every binding a walk may descend into.
    """
    sets = []
    pending = [node]
    while pending:
        current = pending.pop()
        if current is None:
            continue
        kind = current.type
        if kind in _SET_TYPES:
            sets.append(current)
        elif kind in nixast.WRAPPERS:
            pending.append(current.child_by_field_name("expression"))
        elif kind == "apply_expression":
            name, argument = _call(data, current)
            if name == "mkMerge":
                merged = nixast.unwrap(argument)
                if merged is not None and merged.type == "list_expression":
                    pending.extend(merged.named_children)
            elif name in WRAPPERS:
                pending.append(argument)
    return sets


def _call(data: bytes, apply) -> tuple[str | None, object]:
    """The name of the function a call applies (``nixast.call_name``) and its last argument.

    ``nixast.apply_head`` less the list of all arguments: ``mkIf c x``
    only needs ``x``.
    """
    argument = apply.child_by_field_name("argument")
    head = nixast.unwrap(apply.child_by_field_name("function"))
    while head is not None and head.type == "apply_expression":
        head = nixast.unwrap(head.child_by_field_name("function"))
    return nixast.call_name(data, head), argument


#: What :func:`_step` says of a path.
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

    def walked(self) -> dict | None:
        """The trie a walk starts from (see ``_step``); None when every path matches."""
        return None if self.everything else self.trie


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
    return bindings, [_path(data, b) for b in bindings]


#: The bytes of a path of plain identifiers, as in ``nixast.attrpath_names``.
_IDENTIFIER_PATH_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_'-."


def _path(data: bytes, binding) -> list[str | None]:
    """``nixast.binding_path``, its common case (identifiers joined by dots) inline.

    The walks below ask this of every binding they meet, so the call saved
    per binding is a good part of their cost; anything else (quotes,
    ``${…}``, comments, errors) is left to ``nixast.attrpath_names``.
    """
    attrpath = binding.child_by_field_name("attrpath")
    if attrpath is None:
        return []
    text = data[attrpath.start_byte : attrpath.end_byte]
    if text and not text.translate(None, _IDENTIFIER_PATH_BYTES) and not attrpath.has_error:
        return text.decode("ascii").split(".")
    return nixast.attrpath_names(data, attrpath)


def _step(trie, path) -> tuple[int, dict | None]:
    """MATCHES, LEADS (to a prefix) or AWAY (from all of them): where ``path`` goes from ``trie``.

    ``trie`` is an ``_Under`` trie or the part of one that the path above
    ``path`` leads to; also returned is the part that ``path`` leads to
    (None unless LEADS), so a walk goes on from there instead of from the
    root.
    """
    node = trie
    for name in path:
        node = node.get(name)
        if node is None:
            return AWAY, None
        if node is _END:
            return MATCHES, None
    return LEADS, node


def _definitions(data: bytes, top: tuple[list, list], limit: _Under | None) -> list[tuple[tuple[str, ...], object]]:
    """``option_definitions``; with ``limit``, only those at or below its prefixes."""
    bindings, paths = top
    explicit = any(path and path[0] in ("config", "options") for path in paths)
    trie = limit.walked() if limit is not None else None
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
        reach, below = _step(trie, full) if trie is not None and full else (MATCHES, None)
        if reach == AWAY:
            continue
        if not full:
            below = trie
        elif reach == MATCHES:
            found.append((full, binding))
        if len(full) < MAX_DEPTH:
            for inner in _value_sets(data, binding.child_by_field_name("expression")):
                found.extend(_flatten(data, inner, full, binding, below))
    return found


def _declarations(data: bytes, top: tuple[list, list], limit: _Under | None) -> list[tuple[str, ...]]:
    """``option_declarations``; with ``limit``, those ``options_near`` lists."""
    trie = limit.walked() if limit is not None else None
    declared: list[tuple[str, ...]] = []
    for binding, path in zip(*top):
        if not path or path[0] != "options" or None in path:
            continue
        prefix = tuple(path[1:])
        if prefix:
            if limit is not None:
                if trie is not None and _step(trie, prefix)[0] == AWAY:
                    continue
                declared.append(prefix)
                continue  # what it declares below is below it
            declared.append(prefix)
        for inner in _value_sets(data, binding.child_by_field_name("expression")):
            declared.extend(full for full, _ in _flatten(data, inner, prefix, binding, trie, outermost=limit is not None))
    return declared


def _flatten(data: bytes, attrset, prefix: tuple[str, ...], anchor, trie: dict | None = None, outermost: bool = False) -> list:
    """(path, binding) of the nested bindings of a set, ``prefix`` prepended, down to MAX_DEPTH names.

    With ``trie`` (the part of an ``_Under`` trie that ``prefix`` leads
    to; None where every path counts), only those at or below one of its
    prefixes, and the walk skips the values of bindings that do not lead to
    one. With ``outermost``, those that lead to a prefix are kept as well,
    but nothing below a kept one.
    """
    found = []
    stack = [(attrset, prefix, trie)]
    while stack:
        current, base, node = stack.pop()
        for binding in _bindings(current):
            path = _path(data, binding)
            if not path or None in path:
                continue
            full = base + tuple(path)
            below = None
            if node is not None:
                reach, below = _step(node, path)
                if reach == AWAY:
                    continue
                if outermost or reach == MATCHES:
                    found.append((full, binding))
                    if outermost:
                        continue
            else:
                found.append((full, binding))
                if outermost:
                    continue
            if len(full) < MAX_DEPTH:
                for inner in _value_sets(data, binding.child_by_field_name("expression")):
                    stack.append((inner, full, below))
    return found
