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
    #: The framework the file names that loads files by convention
    #: (:data:`AUTOWIRING_MARKERS`), if any: the graph cannot follow those.
    autowiring: str | None = None


#: Names that mark a framework loading files by directory convention with no
#: path in flake.nix to follow.
AUTOWIRING_MARKERS = (
    "blueprint",  # numtide/blueprint: hosts/, modules/, packages/ by convention
    "autoWire",  # nixos-unified's flake-parts modules (autoWire, autoWiring)
    "autoWiring",
    "nixos-unified",
    "ez-configs",  # ez-configs: configurations from directories
    "ezConfigs",
    "flakelight",  # flakelight: nixDir autoloading
    "clan-core",  # clan: machines/<name>/configuration.nix by convention
    "buildClan",
)
_AUTOWIRING_BYTES = tuple(marker.encode() for marker in AUTOWIRING_MARKERS)


def detect_autowiring(source) -> str | None:
    """The first marker (in document order) a variable or attribute selection of the file names."""
    data = source.data
    if not any(marker in data for marker in _AUTOWIRING_BYTES):
        return None
    found = nixast.captures("(variable_expression) @name (select_expression) @name", source.root_node)
    for node in sorted(found.get("name", []), key=lambda n: (n.start_byte, n.end_byte)):
        dotted = nixast.dotted_name(data, node)
        if not dotted:
            continue
        parts = dotted.split(".")
        for marker in AUTOWIRING_MARKERS:
            if marker in parts or dotted.endswith(marker):
                return marker
    return None


#: Files this large may be nested deeper than tree-sitter queries handle well
#: (they slow down sharply and miss matches past ~32k levels): past MAX_DEPTH
#: such a file gets no facts, whatever finds its paths.
DEEP_CHECK_BYTES = 64 * 1024
MAX_DEPTH = 10_000
#: Other rules read the file's path literals through ``SourceFile.captures``
#: of this query; :func:`file_facts` finds them anyway and fills that entry.
PATHS_QUERY = "(path_expression) @path"
SELF_NAMES = (b"self", b"inputs")  # the variables a path from the flake root starts with
ATTRSETS = ("attrset_expression", "rec_attrset_expression")
STRINGS = ("string_expression", "indented_string_expression")


class _BindingNames:
    """The attribute names of one file's bindings, each read once.

    The paths of a file share their enclosing bindings, and classifying one
    path reads the same bindings several times (scope, documentation, module
    list, full attribute path).
    """

    __slots__ = ("data", "_paths", "_home_manager", "contexts", "scopes")

    def __init__(self, data: bytes):
        self.data = data
        self._paths: dict[int, list] = {}
        self._home_manager: bool | None = None
        #: A binding's start byte -> what :func:`_binding_context` finds at
        #: it, and the home-manager scope of the bindings down to it
        #: (:func:`_enclosing_scope`): both depend on the binding and its
        #: ancestors only, and the paths of a list share them.
        self.contexts: dict[int, tuple] = {}
        self.scopes: dict[int, str | None] = {}

    def may_name_home_manager(self) -> bool:
        """Can an attribute of this file be named ``home-manager``?

        Only if that is the text of the file, or a string spells it with escapes.
        """
        if self._home_manager is None:
            self._home_manager = b"home-manager" in self.data or b"\\" in self.data
        return self._home_manager

    def binding_path(self, binding) -> list[str | None]:
        key = binding.start_byte  # bindings start with their attrpath: no two share a start
        found = self._paths.get(key)
        if found is None:
            found = self._paths[key] = nixast.binding_path(self.data, binding)
        return found


