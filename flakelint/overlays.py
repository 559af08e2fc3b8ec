"""Overlays and nixpkgs instances, statically.

An *overlay site* is a place that holds an overlay expression:

``nixpkgs.overlays``   an item of a ``nixpkgs.overlays = [ … ]`` list (applied)
``import-nixpkgs``     an item of the ``overlays`` argument of ``import nixpkgs { … }`` (applied)
``compose``            an argument of ``composeManyExtensions [ … ]`` / ``composeExtensions a b``
``output``             a flake output ``overlays.<name>`` (or the deprecated ``overlay``)
``file``               the value of a file in an ``overlays`` directory: one overlay,
                       an attribute set of overlays, or either behind a function
                       taking the file's own arguments (snowfall-lib:
                       ``{ channels, inputs, ... }: final: prev: { … }``)

Items that are plain names are followed to a ``let`` binding of the same file;
anything computed (``import ./x``, ``attrValues …``, a function call) is not an
overlay flakelint can see, and nothing is said about it.

:func:`overlay_shape` says what an overlay expression is: a proper
``final: prev: …`` overlay, an attribute set, a one-argument function, a
``{ … }:`` function, or unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

from flakelint import nixast

ATTRSETS = ("attrset_expression", "rec_attrset_expression")
COMPOSE = {"composeManyExtensions", "composeExtensions"}
OVERLAY_DIRECTORIES = {"overlays", "overlay"}
MAX_CLIMB = 512
#: The argument names that make a one-argument function in an overlays
#: directory an overlay written wrong rather than a helper of its own.
OVERLAY_ARG_NAMES = {"final", "prev", "self", "super", "_final", "_prev", "_self", "_super", "_"}


@dataclass
class OverlaySite:
    path: str
    node: object  # the overlay expression (parentheses stripped)
    where: str  # nixpkgs.overlays | import-nixpkgs | compose | output | file
    #: strict: the expression must itself be an overlay. Not strict: a file
    #: value, which may also be an attribute set of overlays.
    strict: bool = True
    name: str | None = None  # the output name for `overlays.<name>`


@dataclass
class Shape:
    kind: str  # overlay | attrset | one-arg | formals | wrapper | unknown
    node: object
    final: str | None = None  # the first argument's name
    prev: str | None = None
    final_node: object = None
    prev_node: object = None
    body: object = None  # the body of the inner function


def strip(node):
    """Parentheses, ``let … in`` and ``with …;`` around an expression."""
    node = nixast.unwrap(node)
    for _ in range(64):
        if node is not None and node.type in ("let_expression", "with_expression", "assert_expression"):
            node = nixast.unwrap(node.child_by_field_name("body"))
        else:
            break
    return node


def _param(function):
    """("ident", name node) or ("formals", formals node)."""
    formals = function.child_by_field_name("formals")
    if formals is not None:
        return "formals", formals
    return "ident", function.child_by_field_name("universal")


def overlay_shape(data: bytes, node) -> Shape:
    node = nixast.unwrap(node)
    if node is None or node.has_error:
        return Shape("unknown", node)
    if node.type in ATTRSETS:
        return Shape("attrset", node)
    if node.type != "function_expression":
        return Shape("unknown", node)
    kind, param = _param(node)
    if kind == "formals":
        return Shape("formals", node)
    body = strip(node.child_by_field_name("body"))
    if body is None:
        return Shape("unknown", node)
    if body.type in ATTRSETS:
        return Shape("one-arg", node)
    if body.type != "function_expression":
        return Shape("unknown", node)
    inner_kind, inner_param = _param(body)
    if inner_kind == "formals":
        return Shape("unknown", node)
    inner_body = strip(body.child_by_field_name("body"))
    if inner_body is not None and inner_body.type == "function_expression":
        return Shape("wrapper", node)  # `inputs: final: prev: …`: more arguments than an overlay
    return Shape(
        "overlay",
        node,
        final=nixast.node_text(data, param),
        prev=nixast.node_text(data, inner_param),
        final_node=param,
        prev_node=inner_param,
        body=body.child_by_field_name("body"),
    )


def _bindings(attrset):
    binding_set = next((c for c in attrset.named_children if c.type == "binding_set"), None)
    if binding_set is None:
        return []
    return [b for b in binding_set.named_children if b.type in ("binding", "inherit", "inherit_from")]


def _in_let(binding) -> bool:
    parent = binding.parent
    return parent is not None and parent.parent is not None and parent.parent.type == "let_expression"


def resolve_name(data: bytes, variable, limit: int = MAX_CLIMB):
    """A plain name to the value of the ``let`` (or ``rec``) binding it refers to, if any."""
    name = nixast.node_text(data, variable)
    current = variable
    for _ in range(limit):
        parent = current.parent
        if parent is None:
            return None
        if parent.type == "function_expression":
            kind, param = _param(parent)
            if kind == "ident" and param is not None and nixast.node_text(data, param) == name:
                return None
            if kind == "formals" and name in _formal_names(data, parent):
                return None
        if parent.type in ("let_expression", "rec_attrset_expression"):
            for binding in _bindings(parent):
                if binding.type == "binding" and nixast.binding_path(data, binding) == [name]:
                    return binding.child_by_field_name("expression")
                if binding.type != "binding" and name in _inherited(data, binding):
                    return None
        current = parent
    return None


def _formal_names(data: bytes, function) -> set[str]:
    names = set()
    formals = function.child_by_field_name("formals")
    if formals is not None:
        for formal in formals.named_children:
            if formal.type == "formal":
                ident = formal.child_by_field_name("name")
                if ident is not None:
                    names.add(nixast.node_text(data, ident))
    universal = function.child_by_field_name("universal")
    if universal is not None:
        names.add(nixast.node_text(data, universal))
    return names


def _inherited(data: bytes, binding) -> list[str]:
    attrs = binding.child_by_field_name("attrs")
    if attrs is None:
        return []
    return [n for n in (nixast.attr_name(data, a) for a in attrs.named_children) if n]


def list_items(data: bytes, node) -> list | None:
    """The items of a list expression, through ``++`` and let-bound names; None when unknown."""
    items: list = []
    pending = [node]
    known = True
    steps = 0
    while pending and steps < 256:
        steps += 1
        current = strip(pending.pop())
        if current is None:
            continue
        if current.type == "list_expression":
            items.extend(c for c in current.named_children if c.type != "comment")
        elif current.type == "binary_expression" and _operator(current) == "++":
            pending.append(current.child_by_field_name("right"))
            pending.append(current.child_by_field_name("left"))
        elif current.type == "variable_expression":
            value = resolve_name(data, current)
            if value is None:
                known = False
            else:
                pending.append(value)
        else:
            known = False
    return items if known else items or None


def _operator(node) -> str | None:
    operator = node.child_by_field_name("operator")
    return operator.type if operator is not None else None


def overlay_items(data: bytes, item) -> list:
    """One list item to the overlay expressions it stands for (compose arguments, let names)."""
    found = []
    pending = [(item, 0)]
    while pending:
        current, depth = pending.pop()
        current = nixast.unwrap(current)
        if current is None or depth > 8:
            continue
        if current.type == "variable_expression":
            value = resolve_name(data, current)
            if value is not None:
                pending.append((value, depth + 1))
            continue
        if current.type == "apply_expression":
            head, args = nixast.apply_head(current)
            name = nixast.call_name(data, head)
            if name == "composeManyExtensions" and len(args) == 1:
                for inner in list_items(data, args[0]) or []:
                    pending.append((inner, depth + 1))
            elif name == "composeExtensions" and len(args) == 2:
                pending.extend((a, depth + 1) for a in args)
            continue
        found.append(current)
    return found


def is_overlay_file(path: str) -> bool:
    if "overlay" not in path:
        return False  # most paths: no split (every directory name here contains "overlay")
    parts = path.split("/")[:-1]
    return any(p in OVERLAY_DIRECTORIES for p in parts)


def declared_inputs(repo) -> set[str] | None:
    model = repo.inputs
    if model is None:
        return None
    return set(model.inputs) | {f.name for f in getattr(model, "implicit", [])}


#: Sites where nixpkgs applies the overlays written there.
APPLYING_SITES = ("nixpkgs.overlays", "import-nixpkgs", "compose")


def file_sites(source, contexts: set[str] | None = None) -> list[OverlaySite]:
    """Every overlay site in one file."""
    data = source.data
    sites: list[OverlaySite] = []
    if source.has_error:
        return sites
    seen: dict[int, int] = {}  # overlay start -> its index in sites

    def add(node, where, strict=True, name=None):
        for overlay in overlay_items(data, node):
            site = OverlaySite(source.path, overlay, where, strict, name)
            index = seen.get(overlay.start_byte)
            if index is None:
                seen[overlay.start_byte] = len(sites)
                sites.append(site)
            elif sites[index].where == "output" and where in APPLYING_SITES:
                # One let-bound overlay both exported and applied (`overlays.x = x;`
                # and `nixpkgs.overlays = [ x ]`): it is applied, whichever
                # binding the query listed first.
                sites[index] = site

    if b"overlay" in data:
        for binding in _bindings_under(source, named_bindings(source, b"overlay")):
            path = nixast.full_attrpath(data, binding)
            if not path or any(p is None for p in path):
                continue
            value = binding.child_by_field_name("expression")
            if tuple(path[-2:]) == ("nixpkgs", "overlays") and not _in_let(binding):
                for item in list_items(data, value) or []:
                    add(item, "nixpkgs.overlays")
            elif path[:2] == ["flake", "overlays"] and len(path) == 3 and source.path != "flake.nix" and not _in_let(binding):
                add(value, "output", name=path[2])  # a flake-parts module: flake.overlays.<name>
            elif source.path == "flake.nix" and not _in_let(binding):
                output = path[1:] if path[0] == "flake" else path
                if output and output[0] == "overlays" and len(output) == 2:
                    add(value, "output", name=output[1])
                elif output == ["overlay"] and _output_level(binding):
                    add(value, "output", name="overlay")
    if b"Extensions" in data:
        for node in source.captures("(apply_expression) @a").get("a", []):
            head, args = nixast.apply_head(node)
            name = nixast.call_name(data, head)
            if name in COMPOSE and (node.parent is None or node.parent.type != "apply_expression" or node.parent.child_by_field_name("function") != node):
                add(node, "compose")
    if b"overlay" in data:
        for call in nixpkgs_imports(source):
            if call.arguments is None:
                continue
            for binding in _bindings(call.arguments):
                if binding.type == "binding" and nixast.binding_path(data, binding) == ["overlays"]:
                    for item in list_items(data, binding.child_by_field_name("expression")) or []:
                        add(item, "import-nixpkgs")
    if is_overlay_file(source.path) and not (contexts or set()) & {"package", "nixos", "home-manager", "darwin"}:
        root = source.root_node.child_by_field_name("expression")
        if root is not None and root.start_byte not in seen:
            sites.append(OverlaySite(source.path, nixast.unwrap(root), "file", strict=False))
    return sites


def named_bindings(source, word: bytes) -> list:
    """The bindings whose own attribute path's text contains ``word`` (``overlays``, ``my-overlay``), in file order.

    Found from the word's occurrences in the bytes, not by walking every
    binding: a binding whose full path (:func:`nixast.full_attrpath`) names
    an overlay is one of these or nested in one, and computing that path
    for every binding of a module was most of :func:`file_sites`' time.
    """
    data = source.data
    root = source.root_node
    found: dict[int, object] = {}
    offset = data.find(word)
    while offset != -1:
        node = root.descendant_for_byte_range(offset, offset + len(word))
        for _ in range(4):  # identifier -> attrpath, or string fragment -> string -> attrpath
            if node is None or node.type == "attrpath":
                break
            node = node.parent
        if node is not None and node.type == "attrpath" and node.parent is not None and node.parent.type == "binding":
            found.setdefault(node.parent.start_byte, node.parent)
        offset = data.find(word, offset + 1)
    return [found[start] for start in sorted(found)]


def _bindings_under(source, named: list) -> list:
    """The bindings that are, or are nested in, one of ``named`` (in the order of the bindings query)."""
    if not named:
        return []
    spans = [(b.start_byte, b.end_byte) for b in named]
    return [b for b in source.captures("(binding) @b").get("b", []) if any(start <= b.start_byte < end for start, end in spans)]


def _output_level(binding) -> bool:
    """Is this binding directly in the attribute set ``outputs`` returns (not in a nested set)?"""
    attrset = binding.parent.parent if binding.parent is not None else None
    if attrset is None or attrset.type not in ATTRSETS:
        return False
    current = attrset
    for _ in range(16):
        parent = current.parent
        if parent is None:
            return False
        if parent.type == "function_expression":
            return True
        if parent.type in ("let_expression", "with_expression", "parenthesized_expression", "binary_expression"):
            current = parent
            continue
        return False
    return False


def overlays_of_site(data: bytes, site: OverlaySite) -> list[tuple[object, Shape, bool]]:
    """(expression, shape, strict) for the overlays a site holds.

    A file site that is a wrapper function (``{ inputs, ... }: …`` or
    ``inputs: …`` with a body that is an overlay or a set of them) is unwrapped;
    an attribute set in a file is a set of overlays, each value checked when
    it is a function.
    """
    node = site.node
    if site.strict:
        return [(node, overlay_shape(data, node), True)]
    shape = overlay_shape(data, node)
    if shape.kind == "overlay":
        return [(node, shape, True)]
    if shape.kind in ("formals", "one-arg", "wrapper"):
        body = strip(node.child_by_field_name("body"))
        if body is None:
            return []
        inner = overlay_shape(data, body)
        if inner.kind == "overlay":
            return [(body, inner, True)]
        if body.type in ATTRSETS and _values_are_functions(data, body):
            return _set_of_overlays(data, body)
        if shape.kind == "one-arg" and not _values_are_functions(data, body) and _param_name(data, node) in OVERLAY_ARG_NAMES:
            return [(node, shape, True)]
        return []
    if shape.kind == "attrset":
        return _set_of_overlays(data, node)
    return []


def _values_are_functions(data: bytes, attrset) -> bool:
    values = [b.child_by_field_name("expression") for b in _bindings(attrset) if b.type == "binding"]
    return any(nixast.unwrap(v) is not None and nixast.unwrap(v).type == "function_expression" for v in values)


def _param_name(data: bytes, function) -> str | None:
    universal = function.child_by_field_name("universal")
    return nixast.node_text(data, universal) if universal is not None else None


def _set_of_overlays(data: bytes, attrset) -> list:
    """The overlays of a file's attribute set of overlays: only when one value is plainly an overlay."""
    found = []
    for binding in _bindings(attrset):
        if binding.type != "binding":
            continue
        value = nixast.unwrap(binding.child_by_field_name("expression"))
        if value is None or value.type != "function_expression":
            continue
        shape = overlay_shape(data, value)
        if shape.kind in ("overlay", "one-arg"):
            found.append((value, shape, True))
        elif shape.kind == "formals":
            body = strip(value.child_by_field_name("body"))
            if body is not None and body.type in ATTRSETS and not _values_are_functions(data, body):
                found.append((value, shape, True))
    if not any(shape.kind == "overlay" for _, shape, _ in found):
        return []
    return found


