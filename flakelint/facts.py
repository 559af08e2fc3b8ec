"""Per-file facts for the import graph: every path a file refers to, and how.

Extracted from one file's tree alone (no other file is needed), so the facts
are small, picklable and cacheable. A path's *usage* says what Nix does with
it, which decides what it reaches:

``import``        ``import ./x`` / ``import ./x args`` / ``scopedImport``
``callPackage``   ``*.callPackage ./x { }`` and ``callPackageWith … ./x``
``imports``       an element of an ``imports = [ … ]`` list (module import)
``modules``       an element of ``modules = [ … ]`` (nixosSystem & co.)
``home-module``   ``home-manager.users.<u> = ./x`` or ``sharedModules``
``tree``          a directory loader: ``import-tree``, haumea ``load``,
                  snowfall ``mkFlake { src = ./.; }``
``src``           a ``src = ./.`` source tree of a derivation (not Nix code)
``guard``         ``builtins.pathExists ./x``
``read``          ``readFile``/``fromJSON``/... of a data file
``value``         anything else (passed to a function flakelint does not know)

A path is *exact* (``./hosts/laptop``), a *pattern* when part of it is
computed (``./hosts/${name}`` -> ``hosts/*``), *outside* the flake root
(``../x``), or *absolute*.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from flakelint import nixast
from flakelint.parse import update_read_as_path

INTERPOLATED = "\x00"  # one unknown piece inside a path component
UNKNOWN_REST = "\x01"  # an unknown suffix: anything below
SELF_BASES = {"self", "inputs.self", "self.outPath", "inputs.self.outPath"}
MODULE_LISTS = {"imports": "imports", "modules": "modules", "sharedModules": "home-module"}
MODULE_USAGES = {"import", "callPackage", "imports", "modules", "home-module"}
LIST_WRAPPERS = {"optionals", "optional", "mkIf", "mkMerge", "mkBefore", "mkAfter", "mkOrder", "mkDefault", "mkForce", "mkOverride", "flatten", "concatLists", "unique"}
READERS = {"readFile", "fromJSON", "fromTOML", "importJSON", "importTOML", "readFileType", "hashFile", "readLines", "fileContents"}
TREE_LOADERS = {"import-tree", "importTree"}
TREE_SRC_FUNCTIONS = {"mkFlake", "load", "loadEvaluators", "mkLib"}


@dataclass(frozen=True)
class PathRef:
    source: str  # the referring file, root-relative
    written: str  # the path as written (for messages)
    kind: str  # "exact" | "pattern" | "outside" | "absolute"
    target: str  # root-relative path ("." for the root) or glob
    usage: str
    start: int
    end: int
    group: int | None = None  # identity of the imports/modules list (FL205)
    anonymous: bool = False  # `import ./m.nix` as a module list element (FL208)
    eager: bool = False  # an import forced when the file itself is evaluated (FL206)
    skip_underscore: bool = False  # import-tree convention: ignore paths with a /_ component
    #: For a string like "${./dir}/rest": the path that must exist (./dir);
    #: the rest need not, unless the string is imported.
    literal: str | None = None
    #: "home-manager" when the path sits inside `home-manager.users.<u>` or
    #: `home-manager.sharedModules` of another module: that part is evaluated
    #: by home-manager whatever the file's own context is.
    scope: str | None = None
    builder: str | None = None  # for `modules` lists: the function called (nixosSystem, …)
    attrpath: tuple = ()  # the attribute the path is bound to, through nested sets

    @property
    def module_like(self) -> bool:
        return self.usage in MODULE_USAGES


@dataclass
class FileFacts:
    path: str
    refs: list[PathRef]
    has_errors: bool


#: Files this large may be nested deeper than tree-sitter queries handle well
#: (they slow down sharply and miss matches past ~32k levels).
DEEP_CHECK_BYTES = 64 * 1024
MAX_DEPTH = 10_000
PATHS_QUERY = "(path_expression) @path"  # shared with other rules through SourceFile.captures
SELF_NAMES_QUERY = '((variable_expression name: (identifier) @name) (#any-of? @name "self" "inputs"))'


def file_facts(source) -> FileFacts:
    data = source.data
    directory = posixpath.dirname(source.path)
    refs: list[PathRef] = []
    seen: set[int] = set()
    if len(data) > DEEP_CHECK_BYTES and nixast.deeper_than(source.root_node, MAX_DEPTH):
        # Too deeply nested to analyse reliably: no facts, and the file counts
        # as unknown (rules that need its paths stay silent).
        return FileFacts(path=source.path, refs=[], has_errors=True)
    found = {"path": source.captures(PATHS_QUERY).get("path", [])}
    names = source.captures(SELF_NAMES_QUERY).get("name", []) if b"self" in data or b"inputs" in data else []
    found["self"] = [_self_expression(data, name) for name in names]
    has_errors = source.root_node.has_error
    for node in found.get("path", []):
        if node.start_byte in seen or (has_errors and nixast.has_error_ancestor(node)):
            continue
        ref = _path_ref(source, node, directory)
        if ref is not None:
            seen.add(node.start_byte)
            refs.append(ref)
    for base in found["self"]:
        node = _self_container(base)
        if node is None:
            continue
        ref = _self_ref(source, node)
        if ref is not None and not (has_errors and nixast.has_error_ancestor(node)):
            refs.append(ref)
    refs.sort(key=lambda r: r.start)
    return FileFacts(path=source.path, refs=refs, has_errors=source.root_node.has_error)


def _path_ref(source, node, directory: str) -> PathRef | None:
    data = source.data
    pieces = []
    for child in node.named_children:
        if child.type == "path_fragment":
            pieces.append(nixast.node_text(data, child))
        elif child.type == "interpolation":
            pieces.append(INTERPOLATED)
    raw = "".join(pieces)
    if update_read_as_path(raw) or raw.endswith("/") or "//" in raw:
        return None  # `a//b` (the update operator) or a path Nix rejects (FL001)
    if raw.startswith("/") and _is_suffix_operand(node):
        return None  # `self + /modules/x.nix`: part of the path on the left
    if raw.startswith("/"):
        base, rest = None, raw
    else:
        # `./x`, `../x`, and also `x/y.nix`: any path literal without a
        # leading slash is relative to the file.
        base, rest = directory, raw
    expression, suffix, in_string = _compose(data, node)
    literal = posixpath.normpath(posixpath.join(directory or ".", raw)) if base is not None else raw
    rest += suffix
    if base is None:
        return _make(source, node, expression, "absolute", rest)
    joined = posixpath.normpath(posixpath.join(base or ".", rest))
    if joined == ".." or joined.startswith("../"):
        return _make(source, node, expression, "outside", joined)
    if in_string and INTERPOLATED not in literal and not literal.startswith(".."):
        # "${./dir}/rest" is a string: only ./dir is copied to the store, and
        # "rest" need not exist unless the string is imported.
        return _make(source, node, expression, _kind(joined), joined, literal=literal)
    return _make(source, node, expression, _kind(joined), joined)


def _self_expression(data: bytes, name):
    """From the identifier ``self``/``inputs`` to the largest ``self``-like expression around it."""
    node = name.parent  # the variable_expression
    parent = node.parent
    if parent is not None and parent.type == "select_expression" and parent.child_by_field_name("expression") == node:
        if nixast.dotted_name(data, parent) in SELF_BASES:
            return parent
    return node


def _self_container(base):
    """The ``+`` or string whose leftmost part is this ``self`` expression, if any."""
    expression = nixast.outer(base)
    parent = expression.parent
    if parent is None:
        return None
    if parent.type == "binary_expression" and parent.child_by_field_name("left") == expression:
        return parent
    if parent.type == "interpolation" and parent.parent is not None and parent.parent.type in (
        "string_expression",
        "indented_string_expression",
    ):
        return parent.parent
    return None


def _self_ref(source, node) -> PathRef | None:
    """``self + "/x"`` or ``"${self}/x"``: a path from the flake root."""
    data = source.data
    if node.type == "binary_expression":
        operator = node.child_by_field_name("operator")
        if operator is None or operator.type != "+":
            return None
        left = nixast.unwrap(node.child_by_field_name("left"))
        if nixast.dotted_name(data, left) not in SELF_BASES:
            return None
        if node.parent is not None and node.parent.type == "binary_expression" and node.parent.child_by_field_name("left") == node:
            return None  # the outermost `+` chain is handled from its own left operand
        expression, suffix, _ = _compose(data, left)
    else:
        parts = node.named_children
        if not parts or parts[0].type != "interpolation":
            return None
        inner = parts[0].named_children[0] if parts[0].named_children else None
        if nixast.dotted_name(data, inner) not in SELF_BASES:
            return None
        suffix = _string_pieces(data, parts[1:])
        expression = node
    if not suffix.startswith("/"):
        return None
    joined = posixpath.normpath(suffix.lstrip("/") or ".")
    if node.type != "binary_expression" and _kind(joined) == "exact":
        return _make(source, node, expression, "exact", joined, literal=".")
    if joined == ".." or joined.startswith("../"):
        return _make(source, node, expression, "outside", joined)
    return _make(source, node, expression, _kind(joined), joined)


def _kind(joined: str) -> str:
    return "pattern" if INTERPOLATED in joined or UNKNOWN_REST in joined else "exact"


def _compose(data: bytes, node):
    """Follow ``./x + "/y"`` and ``"${./x}/y"`` outwards: the whole expression and the added suffix."""
    expression = nixast.outer(node)
    suffix = ""
    in_string = False
    parent = expression.parent
    if parent is not None and parent.type == "interpolation":
        string = parent.parent
        if string is not None and string.named_children and string.named_children[0] == parent:
            suffix += _string_pieces(data, string.named_children[1:])
            expression = nixast.outer(string)
            in_string = True
    while True:
        parent = expression.parent
        if parent is None or parent.type != "binary_expression" or parent.child_by_field_name("left") != expression:
            break
        operator = parent.child_by_field_name("operator")
        if operator is None or operator.type != "+":
            break
        right = nixast.unwrap(parent.child_by_field_name("right"))
        if right is not None and right.type in ("string_expression", "indented_string_expression"):
            suffix += _string_pieces(data, right.named_children)
        elif right is not None and right.type == "path_expression" and nixast.node_text(data, right).startswith("/"):
            suffix += _path_pieces(data, right)  # `self + /x`: Nix appends the absolute path
        else:
            suffix += "/" + UNKNOWN_REST
        expression = nixast.outer(parent)
    return expression, suffix, in_string


def _path_pieces(data: bytes, node) -> str:
    return "".join(
        nixast.node_text(data, child) if child.type == "path_fragment" else INTERPOLATED
        for child in node.named_children
        if child.type in ("path_fragment", "interpolation")
    )


def _is_suffix_operand(node) -> bool:
    expression = nixast.outer(node)
    parent = expression.parent
    if parent is None or parent.type != "binary_expression" or parent.child_by_field_name("right") != expression:
        return False
    operator = parent.child_by_field_name("operator")
    return operator is not None and operator.type == "+"


def _string_pieces(data: bytes, parts) -> str:
    out = []
    for part in parts:
        if part.type == "string_fragment":
            out.append(nixast.node_text(data, part))
        elif part.type == "interpolation":
            out.append(INTERPOLATED)
        elif part.type == "escape_sequence":
            out.append(nixast.node_text(data, part)[1:])
    return "".join(out)


def to_glob(target: str) -> str:
    """A pattern target as an anchored glob (``hosts/*/configuration.nix``)."""
    parts = []
    for component in target.split("/"):
        if UNKNOWN_REST in component:
            parts.append("**")
            break
        parts.append("*" if component == INTERPOLATED else component.replace(INTERPOLATED, "*"))
    return "/".join(parts)


def _make(source, node, expression, kind: str, target: str, literal: str | None = None) -> PathRef:
    usage, group, anonymous, eager, skip_underscore = _usage(source.data, expression)
    if _in_documentation(source.data, expression):
        usage = "doc"
    builder, attrpath = _binding_context(source.data, expression)
    written = nixast.node_text(source.data, expression)
    if len(written) > 120:
        written = written[:117] + "..."
    return PathRef(
        source=source.path,
        written=written,
        kind=kind,
        target=to_glob(target) if kind == "pattern" else target,
        usage=usage,
        start=node.start_byte if expression.type == "binary_expression" else expression.start_byte,
        end=expression.end_byte,
        group=group,
        anonymous=anonymous,
        eager=eager,
        skip_underscore=skip_underscore,
        builder=builder,
        attrpath=attrpath,
        literal=literal,
        scope=_enclosing_scope(source.data, expression),
    )


def _enclosing_scope(data: bytes, expression) -> str | None:
    names: list = []
    node = expression
    for _ in range(512):
        parent = node.parent
        if parent is None:
            break
        if parent.type == "binding":
            names[:0] = nixast.binding_path(data, parent)
        node = parent
    for index in range(len(names) - 1):
        if names[index] == "home-manager" and names[index + 1] in ("users", "sharedModules"):
            return "home-manager"
    return None


DOCUMENTATION_ATTRS = {"example", "defaultText", "description", "literalExpression", "literalExample", "literalMD"}


def _in_documentation(data: bytes, expression) -> bool:
    """Inside an option's ``example``/``defaultText`` (or ``literalExpression``): never evaluated."""
    node = expression
    for _ in range(64):
        parent = node.parent
        if parent is None:
            return False
        if parent.type == "binding":
            names = nixast.binding_path(data, parent)
            if names and names[-1] in DOCUMENTATION_ATTRS:
                return True
        if parent.type == "apply_expression" and parent.child_by_field_name("argument") == node:
            head, _ = nixast.apply_head(parent)
            if nixast.call_name(data, head) in DOCUMENTATION_ATTRS:
                return True
        node = parent
    return False


def _binding_context(data: bytes, expression):
    """The builder of the enclosing ``modules`` list, and the nearest binding's full path."""
    node = nixast.outer(expression)
    for _ in range(256):
        parent = node.parent
        if parent is None:
            return None, ()
        if parent.type == "binding":
            names = tuple(nixast.full_attrpath(data, parent))
            builder = _enclosing_call_name(data, parent) if names and names[-1] in MODULE_LISTS else None
            return builder, names
        if parent.type in ("let_expression", "function_expression", "source_code"):
            return None, ()
        node = parent
    return None, ()


def _usage(data: bytes, expression):
    """(usage, list group, anonymous module import, eager import, skip /_ paths)."""
    context = nixast.outer(expression)
    parent = context.parent
    if parent is not None and parent.type == "apply_expression" and parent.child_by_field_name("argument") == context:
        head, _args = nixast.apply_head(parent)
        name = nixast.call_name(data, head)
        if name in ("import", "scopedImport"):
            application = _outermost_application(parent)
            group, _ = _module_list_of(data, application)
            return "import", group, group is not None, _is_eager(application), False
        if name is not None and name.startswith("callPackage"):
            return "callPackage", None, False, False, False
        if name in TREE_LOADERS:
            return "tree", None, False, False, True
        if name == "pathExists":
            return "guard", None, False, False, False
        if name in READERS:
            return "read", None, False, False, False
        return "value", None, False, False, False
    group, usage = _module_list_of(data, context)
    if usage is not None:
        return usage, group, False, False, False
    if parent is not None and parent.type == "binding":
        names = nixast.full_attrpath(data, parent)
        last = names[-1] if names else None
        if last in MODULE_LISTS:
            return MODULE_LISTS[last], None, False, False, False
        if _is_home_manager_user(names):
            return "home-module", None, False, False, False
        if _is_module_output(names):
            return "modules", None, False, False, False
        if last == "src":
            function = _enclosing_call_name(data, parent)
            if function in TREE_SRC_FUNCTIONS:
                return "tree", None, False, False, False
            return "src", None, False, False, False
    return "value", None, False, False, False


def _outermost_application(node):
    node = nixast.outer(node)
    while node.parent is not None and node.parent.type == "apply_expression" and node.parent.child_by_field_name("function") == node:
        node = nixast.outer(node.parent)
    return node


def _module_list_of(data: bytes, node):
    """If ``node`` is an element of an imports/modules list: (group id, usage)."""
    node = nixast.outer(node)
    parent = node.parent
    if parent is None or parent.type != "list_expression":
        return None, None
    current = nixast.outer(parent)
    for _ in range(64):
        up = current.parent
        if up is None:
            return None, None
        if up.type == "binary_expression":
            operator = up.child_by_field_name("operator")
            if operator is None or operator.type != "++":
                return None, None
            current = nixast.outer(up)
            continue
        if up.type == "apply_expression" and up.child_by_field_name("argument") == current:
            head, _ = nixast.apply_head(up)
            if nixast.call_name(data, head) in LIST_WRAPPERS:
                current = nixast.outer(_outermost_application(up))
                continue
            return None, None
        if up.type == "binding":
            names = nixast.binding_path(data, up)
            last = names[-1] if names else None
            if last in MODULE_LISTS:
                return up.start_byte, MODULE_LISTS[last]
        return None, None
    return None, None


def _is_home_manager_user(names: list[str | None]) -> bool:
    """``home-manager.users.<u>`` (the binding's own path; nested sets are seen by full_attrpath)."""
    return len(names) >= 3 and names[-3] == "home-manager" and names[-2] == "users"


MODULE_OUTPUTS = {"nixosModules", "nixosModule", "homeModules", "homeManagerModules", "homeManagerModule", "darwinModules", "darwinModule", "flakeModules", "flakeModule"}


def _is_module_output(names: list[str | None]) -> bool:
    """``nixosModules.x = ./x`` (also ``flake.nixosModules.x`` in flake-parts)."""
    if names and names[0] == "flake":
        names = names[1:]
    return len(names) >= 1 and names[0] in MODULE_OUTPUTS


def _enclosing_call_name(data: bytes, binding) -> str | None:
    """For a binding inside ``f { … }``: the last name of ``f``."""
    attrset = binding.parent.parent if binding.parent is not None else None
    if attrset is None or attrset.type not in ("attrset_expression", "rec_attrset_expression"):
        return None
    context = nixast.outer(attrset)
    parent = context.parent
    if parent is not None and parent.type == "apply_expression" and parent.child_by_field_name("argument") == context:
        head, _ = nixast.apply_head(parent)
        return nixast.call_name(data, head)
    return None


def _is_eager(application) -> bool:
    """Is this import evaluated as soon as the file's value is needed?

    Inside an attribute set value, a list element or a function other than
    the file's own top-level function, it is lazy: Nix evaluates it only when
    that value is used, so a cycle through it is not necessarily infinite.
    """
    node = application
    while node.parent is not None:
        parent = node.parent
        if parent.type == "list_expression":
            return False
        if parent.type == "binding":
            binding_set = parent.parent
            owner = binding_set.parent if binding_set is not None else None
            if owner is not None and owner.type in ("attrset_expression", "rec_attrset_expression"):
                return False
        if parent.type == "function_expression" and parent.child_by_field_name("body") == node:
            if not _is_top_level_function(parent):
                return False
        node = parent
    return True


def _is_top_level_function(function) -> bool:
    node = function
    while node.parent is not None:
        parent = node.parent
        if parent.type == "source_code":
            return True
        if parent.type in nixast.WRAPPERS:
            node = parent
            continue
        if parent.type == "function_expression" and parent.child_by_field_name("body") == node:
            node = parent
            continue
        return False
    return True