class _Chain:
    """A node with all its ancestors, root first: ``nodes[-1]`` is the node, ``types`` their types.

    Deciding what a path is used for climbs from it many times (parentheses,
    ``+`` chains, lists, bindings, functions). tree-sitter's ``Node.parent``
    walks down from the root on every call, so it costs the node's depth; the
    walk that finds a path already passes through its ancestors, so it keeps
    them, and climbing becomes indexing: the parent of ``nodes[k]`` is
    ``nodes[k - 1]`` (none for ``k == 0``).
    """

    __slots__ = ("nodes", "types", "names")

    def __init__(self, nodes: tuple, types: tuple, names: _BindingNames):
        self.nodes = nodes
        self.types = types
        self.names = names

    def outer(self, k: int) -> int:
        """:func:`nixast.outer` of ``nodes[k]``, as an index: parentheses climbed."""
        types = self.types
        while k > 0 and types[k - 1] in nixast.WRAPPERS:
            k -= 1
        return k

    def is_field(self, parent: int, field: str, k: int) -> bool:
        """Is ``nodes[k]`` the ``field`` child of ``nodes[parent]``?"""
        return self.nodes[parent].child_by_field_name(field) == self.nodes[k]

    def binding_path(self, k: int) -> list[str | None]:
        """:func:`nixast.binding_path` of the binding ``nodes[k]`` (shared: do not mutate)."""
        return self.names.binding_path(self.nodes[k])


def file_facts(source) -> FileFacts:
    """The facts of one file, computed once per parsed file (rules' summaries ask again)."""
    memo = getattr(source, "derived", None)
    found = memo.get("facts") if memo is not None else None
    if found is None:
        found = _file_facts(source)
        if memo is not None:
            memo["facts"] = found
    return found


def _file_facts(source) -> FileFacts:
    data = source.data
    root = source.root_node
    refs: list[PathRef] = []
    seen: set[int] = set()
    if len(data) > DEEP_CHECK_BYTES and nixast.deeper_than(root, MAX_DEPTH):
        # Too deeply nested to analyse reliably: no facts, and the file counts
        # as unknown (rules that need its paths stay silent).
        return FileFacts(path=source.path, refs=[], has_errors=True, autowiring=detect_autowiring(source))
    has_errors = root.has_error
    bindings = _BindingNames(data)
    paths, names = _walk_all(root, bindings) if has_errors else _walk_candidates(root, bindings)
    # The nodes the query would capture (in document order, which the query
    # does not promise; its one other reader, FL114, does not depend on order).
    source.remember_captures(PATHS_QUERY, {"path": [chain.nodes[-1] for chain in paths]} if paths else {})
    directory = posixpath.dirname(source.path) if paths else ""
    for chain in paths:
        last = len(chain.nodes) - 1
        if chain.nodes[last].start_byte in seen or (has_errors and _has_error_ancestor(chain, last)):
            continue
        ref = _path_ref(source, chain, directory)
        if ref is not None:
            seen.add(chain.nodes[last].start_byte)
            refs.append(ref)
    for chain in names:
        base = _self_expression(data, chain)
        container = _self_container(chain, base)
        if container is None:
            continue
        ref = _self_ref(source, chain, container, base)
        if ref is not None and not (has_errors and _has_error_ancestor(chain, container)):
            refs.append(ref)
    refs.sort(key=lambda r: r.start)
    return FileFacts(path=source.path, refs=refs, has_errors=has_errors, autowiring=detect_autowiring(source))


def _record(nodes: list, types: list, bindings: _BindingNames, paths: list, names: list) -> None:
    """Keep the walk's current node (``nodes[-1]``) if it is a path literal or a ``self``/``inputs`` variable."""
    kind = types[-1]
    if kind == "path_expression":
        paths.append(_Chain(tuple(nodes), tuple(types), bindings))
    elif kind == "identifier" and _is_self_name(bindings.data, nodes, types):
        names.append(_Chain(tuple(nodes), tuple(types), bindings))


def _walk_all(root, bindings: _BindingNames):
    """Every ``path_expression`` and ``self``/``inputs`` variable, as chains, in document order.

    Visits every node (what a query would do), for trees with errors, where
    a node's text is no reliable guide to what lies inside it.
    """
    paths: list = []
    names: list = []
    cursor = root.walk()
    nodes, types = [root], [root.type]
    while True:
        _record(nodes, types, bindings, paths, names)
        if cursor.goto_first_child():
            node = cursor.node
            nodes.append(node)
            types.append(node.type)
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return paths, names
            nodes.pop()
            types.pop()
        node = cursor.node
        nodes[-1] = node
        types[-1] = node.type