# ---------------------------------------------------------------- nixpkgs instances


@dataclass
class NixpkgsImport:
    node: object  # the whole `import nixpkgs { … }` application
    target: str  # dotted name of what is imported (`inputs.nixpkgs`)
    input: str  # the input name (`nixpkgs`, `nixpkgs-unstable`)
    arguments: object  # the attrset literal, or None when not a literal


def _input_name(dotted: str | None) -> str | None:
    if not dotted:
        return None
    parts = dotted.split(".")
    if parts[-1] == "outPath":
        parts = parts[:-1]
    if parts[:2] == ["self", "inputs"]:
        parts = parts[2:]
    elif parts[:1] == ["inputs"]:
        parts = parts[1:]
    if len(parts) != 1:
        return None
    name = parts[0]
    return name if "nixpkgs" in name.lower() else None


def nixpkgs_imports(source, inputs: set[str] | None = None) -> list[NixpkgsImport]:
    """``import nixpkgs { … }`` / ``import inputs.nixpkgs-unstable { … }`` calls.

    With ``inputs`` (the flake's declared input names), a name must be one of
    them (or ``nixpkgs``): a local ``nixpkgsPath`` is not an input.
    """
    found = source.derived.get("nixpkgs_imports")
    if found is None:
        # Found once per parsed file: the overlay sites, FL404's and FL406's
        # summaries each ask in the per-file stage (one walk of the calls, not three).
        found = source.derived["nixpkgs_imports"] = _nixpkgs_imports(source)
    if inputs is None:
        return list(found)
    return [call for call in found if call.input in inputs or call.input == "nixpkgs"]


