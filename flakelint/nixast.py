"""Small helpers over tree-sitter-nix nodes: names, attribute paths, strings, calls.

Everything here is iterative or bounded: repositories can hold files nested
tens of thousands of levels deep, and Python's recursion limit must never be
what decides whether a file is analysed.
"""

from __future__ import annotations

from functools import lru_cache

WRAPPERS = {"parenthesized_expression"}


@lru_cache(maxsize=64)
def query(source: str):
    """A compiled tree-sitter query over the Nix grammar (cached)."""
    import tree_sitter

    from flakelint.parse import nix_language

    return tree_sitter.Query(nix_language(), source)


def captures(pattern: str, node) -> dict[str, list]:
    """The nodes each capture of ``pattern`` matches below ``node``, in document order.

    Sorted (by start, the enclosing node first): py-tree-sitter 0.26 lists a
    capture's nodes in the order their matches complete, which for nested
    matches (a binding inside a binding) is not the file's order and is not
    even the same from one run of the same query to the next. Code that
    keeps the first of two candidates must not depend on that.
    """
    from tree_sitter import QueryCursor

    found = QueryCursor(query(pattern)).captures(node)
    for nodes in found.values():
        if len(nodes) > 1:
            nodes.sort(key=document_order)
    return found


def document_order(node) -> tuple[int, int]:
    """Sort key: where a node starts, and the larger of two starting together first (pre-order)."""
    return node.start_byte, -node.end_byte


def node_text(source_bytes: bytes, node) -> str:
    return source_bytes[node.start_byte : node.end_byte].decode("utf-8", "replace")


def unwrap(node):
    """Strip parentheses: ``((x))`` -> ``x``."""
    while node is not None and node.type in WRAPPERS:
        node = node.child_by_field_name("expression")
    return node


def outer(node):
    """Climb out of parentheses: the expression this node stands for in its context."""
    while node.parent is not None and node.parent.type in WRAPPERS:
        node = node.parent
    return node


def attr_name(data: bytes, attr) -> str | None:
    """The static name of one attrpath component, None when computed (``${x}``)."""
    if attr.type == "identifier":
        return node_text(data, attr)
    if attr.type == "string_expression":
        parts = attr.named_children
        if all(p.type in ("string_fragment", "escape_sequence") for p in parts):
            return string_value(data, attr)
    return None


#: The bytes of a path of plain identifiers (``services.nginx.enable``): no quotes, ``${``, comments or spaces.
_IDENTIFIER_PATH_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_'-."


def attrpath_names(data: bytes, attrpath) -> list[str | None]:
    """The names of an attribute path's components, None for a computed one (``${x}``).

    Most paths are plain identifiers. An error-free path whose text has
    nothing but identifier characters and dots is identifiers joined by dots
    (a quoted name, ``${…}``, a comment or a space would add some other
    byte), so its names are its text split at the dots: the same names,
    without a node per component.
    """
    text = data[attrpath.start_byte : attrpath.end_byte]
    if text and not text.translate(None, _IDENTIFIER_PATH_BYTES) and not attrpath.has_error:
        return text.decode("ascii").split(".")
    return [attr_name(data, a) for a in attrpath.named_children if a.type != "comment"]


def binding_path(data: bytes, binding) -> list[str | None]:
    attrpath = binding.child_by_field_name("attrpath")
    return attrpath_names(data, attrpath) if attrpath is not None else []


def full_attrpath(data: bytes, binding, limit: int = 32) -> list[str | None]:
    """The attribute path of a binding including enclosing sets.

    ``home-manager = { users.alice = x; }`` gives ``home-manager.users.alice``
    for the inner binding. Stops at anything that is not a plain nested set.
    """
    names = binding_path(data, binding)
    node = binding
    for _ in range(limit):
        binding_set = node.parent
        attrset = binding_set.parent if binding_set is not None else None
        if attrset is None or attrset.type not in ("attrset_expression", "rec_attrset_expression"):
            break
        enclosing = outer(attrset).parent
        if enclosing is None or enclosing.type != "binding":
            break
        names = binding_path(data, enclosing) + names
        node = enclosing
    return names