def _walk_candidates(root, bindings: _BindingNames):
    """What :func:`_walk_all` finds, for a tree without errors, looking only at a few bytes.

    Every path literal holds a ``/``, and a ``self`` variable starts where
    its name does; without errors every token lies inside its ancestors'
    ranges. So for each ``/``, ``self`` and ``inputs`` in the bytes,
    tree-sitter finds the token holding it (in C); only when that is a path
    fragment or an identifier does Python descend to collect its ancestors
    (from the deepest ancestor it shares with the previous such token: they
    come in document order). The rest of a token reached is skipped (the
    slashes of a URL in a comment or a string).
    """
    paths: list = []
    names: list = []
    recorded: set[int] = set()  # start bytes of the path literals found
    data = bindings.data
    starts = _occurrences(data, SELF_NAMES[0])
    more = _occurrences(data, SELF_NAMES[1])
    if more:
        starts = sorted(starts + more)
    find = data.find
    slash = find(b"/")
    index = limit = 0
    nodes, types = [root], [root.type]  # the last token descended to, with its ancestors
    while True:
        if 0 <= slash < limit:
            slash = find(b"/", limit)
        while index < len(starts) and starts[index] < limit:
            index += 1
        name = starts[index] if index < len(starts) else -1
        if name < 0 and slash < 0:
            return paths, names
        if name < 0 or 0 <= slash < name:
            offset = slash
        else:
            offset = name
            index += 1
        token = root.descendant_for_byte_range(offset, offset + 1)  # the innermost node holding offset
        leaf = token.child_count == 0
        limit = token.end_byte if leaf else offset + 1
        if offset == slash:
            slash = find(b"/", limit)
        if leaf and token.type not in ("path_fragment", "identifier"):
            continue  # a comment, a string fragment, an operator: nothing inside
        kept = _descend_from(nodes, types, token, leaf)
        for depth in range(kept + 1, len(types)):
            if types[depth] == "path_expression" and nodes[depth].start_byte not in recorded:
                recorded.add(nodes[depth].start_byte)
                paths.append(_Chain(tuple(nodes[: depth + 1]), tuple(types[: depth + 1]), bindings))
        if _is_self_name(data, nodes, types):
            names.append(_Chain(tuple(nodes), tuple(types), bindings))


def _descend_from(nodes: list, types: list, target, leaf: bool) -> int:
    """Make ``nodes`` the nodes from the root down to ``target`` (and ``types`` their types).

    ``nodes`` holds the ancestors of an earlier token: when ``target`` is a
    leaf, the deepest of them whose range holds it is kept with everything
    above it (ranges nest, and no other node spans a leaf's bytes, so that
    is an ancestor of ``target``), and the walk goes down from there; any
    other node is reached from the root. Returns the index of the kept node.
    (Not ``Node.first_child_for_byte``: py-tree-sitter 0.26 crashes when no
    child is left at that byte.)
    """
    start, end = target.start_byte, target.end_byte
    kept = len(nodes) - 1 if leaf else 0
    while kept > 0 and not (nodes[kept].start_byte <= start and end <= nodes[kept].end_byte):
        kept -= 1
    del nodes[kept + 1 :]
    del types[kept + 1 :]
    node = nodes[kept]
    while node != target:
        node = node.child_with_descendant(target)
        nodes.append(node)
        types.append(node.type)
    return kept


def _is_self_name(data: bytes, nodes: list, types: list) -> bool:
    """Is ``nodes[-1]`` the name of a ``self`` or ``inputs`` variable?"""
    if types[-1] != "identifier" or len(types) < 2 or types[-2] != "variable_expression":
        return False
    node = nodes[-1]
    return data[node.start_byte : node.end_byte] in SELF_NAMES and nodes[-2].child_by_field_name("name") == node


def _occurrences(data: bytes, word: bytes) -> list[int]:
    found = []
    index = data.find(word)
    while index != -1:
        found.append(index)
        index = data.find(word, index + 1)
    return found


def _has_error_ancestor(chain: _Chain, k: int) -> bool:
    return "ERROR" in chain.types[:k]