#: How an application of ``import``/``builtins.import`` begins.
_IMPORT_STARTS = (b"import", b"builtins", b"(")


def _nixpkgs_imports(source) -> list[NixpkgsImport]:
    data = source.data
    found = []
    if b"import" not in data or (b"nixpkgs" not in data and b"nixpkgs" not in data.lower()):
        return found  # the exact bytes first: most files that have them say `nixpkgs`, no copy of the file
    for node in source.captures("(apply_expression) @a").get("a", []):
        if not data.startswith(_IMPORT_STARTS, node.start_byte):
            continue  # its head is not `import` (a call starts with its head, or a parenthesis around it)
        head, args = nixast.apply_head(node)
        if len(args) != 2 or nixast.dotted_name(data, head) not in ("import", "builtins.import"):
            continue
        if node.parent is not None and node.parent.type == "apply_expression" and node.parent.child_by_field_name("function") == node:
            continue
        target = nixast.dotted_name(data, args[0])
        name = _input_name(target)
        if name is None:
            continue
        arguments = nixast.unwrap(args[1])
        found.append(NixpkgsImport(node, target, name, arguments if arguments is not None and arguments.type in ATTRSETS else None))
    found.sort(key=lambda call: call.node.start_byte)
    return found


def legacy_packages(source, inputs: set[str] | None = None) -> list[tuple[object, str]]:
    """``inputs.nixpkgs.legacyPackages.<system>`` selections: (node, input name)."""
    data = source.data
    found = []
    if b"legacyPackages" not in data:
        return found
    for node in nixast.captures("(select_expression) @s", source.root_node).get("s", []):
        base = nixast.unwrap(node.child_by_field_name("expression"))
        names = nixast.attrpath_names(data, node.child_by_field_name("attrpath"))
        if "legacyPackages" not in names:
            continue
        index = names.index("legacyPackages")
        prefix = nixast.dotted_name(data, base)
        if prefix is None or any(n is None for n in names[:index]):
            continue
        name = _input_name(".".join([prefix, *names[:index]]))
        if name is not None and (inputs is None or name in inputs or name == "nixpkgs"):
            found.append((node, name))
    found.sort(key=lambda item: item[0].start_byte)
    return found