def attrset_names(data: bytes, attrset) -> set[str] | None:
    """The top-level attribute names a set literal defines (also through ``inherit``);
    None when one of them is computed, so callers cannot know the whole set."""
    names: set[str] = set()
    binding_set = next((c for c in attrset.named_children if c.type == "binding_set"), None)
    for binding in binding_set.named_children if binding_set is not None else []:
        if binding.type == "binding":
            path = binding_path(data, binding)
            if not path or path[0] is None:
                return None
            names.add(path[0])
        elif binding.type in ("inherit", "inherit_from"):
            attrs = binding.child_by_field_name("attrs")
            for attr in attrs.named_children if attrs is not None else []:
                name = attr_name(data, attr)
                if name is None:
                    return None
                names.add(name)
    return names


#: Functions that only wrap a definition's value (priorities, not values).
VALUE_WRAPPERS = {"mkDefault", "mkForce", "mkOverride", "mkOptionDefault", "mkImageMediaOverride", "mkVMOverride"}


def definition_value(data: bytes, node):
    """``lib.mkDefault "x"`` -> ``"x"``; ``("x")`` -> ``"x"``; anything else as it is."""
    node = unwrap(node)
    for _ in range(16):
        if node is None or node.type != "apply_expression":
            return node
        head, args = apply_head(node)
        if call_name(data, head) not in VALUE_WRAPPERS or not args:
            return node
        node = unwrap(args[-1])
    return node


def string_value(data: bytes, node) -> str | None:
    """The value of a string with no interpolation, None otherwise."""
    if node.type not in ("string_expression", "indented_string_expression"):
        return None
    out = []
    for part in node.named_children:
        if part.type == "string_fragment":
            out.append(node_text(data, part))
        elif part.type == "escape_sequence":
            text = node_text(data, part)
            out.append({"\\n": "\n", "\\t": "\t", "\\r": "\r"}.get(text, text[1:] if text.startswith("\\") else text))
        else:
            return None
    return "".join(out)


def apply_head(node):
    """For ``f a b c``: the function ``f`` and the arguments ``[a, b, c]``."""
    args = []
    while node is not None and node.type == "apply_expression":
        args.append(node.child_by_field_name("argument"))
        node = unwrap(node.child_by_field_name("function"))
    args.reverse()
    return node, args


def dotted_name(data: bytes, node) -> str | None:
    """``builtins.readDir`` / ``inputs.import-tree`` / ``import``; None when not a plain name."""
    suffix: list[str] = []
    node = unwrap(node)
    while node is not None and node.type == "select_expression":
        if node.child_by_field_name("default") is not None:
            return None
        names = attrpath_names(data, node.child_by_field_name("attrpath"))
        if any(n is None for n in names):
            return None
        suffix[:0] = names
        node = unwrap(node.child_by_field_name("expression"))
    if node is None or node.type != "variable_expression":
        return None
    return ".".join([node_text(data, node), *suffix])


def call_name(data: bytes, head) -> str | None:
    """The last static name of a function expression: ``pkgs.${system}.callPackage`` -> ``callPackage``."""
    head = unwrap(head)
    if head is None:
        return None
    if head.type == "variable_expression":
        return node_text(data, head)
    if head.type == "select_expression":
        names = attrpath_names(data, head.child_by_field_name("attrpath"))
        return names[-1] if names else None
    return None


def deeper_than(root, limit: int) -> bool:
    """Is any node nested more than ``limit`` levels below ``root``? (cursor walk, early exit)"""
    cursor = root.walk()
    depth = 0
    while True:
        if depth > limit:
            return True
        if cursor.goto_first_child():
            depth += 1
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return False
            depth -= 1


def has_error_ancestor(node) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type == "ERROR":
            return True
        parent = parent.parent
    return False