def _path_ref(source, chain: _Chain, directory: str) -> PathRef | None:
    data = source.data
    last = len(chain.nodes) - 1
    raw = _path_text(data, chain.nodes[last])
    if update_read_as_path(raw) or raw.endswith("/") or "//" in raw:
        return None  # `a//b` (the update operator) or a path Nix rejects (FL001)
    if raw.startswith("/") and _is_suffix_operand(chain, last):
        return None  # `self + /modules/x.nix`: part of the path on the left
    expression, suffix, in_string = _compose(data, chain, last)
    if raw.startswith("/"):
        return _make(source, chain, last, expression, "absolute", raw + suffix)
    # `./x`, `../x`, and also `x/y.nix`: any path literal without a
    # leading slash is relative to the file.
    joined = posixpath.normpath(posixpath.join(directory or ".", raw + suffix))
    if joined == ".." or joined.startswith("../"):
        return _make(source, chain, last, expression, "outside", joined)
    if in_string:
        literal = posixpath.normpath(posixpath.join(directory or ".", raw)) if suffix else joined
        if INTERPOLATED not in literal and not literal.startswith(".."):
            # "${./dir}/rest" is a string: only ./dir is copied to the store, and
            # "rest" need not exist unless the string is imported.
            return _make(source, chain, last, expression, _kind(joined), joined, literal=literal)
    return _make(source, chain, last, expression, _kind(joined), joined)


def _path_text(data: bytes, path) -> str:
    """A path literal as written, each interpolation as :data:`INTERPOLATED`.

    Most paths are one fragment: its text, without a node per child.
    """
    if path.child_count == 1:
        only = path.child(0)
        if only.type == "path_fragment":
            return nixast.node_text(data, only)
    return _path_pieces(data, path)


def _self_expression(data: bytes, chain: _Chain) -> int:
    """From the identifier ``self``/``inputs`` (last in ``chain``) to the largest ``self``-like expression around it."""
    node = len(chain.nodes) - 2  # the variable_expression
    parent = node - 1
    if parent >= 0 and chain.types[parent] == "select_expression" and chain.is_field(parent, "expression", node):
        if nixast.dotted_name(data, chain.nodes[parent]) in SELF_BASES:
            return parent
    return node


def _self_container(chain: _Chain, base: int) -> int | None:
    """The ``+`` or string whose leftmost part is this ``self`` expression, if any."""
    expression = chain.outer(base)
    if expression == 0:
        return None
    parent = expression - 1
    if chain.types[parent] == "binary_expression" and chain.is_field(parent, "left", expression):
        return parent
    if chain.types[parent] == "interpolation" and parent > 0 and chain.types[parent - 1] in STRINGS:
        return parent - 1
    return None


def _self_ref(source, chain: _Chain, container: int, base: int) -> PathRef | None:
    """``self + "/x"`` or ``"${self}/x"``: a path from the flake root."""
    data = source.data
    node = chain.nodes[container]
    if chain.types[container] == "binary_expression":
        operator = node.child_by_field_name("operator")
        if operator is None or operator.type != "+":
            return None
        left = nixast.unwrap(node.child_by_field_name("left"))
        if nixast.dotted_name(data, left) not in SELF_BASES:
            return None
        if container > 0 and chain.types[container - 1] == "binary_expression" and chain.is_field(container - 1, "left", container):
            return None  # the outermost `+` chain is handled from its own left operand
        # `left` is `base`: the left operand is the base with its parentheses climbed.
        expression, suffix, _ = _compose(data, chain, base)
    else:
        parts = node.named_children
        if not parts or parts[0].type != "interpolation":
            return None
        inner = parts[0].named_children[0] if parts[0].named_children else None
        if nixast.dotted_name(data, inner) not in SELF_BASES:
            return None
        suffix = _string_pieces(data, parts[1:])
        expression = container
    if not suffix.startswith("/"):
        return None
    joined = posixpath.normpath(suffix.lstrip("/") or ".")
    if chain.types[container] != "binary_expression" and _kind(joined) == "exact":
        return _make(source, chain, container, expression, "exact", joined, literal=".")
    if joined == ".." or joined.startswith("../"):
        return _make(source, chain, container, expression, "outside", joined)
    return _make(source, chain, container, expression, _kind(joined), joined)


