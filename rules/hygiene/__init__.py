"""FL5xx: module and host hygiene (secrets, stateVersion, deprecated outputs, special args, `with`).

Shared helpers of the family: the values of attribute bindings seen through
the wrappers the module system adds (``mkDefault``, ``mkForce`` …), and the
bindings of one attribute set.
"""

from __future__ import annotations

from flakelint import nixast

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
