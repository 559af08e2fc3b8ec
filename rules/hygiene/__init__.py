"""FL5xx: module and host hygiene (secrets, stateVersion, deprecated outputs, special args, `with`).

Shared helpers of the family: the values of attribute bindings seen through
the wrappers the module system adds (``mkDefault``, ``mkForce`` …), the
bindings of one attribute set, and the bindings whose name the text spells
at some offsets (FL502 and FL503 look for ``stateVersion`` that way).
"""

from __future__ import annotations

from flakelint import nixast
from flakelint.secrets import bindings_named_at

#: ``lib.mkDefault "x"`` -> ``"x"``: shared with flakelint.secrets.
definition_value = nixast.definition_value


def attrset_bindings(attrset):
    """The ``binding`` and ``inherit`` nodes of one attribute set."""
    binding_set = next((c for c in attrset.named_children if c.type == "binding_set"), None)
    if binding_set is None:
        return []
    return [b for b in binding_set.named_children if b.type in ("binding", "inherit", "inherit_from")]


def inherited_names(data: bytes, node) -> list[tuple[str, object]]:
    """(name, node) for each name an ``inherit``/``inherit (x)`` brings in."""
    found = []
    for child in node.named_children:
        if child.type == "inherited_attrs":
            for attr in child.named_children:
                name = nixast.attr_name(data, attr)
                if name is not None:
                    found.append((name, attr))
    return found


def is_attrset(node) -> bool:
    return node is not None and node.type in ("attrset_expression", "rec_attrset_expression")


def name_spans(data: bytes, root, name: bytes) -> list[tuple[int, int]]:
    """The byte ranges where ``name`` occurs in the text of ``root``."""
    spans = []
    at = data.find(name, root.start_byte, root.end_byte)
    while at != -1:
        spans.append((at, at + len(name)))
        at = data.find(name, at + 1, root.end_byte)
    return spans


def bindings_named(data: bytes, root, spans, escape, captures=None) -> list:
    """The bindings below ``root`` whose attribute path may end in the name found at ``spans``.

    All bindings when an escape in a quoted name (``"state\\Version"``)
    could spell the name where the text does not. Either way in file order
    (the query's own order changes from run to run).
    """
    if escape.search(data, root.start_byte, root.end_byte):
        captures = captures or (lambda query: nixast.captures(query, root))
        return sorted(captures("(binding) @b").get("b", []), key=lambda binding: binding.start_byte)
    return bindings_named_at(root, spans)