def _kind(joined: str) -> str:
    return "pattern" if INTERPOLATED in joined or UNKNOWN_REST in joined else "exact"


def _compose(data: bytes, chain: _Chain, k: int):
    """Follow ``./x + "/y"`` and ``"${./x}/y"`` outwards from ``nodes[k]``: the whole expression (an index) and the added suffix."""
    nodes, types = chain.nodes, chain.types
    expression = chain.outer(k)
    suffix = ""
    in_string = False
    if expression > 0 and types[expression - 1] == "interpolation":
        interpolation = expression - 1
        if interpolation > 0:
            string = nodes[interpolation - 1]
            if string.named_children and string.named_children[0] == nodes[interpolation]:
                suffix += _string_pieces(data, string.named_children[1:])
                expression = chain.outer(interpolation - 1)
                in_string = True
    while expression > 0:
        parent = expression - 1
        if types[parent] != "binary_expression" or not chain.is_field(parent, "left", expression):
            break
        operator = nodes[parent].child_by_field_name("operator")
        if operator is None or operator.type != "+":
            break
        right = nixast.unwrap(nodes[parent].child_by_field_name("right"))
        if right is not None and right.type in STRINGS:
            suffix += _string_pieces(data, right.named_children)
        elif right is not None and right.type == "path_expression" and nixast.node_text(data, right).startswith("/"):
            suffix += _path_pieces(data, right)  # `self + /x`: Nix appends the absolute path
        else:
            suffix += "/" + UNKNOWN_REST
        expression = chain.outer(parent)
    return expression, suffix, in_string


def _path_pieces(data: bytes, node) -> str:
    return "".join(
        nixast.node_text(data, child) if child.type == "path_fragment" else INTERPOLATED
        for child in node.named_children
        if child.type in ("path_fragment", "interpolation")
    )


def _is_suffix_operand(chain: _Chain, k: int) -> bool:
    expression = chain.outer(k)
    if expression == 0:
        return False
    parent = expression - 1
    if chain.types[parent] != "binary_expression" or not chain.is_field(parent, "right", expression):
        return False
    operator = chain.nodes[parent].child_by_field_name("operator")
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


def _make(source, chain: _Chain, k: int, e: int, kind: str, target: str, literal: str | None = None) -> PathRef:
    """The PathRef of ``nodes[k]`` (a path, or the ``+``/string holding ``self``), written as ``nodes[e]``."""
    data = source.data
    usage, group, anonymous, eager, skip_underscore = _usage(data, chain, e)
    if _in_documentation(data, chain, e):
        usage = "doc"
    builder, attrpath = _binding_context(data, chain, e)
    expression = chain.nodes[e]
    written = nixast.node_text(data, expression)
    if len(written) > 120:
        written = written[:117] + "..."
    return _new_path_ref({  # PathRef's fields, in their order
        "source": source.path,
        "written": written,
        "kind": kind,
        "target": to_glob(target) if kind == "pattern" else target,
        "usage": usage,
        "start": chain.nodes[k].start_byte if chain.types[e] == "binary_expression" else expression.start_byte,
        "end": expression.end_byte,
        "group": group,
        "anonymous": anonymous,
        "eager": eager,
        "skip_underscore": skip_underscore,
        "literal": literal,
        "scope": _enclosing_scope(data, chain, e),
        "builder": builder,
        "attrpath": attrpath,
    })


def _new_path_ref(fields: dict) -> PathRef:
    """``PathRef(**fields)`` for ``fields`` naming every field in order, at about half the cost.

    A frozen dataclass's ``__init__`` stores each field through
    ``object.__setattr__``; this stores them all at once into the instance
    ``__dict__`` (same contents, same order, so equal, hashed and pickled
    alike). Files have thousands of paths.
    """
    ref = object.__new__(PathRef)
    ref.__dict__.update(fields)
    return ref