# ---------------------------------------------------------------- where overlays are applied


def applies_overlays(source) -> bool:
    """Does this file apply overlays: a ``nixpkgs.overlays`` binding or ``import nixpkgs { overlays }``?"""
    data = source.data
    if b"overlays" not in data:
        return False
    for binding in named_bindings(source, b"overlays"):  # the path ends in `overlays`: the binding's own does
        path = nixast.full_attrpath(data, binding)
        if path[-2:] == ["nixpkgs", "overlays"]:
            return True
    for call in nixpkgs_imports(source):
        if call.arguments is None:
            continue
        if any(b.type == "binding" and nixast.binding_path(data, b) == ["overlays"] for b in _bindings(call.arguments)):
            return True
    return False


def overlay_references(source) -> tuple[set[str], bool]:
    """Names used as ``….overlays.<name>``, and whether ``….overlays`` is used as a whole.

    ``self.overlays.default`` names ``default``; ``attrValues self.overlays``,
    ``inherit (self.overlays) …``, ``with outputs.overlays; …`` use them all
    (as far as flakelint can tell).
    """
    data = source.data
    names: set[str] = set()
    whole = False
    if b"overlays" not in data:
        return names, whole
    found = nixast.captures("(select_expression) @s (variable_expression) @v (inherited_attrs) @i", source.root_node)
    for node in found.get("s", []):
        base = nixast.unwrap(node.child_by_field_name("expression"))
        attrpath = node.child_by_field_name("attrpath")
        parts = nixast.attrpath_names(data, attrpath) if attrpath is not None else []
        first = nixast.node_text(data, base) if base is not None and base.type == "variable_expression" else None
        chain = [first] + parts
        for index, part in enumerate(chain):
            if part != "overlays":
                continue
            following = chain[index + 1] if index + 1 < len(chain) else ""
            if following:
                names.add(following)
            else:
                whole = True  # `….overlays` as a whole, or `….overlays.${name}`
    for node in found.get("v", []):
        if nixast.node_text(data, node) == "overlays":
            parent = node.parent
            if parent is not None and parent.type == "select_expression" and parent.child_by_field_name("expression") == node:
                continue  # `overlays.x`: counted above
            whole = True
    for node in found.get("i", []):
        if any(nixast.attr_name(data, a) == "overlays" for a in node.named_children):
            whole = True
    return names, whole