def _enclosing_scope(data: bytes, chain: _Chain, e: int) -> str | None:
    """"home-manager" when a binding at most 512 levels above ``nodes[e]`` is in ``home-manager.users``/``sharedModules``."""
    if not chain.names.may_name_home_manager():
        return None
    types = chain.types
    lowest = max(e - 512, 0)
    binding = e - 1
    while binding >= lowest and types[binding] != "binding":
        binding -= 1
    if binding < lowest:
        return None
    if lowest > 0:
        return _scope_of_bindings(chain, lowest, binding)
    # All the bindings above: those of the deepest one, remembered.
    scopes = chain.names.scopes
    key = chain.nodes[binding].start_byte
    if key not in scopes:
        scopes[key] = _scope_of_bindings(chain, 0, binding)
    return scopes[key]


def _scope_of_bindings(chain: _Chain, lowest: int, deepest: int) -> str | None:
    """The scope of the bindings from ``nodes[deepest]`` up to ``nodes[lowest]``, their names joined."""
    names: list = []
    for parent in range(deepest, lowest - 1, -1):
        if chain.types[parent] == "binding":
            names[:0] = chain.binding_path(parent)
    for index in range(len(names) - 1):
        if names[index] == "home-manager" and names[index + 1] in ("users", "sharedModules"):
            return "home-manager"
    return None


DOCUMENTATION_ATTRS = {"example", "defaultText", "description", "literalExpression", "literalExample", "literalMD"}


def _in_documentation(data: bytes, chain: _Chain, e: int) -> bool:
    """Inside an option's ``example``/``defaultText`` (or ``literalExpression``): never evaluated."""
    nodes, types = chain.nodes, chain.types
    node = e
    for _ in range(64):
        if node == 0:
            return False
        parent = node - 1
        if types[parent] == "binding":
            names = chain.binding_path(parent)
            if names and names[-1] in DOCUMENTATION_ATTRS:
                return True
        if types[parent] == "apply_expression" and chain.is_field(parent, "argument", node):
            head, _ = nixast.apply_head(nodes[parent])
            if nixast.call_name(data, head) in DOCUMENTATION_ATTRS:
                return True
        node = parent
    return False


def _binding_context(data: bytes, chain: _Chain, e: int):
    """The builder of the enclosing ``modules`` list, and the nearest binding's full path."""
    node = chain.outer(e)
    for _ in range(256):
        if node == 0:
            return None, ()
        parent = node - 1
        kind = chain.types[parent]
        if kind == "binding":
            contexts = chain.names.contexts
            key = chain.nodes[parent].start_byte
            found = contexts.get(key)
            if found is None:
                names = tuple(_full_attrpath(data, chain, parent))
                builder = _enclosing_call_name(data, chain, parent) if names and names[-1] in MODULE_LISTS else None
                found = contexts[key] = (builder, names)
            return found
        if kind in ("let_expression", "function_expression", "source_code"):
            return None, ()
        node = parent
    return None, ()


def _full_attrpath(data: bytes, chain: _Chain, binding: int, limit: int = 32) -> list[str | None]:
    """:func:`nixast.full_attrpath` of ``nodes[binding]``, climbing the chain instead of ``Node.parent``."""
    names = chain.binding_path(binding)
    node = binding
    for _ in range(limit):
        attrset = node - 2  # node's binding_set's parent
        if attrset < 0 or chain.types[attrset] not in ATTRSETS:
            break
        enclosing = chain.outer(attrset) - 1
        if enclosing < 0 or chain.types[enclosing] != "binding":
            break
        names = chain.binding_path(enclosing) + names
        node = enclosing
    return names


def _usage(data: bytes, chain: _Chain, e: int):
    """(usage, list group, anonymous module import, eager import, skip /_ paths)."""
    nodes, types = chain.nodes, chain.types
    context = chain.outer(e)
    parent = context - 1  # -1: none
    if parent >= 0 and types[parent] == "apply_expression" and chain.is_field(parent, "argument", context):
        head, _args = nixast.apply_head(nodes[parent])
        name = nixast.call_name(data, head)
        if name in ("import", "scopedImport"):
            application = _outermost_application(chain, parent)
            group, _ = _module_list_of(data, chain, application)
            return "import", group, group is not None, _is_eager(chain, application), False
        if name is not None and name.startswith("callPackage"):
            return "callPackage", None, False, False, False
        if name in TREE_LOADERS:
            return "tree", None, False, False, True
        if name == "pathExists":
            return "guard", None, False, False, False
        if name in READERS:
            return "read", None, False, False, False
        return "value", None, False, False, False
    group, usage = _module_list_of(data, chain, context)
    if usage is not None:
        return usage, group, False, False, False
    if parent >= 0 and types[parent] == "binding":
        names = _full_attrpath(data, chain, parent)
        last = names[-1] if names else None
        if last in MODULE_LISTS:
            return MODULE_LISTS[last], None, False, False, False
        if _is_home_manager_user(names):
            return "home-module", None, False, False, False
        if _is_module_output(names):
            return "modules", None, False, False, False
        if last == "src":
            function = _enclosing_call_name(data, chain, parent)
            if function in TREE_SRC_FUNCTIONS:
                return "tree", None, False, False, False
            return "src", None, False, False, False
    return "value", None, False, False, False


def _outermost_application(chain: _Chain, k: int) -> int:
    node = chain.outer(k)
    while node > 0 and chain.types[node - 1] == "apply_expression" and chain.is_field(node - 1, "function", node):
        node = chain.outer(node - 1)
    return node


def _module_list_of(data: bytes, chain: _Chain, k: int):
    """If ``nodes[k]`` is an element of an imports/modules list: (group id, usage)."""
    nodes, types = chain.nodes, chain.types
    node = chain.outer(k)
    if node == 0 or types[node - 1] != "list_expression":
        return None, None
    current = chain.outer(node - 1)
    for _ in range(64):
        if current == 0:
            return None, None
        up = current - 1
        if types[up] == "binary_expression":
            operator = nodes[up].child_by_field_name("operator")
            if operator is None or operator.type != "++":
                return None, None
            current = chain.outer(up)
            continue
        if types[up] == "apply_expression" and chain.is_field(up, "argument", current):
            head, _ = nixast.apply_head(nodes[up])
            if nixast.call_name(data, head) in LIST_WRAPPERS:
                current = chain.outer(_outermost_application(chain, up))
                continue
            return None, None
        if types[up] == "binding":
            names = chain.binding_path(up)
            last = names[-1] if names else None
            if last in MODULE_LISTS:
                return nodes[up].start_byte, MODULE_LISTS[last]
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


def _enclosing_call_name(data: bytes, chain: _Chain, binding: int) -> str | None:
    """For a binding inside ``f { … }``: the last name of ``f``."""
    attrset = binding - 2  # the binding_set's parent
    if attrset < 0 or chain.types[attrset] not in ATTRSETS:
        return None
    context = chain.outer(attrset)
    parent = context - 1
    if parent >= 0 and chain.types[parent] == "apply_expression" and chain.is_field(parent, "argument", context):
        head, _ = nixast.apply_head(chain.nodes[parent])
        return nixast.call_name(data, head)
    return None


def _is_eager(chain: _Chain, application: int) -> bool:
    """Is this import evaluated as soon as the file's value is needed?

    Inside an attribute set value, a list element or a function other than
    the file's own top-level function, it is lazy: Nix evaluates it only when
    that value is used, so a cycle through it is not necessarily infinite.
    """
    types = chain.types
    node = application
    while node > 0:
        parent = node - 1
        if types[parent] == "list_expression":
            return False
        if types[parent] == "binding" and parent >= 2 and types[parent - 2] in ATTRSETS:
            return False  # a binding of a set (its binding_set's parent), not of a `let`
        if types[parent] == "function_expression" and chain.is_field(parent, "body", node):
            if not _is_top_level_function(chain, parent):
                return False
        node = parent
    return True


def _is_top_level_function(chain: _Chain, function: int) -> bool:
    types = chain.types
    node = function
    while node > 0:
        parent = node - 1
        if types[parent] == "source_code":
            return True
        if types[parent] in nixast.WRAPPERS:
            node = parent
            continue
        if types[parent] == "function_expression" and chain.is_field(parent, "body", node):
            node = parent
            continue
        return False
    return True
