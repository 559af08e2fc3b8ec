from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from flakelint import nixast
from flakelint.diagnostic import Severity
from flakelint.facts import MODULE_USAGES, file_facts
from flakelint.graph import FileIndex, resolve
from flakelint.rule import RepoRule
from flakelint.secrets import escape_pattern
from flakelint.wiring import node_at

from . import bindings_named, name_spans

#: configuration kind -> (the option, the component before `stateVersion`, output name)
KINDS = {
    "nixos": ("system.stateVersion", "system", "nixosConfigurations"),
    "darwin": ("system.stateVersion", "system", "darwinConfigurations"),
    "home-manager": ("home.stateVersion", "home", "homeConfigurations"),
}
#: Configurations that can hold home-manager users (`home-manager.users.<u>`).
HOST_KINDS = {"nixos", "darwin"}
HM = "home-manager"
#: Functions whose argument only counts under a condition: a user defined
#: behind one may not exist on the host.
CONDITIONAL_FUNCTIONS = {"optional", "optionals", "optionalAttrs", "mkIf"}
ATTRSETS = ("attrset_expression", "rec_attrset_expression")
MODULE_NODES = (*ATTRSETS, "function_expression")
LIST_FUNCTIONS = {"optionals", "optional", "flatten", "concatLists", "unique", "mkIf", "mkMerge", "mkBefore", "mkAfter", "mkDefault", "mkForce"}
MAX_FILES = 5_000
#: Names under which a flake refers to its own outputs (whose modules may be in the repository).
OWN_OUTPUTS = {"self", "outputs"}
MODULE_OUTPUTS = {"nixosModules", "nixosModule", "homeManagerModules", "homeManagerModule", "homeModules", "darwinModules", "darwinModule"}
MAX_STEPS = 512
SIDES = ("system", "home")
#: Escapes in a quoted name that could spell `stateVersion` / `imports` (see :func:`bindings_named`).
STATE_VERSION_ESCAPE = escape_pattern("stateVersion", lowered=False)
IMPORTS_ESCAPE = escape_pattern("imports", lowered=False)


class Unknown(Exception):
    """Part of the closure cannot be followed: the rule stays silent for this configuration."""


def sets_state_version(data: bytes, root, side: str, captures=None) -> bool:
    """Does this file (or inline module) possibly set ``<side>.stateVersion``?

    Every ``stateVersion`` in the text that is not clearly the other side's
    (``home.stateVersion`` in a NixOS module) counts: when in doubt, it is set.
    ``captures(query)`` runs a query over ``root`` (for a whole file, the
    file's remembered :meth:`~flakelint.parse.SourceFile.captures`).
    """
    return state_version_sides(data, root, captures)[side]


def state_version_sides(data: bytes, root, captures=None) -> dict[str, bool]:
    """:func:`sets_state_version` for both sides, from one look at the module.

    Only the places where the text says ``stateVersion`` are looked at: the
    bindings whose attribute path holds it, and the names and string
    fragments that hold it.
    """
    spans = name_spans(data, root, b"stateVersion")
    if not spans:
        return {side: False for side in SIDES}
    enclosing = []  # the component before `stateVersion` of each `….stateVersion` binding (None: any side)
    for binding in bindings_named(data, root, spans, STATE_VERSION_ESCAPE, captures):
        local = nixast.binding_path(data, binding)
        if not local or local[-1] != "stateVersion":
            continue
        path = nixast.full_attrpath(data, binding)
        enclosing.append(path[-2] if len(path) >= 2 else None)
    found = {}
    mentions = None
    for side in SIDES:
        if any(name is None or name == side for name in enclosing):
            found[side] = True
            continue
        if mentions is None:
            mentions = _mentions(root, spans)
        found[side] = mentions > len(enclosing)  # more mentions than the other side's settings
    return found


def _mentions(root, spans) -> int:
    """How many names and string fragments hold ``stateVersion`` (``inherit stateVersion;`` …), not counting comments.

    Both are leaves: the smallest node over an occurrence is the one that holds it.
    """
    holders = set()
    for start, end in spans:
        node = root.descendant_for_byte_range(start, end)
        if node is not None and node.type in ("identifier", "string_fragment"):
            holders.add((node.start_byte, node.end_byte))
    return len(holders)


def check_imports(data: bytes, root, captures=None) -> None:
    """Raise :class:`Unknown` when an ``imports`` list holds something flakelint cannot follow."""
    spans = name_spans(data, root, b"imports")
    if not spans:
        return  # no `imports` binding to look at (most files)
    for binding in bindings_named(data, root, spans, IMPORTS_ESCAPE, captures):
        path = nixast.binding_path(data, binding)
        if path and path[-1] == "imports":
            _check_list(data, binding.child_by_field_name("expression"))


def _check_list(data: bytes, node) -> None:
    pending = [node]
    steps = 0
    while pending:
        steps += 1
        if steps > MAX_STEPS:
            raise Unknown("imports too complex")
        node = nixast.unwrap(pending.pop())
        if node is None:
            continue
        if node.type == "list_expression":
            pending.extend(_element(data, item) for item in node.named_children if item.type != "comment")
        elif node.type == "binary_expression":
            operator = nixast.node_text(data, node.child_by_field_name("operator"))
            if operator != "++":
                raise Unknown("imports built by an operator")
            pending += [node.child_by_field_name("left"), node.child_by_field_name("right")]
        elif node.type == "apply_expression":
            head, args = nixast.apply_head(node)
            if nixast.call_name(data, head) not in LIST_FUNCTIONS or not args:
                raise Unknown("imports built by a function")
            pending.append(args[-1])
        elif node.type == "_known":
            continue
        else:
            raise Unknown("imports not written as a list")


class _Known:
    type = "_known"


def _element(data: bytes, item):
    """One element of an ``imports`` list: fine (a path, an input's module), or Unknown."""
    item = nixast.unwrap(item)
    if item is None:
        return _Known()
    kind = item.type
    if kind in ("path_expression", "attrset_expression", "rec_attrset_expression", "function_expression"):
        return _Known()  # paths are followed through the graph; inline modules are part of this file's text
    text = nixast.node_text(data, item)
    if kind in ("string_expression", "binary_expression") and ("modulesPath" in text or "./" in text):
        return _Known()  # "${modulesPath}/…" (nixpkgs) or "${./x}" (a path the graph follows)
    if kind == "apply_expression":
        head, args = nixast.apply_head(item)
        if nixast.dotted_name(data, head) in ("import", "builtins.import") and args:
            first = nixast.unwrap(args[0])
            if first is not None and first.type == "path_expression":
                return _Known()
        if nixast.call_name(data, head) in LIST_FUNCTIONS:
            return item  # `optionals c [ … ]` inside a list: checked as a list
    if kind in ("select_expression", "variable_expression"):
        dotted = nixast.dotted_name(data, item) or ""
        parts = dotted.split(".")
        if len(parts) >= 3 and parts[0] == "inputs" and parts[1] != "self":
            return _Known()  # inputs.disko.nixosModules.disko: outside the repository
        if parts[0] not in OWN_OUTPUTS and parts[:2] != ["inputs", "self"] and any(p in MODULE_OUTPUTS for p in parts[1:]):
            return _Known()  # disko.nixosModules.disko, flake-inputs.x.nixosModules.y: another flake's module
    raise Unknown(f"an import flakelint cannot follow: {text[:40]}")


class MissingStateVersion(RepoRule):
    """A host or home configuration whose modules never set `stateVersion`.

    ## What it does
    For each `nixosConfigurations.<host>`, `darwinConfigurations.<host>`
    and `homeConfigurations.<user>` that flakelint's flake model fully
    knows, walks the module closure: the configuration's `modules`, then
    every file they import (`imports`, `import ./x`, directory loaders), and
    reports the configuration when no module in it sets
    `system.stateVersion` (NixOS, nix-darwin) or `home.stateVersion`
    (home-manager). A shared module every host imports counts for every
    host.

    Home-manager users declared inside a NixOS or nix-darwin host are
    checked too. For each `home-manager.users.<name>` defined in the host's
    closure (`home-manager.users.alice = ./home.nix;`, `= import ./home.nix;`,
    an inline module, or the nested spellings `home-manager = { users.alice
    = …; }` and `home-manager.users = { alice = …; }`), the user's home
    closure is every definition of that user in the host's closure, every
    `home-manager.sharedModules` entry, and the files they import. The user
    is reported at its first `home-manager.users.<name>` definition when
    none of them sets `home.stateVersion` (setting
    `home-manager.users.alice.home.stateVersion` from the host counts).
    Configurations built by one call (a `mkHost` function) are reported
    once at that call, and a user several hosts share once, naming them.

    It only reports when the repository part of the closure is completely
    known. Any computed path (`./hosts/${name}`), an `imports` entry it
    cannot follow (`self.nixosModules.x`, a function call, a variable), a
    file it could not parse, or a configuration built by a function it could
    not evaluate makes it silent for that configuration. For home-manager
    users it is also silent when user names are computed
    (`home-manager.users.${user}`, `home-manager.users = genAttrs …`), when a
    user's module is something other than a path, `import` of a path or an
    inline module (another flake's module, a variable, a function call), when `home-manager` settings sit behind `mkIf`/`mkMerge`
    or in a `let`, and for users defined only in modules imported under a
    condition (`optionals`, `mkIf`, `if`). Modules from outside the
    repository (`inputs.<x>.nixosModules.*`, `modulesPath` imports,
    `home-manager.nixosModules.home-manager`) are taken not to set a
    stateVersion.

    ## Why is this bad?
    `stateVersion` tells modules which release's defaults the machine's
    stateful data was created with. Without it, NixOS warns and falls back
    to the current release (so an upgrade can silently change database
    formats and data locations), nix-darwin fails evaluation with an
    assertion (it is mandatory since nix-darwin 24.11), and home-manager
    refuses to evaluate: it has no default since 22.11.

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { nixpkgs, ... }: {
        nixosConfigurations.laptop = nixpkgs.lib.nixosSystem {
          modules = [ ./configuration.nix ];
        };
      };
    }
    # file: configuration.nix
    { ... }:
    {
      networking.hostName = "laptop";
    }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { nixpkgs, ... }: {
        nixosConfigurations.laptop = nixpkgs.lib.nixosSystem {
          modules = [ ./configuration.nix ];
        };
      };
    }
    # file: configuration.nix
    { ... }:
    {
      networking.hostName = "laptop";
      system.stateVersion = "25.05";
    }
    ```

    On nix-darwin, `system.stateVersion` is an integer
    (`system.stateVersion = 6;`); for a home-manager user of a host, set
    `home.stateVersion` in the user's module (or
    `home-manager.users.alice.home.stateVersion = "25.05";` in the host).

    A missing `home.stateVersion` is an error (home-manager refuses to
    evaluate without one since 22.11); a missing `system.stateVersion` is a
    warning.

    ## Known limitations
    Home-manager users are only looked for in the module closures of
    `nixosConfigurations` and `darwinConfigurations` the flake model knows;
    users added by modules from outside the repository are not seen, and a
    `home-manager.sharedModules` entry or NixOS module from another flake
    is taken not to set `home.stateVersion`.
    """

    code = "FL502"
    cost = 4  # scheduling hint for the repository stage (measured; see Rule.cost)
    name = "missing-state-version"
    severity = Severity.WARNING

    @staticmethod
    def summarize(source):
        """One file as a module unit (:func:`file_unit`); static, as the walk asks ``repo.summary`` with the class."""
        return file_unit(source)

    def check(self, repo):
        graph = repo.graph
        model = graph.model
        if model is None or graph.autowired:
            return
        index = repo.file_index
        scans: dict = {}  # unit key -> home-manager definitions (or Unknown)
        users: dict = {}  # (file, binding start, user) -> [source, binding node, hosts, files checked]
        missing: dict = {}  # (file, call start, kind) -> [source, call node, names, files checked]
        for configuration in model.configurations:
            if configuration.kind not in KINDS or not configuration.complete or not configuration.modules:
                continue
            source = repo.sources.get(configuration.file)
            if source is None:
                continue
            call = node_at(source, configuration.start)
            if call is None:
                continue
            if _old_interface(source.data, call):
                continue  # home-manager's old `configuration =`/`stateVersion =` arguments
            _option, side, output = KINDS[configuration.kind]
            host = configuration.kind in HOST_KINDS
            try:
                roots = _configuration_roots(repo, index, configuration)
                sets, units, edges = _walk(repo, index, roots, side, stop=not host)
            except Unknown:
                continue
            if host:
                for key, found in _home_users(repo, index, units, edges, scans):
                    entry = users.setdefault(key, [found[0], found[1], [], 0])
                    entry[2].append(f"{output}.{configuration.name}")
                    entry[3] = max(entry[3], found[2])
            if sets:
                continue
            checked = sum(1 for unit in units if unit.file)
            entry = missing.setdefault((configuration.file, configuration.start, configuration.kind), [source, call, [], 0])
            entry[2].append(f"{output}.{configuration.name}")
            entry[3] = max(entry[3], checked)
        for (_path, _start, kind), (source, call, names, checked) in missing.items():
            option = KINDS[kind][0]
            message = (
                f"{_names(names)}: no module of {'its configuration' if len(names) == 1 else 'their configurations'} ({checked} "
                f"{'file' if checked == 1 else 'files'} in the repository) sets `{option}`"
            )
            if kind == "home-manager":
                message += "; home-manager has no default since 22.11 and refuses to evaluate"
                hint = 'set `home.stateVersion` once, to the release the home was first set up with (e.g. "25.05")'
            elif kind == "darwin":
                message += "; nix-darwin fails evaluation without it since 24.11 (earlier releases fell back to a default)"
                hint = (
                    "set `system.stateVersion` once, to the nix-darwin state version (an integer) the machine "
                    "was set up with, e.g. `system.stateVersion = 6;` (`darwin-rebuild changelog` lists what each changes)"
                )
            else:
                message += "; NixOS falls back to the current release, so upgrades can silently change stateful data"
                hint = 'set `system.stateVersion` once, to the release the host was installed with (e.g. "25.05")'
            severity = Severity.ERROR if kind == "home-manager" else None
            yield self.diagnostic(source, call, message, hint=hint, severity=severity)
        for (_path, _start, user), (source, binding, hosts, checked) in users.items():
            message = (
                f"`home-manager.users.{_quote(user)}` (in {_names(hosts)}): none of the user's home-manager modules "
                f"({checked} in the repository) sets `home.stateVersion`; home-manager has no default since 22.11 "
                "and refuses to evaluate"
            )
            hint = (
                'set `home.stateVersion` once in the user\'s home module, to the release the home was first set up with '
                '(e.g. "25.05"), or `home-manager.sharedModules` for every user'
            )
            yield self.diagnostic(source, binding, message, hint=hint, severity=Severity.ERROR)


def _old_interface(data: bytes, call) -> bool:
    if call.type != "apply_expression":
        return True
    _head, args = nixast.apply_head(call)
    argument = nixast.unwrap(args[-1]) if args else None
    if argument is None or argument.type not in ("attrset_expression", "rec_attrset_expression"):
        return True
    binding_set = next((c for c in argument.named_children if c.type == "binding_set"), None)
    for binding in binding_set.named_children if binding_set is not None else []:
        if binding.type == "binding" and nixast.binding_path(data, binding)[:1] in (["configuration"], ["stateVersion"]):
            return True
    return False


def _follow(refs, index: FileIndex, side: str, path: str) -> list[tuple[str, object]]:
    """The files these path references reach (to walk next), each with its reference;
    Unknown when one cannot be followed."""
    targets: list[tuple[str, object]] = []
    for ref in refs:
        if ref.scope is not None and side == "system":
            continue  # home-manager.users.<u> = ./x: another module system
        if ref.kind == "pattern" and ref.usage not in ("src", "guard", "read", "doc"):
            raise Unknown(f"a computed path in {path}")
        if ref.kind in ("outside", "absolute") and ref.usage in MODULE_USAGES:
            raise Unknown(f"an import from outside the repository in {path}")
        if ref.kind != "exact":
            continue
        reached = resolve(ref, index)
        if ref.usage in MODULE_USAGES and not reached:
            raise Unknown(f"an import of a missing file in {path}")
        targets.extend((target, ref) for target in reached)
    return targets


def _names(names: list[str]) -> str:
    """`a`, `a` and `b`, or `a`, `b` and 3 more (configurations built by one call)."""
    names = sorted(set(names))
    if len(names) <= 3:
        quoted = [f"`{n}`" for n in names]
        return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
    return f"`{names[0]}`, `{names[1]}` and {len(names) - 2} more"


def _quote(name: str) -> str:
    simple = name.replace("-", "").replace("_", "").replace("'", "").isalnum() and not name[:1].isdigit()
    return name if simple else '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class _Unit:
    key: object
    source: object
    node: object
    file: bool  # a whole file (counted in messages), not an inline module


def _configuration_roots(repo, index: FileIndex, configuration) -> list:
    roots: list = []
    for entry in configuration.modules:
        if entry.kind == "external":
            continue
        if entry.kind == "path":
            target = entry.target
            if index.is_dir(target):
                target = "default.nix" if target == "." else f"{target}/default.nix"
            roots.append(("file", target))
        elif entry.kind == "inline":
            source = repo.sources.get(entry.file)
            node = node_at(source, entry.start) if source is not None else None
            node = nixast.unwrap(node)
            if node is None or node.type not in MODULE_NODES:
                raise Unknown("an inline module flakelint cannot read")
            roots.append(("inline", source, node))
        else:
            raise Unknown(entry.kind)
    return roots


def _walk(repo, index: FileIndex, roots: list, side: str, stop: bool):
    """Walk a module closure from ``roots`` (``("file", path)`` / ``("inline", source, node)``).

    Returns (does a module set ``<side>.stateVersion``, the units visited in
    order, the edges ``(parent key, child key, strong)`` between them).
    Raises :class:`Unknown` when part of the closure cannot be followed.
    With ``stop``, returns as soon as a module sets it.
    """
    units: dict = {}
    edges: list = []
    sets = False
    queue = deque((None, root, True) for root in roots)
    sources = repo._cache.setdefault("FL502-sources", {})  # the same files, walk after walk
    refs_of = repo.graph.refs
    while queue:
        parent, item, strong = queue.popleft()
        if item[0] == "file":
            key = item[1]
            edges.append((parent, key, strong))
            if key in units:
                continue
            source = sources.get(key)
            if source is None:
                source = repo.sources.get(key)
                if source is None or source.has_error:
                    raise Unknown(f"{key} was not parsed")
                sources[key] = source  # known to be usable
            node = None  # the whole file: read from its summary, its tree only if needed
            refs = refs_of.get(key, [])
        else:
            source, node = item[1], item[2]
            key = (source.path, node.start_byte, node.end_byte)
            edges.append((parent, key, strong))
            if key in units:
                continue
            refs = [r for r in repo.graph.refs.get(source.path, []) if node.start_byte <= r.start < node.end_byte]
        units[key] = _Unit(key, source, node, item[0] == "file")
        if len(units) > MAX_FILES:
            raise Unknown("closure too large")
        settles, links = _unit_facts(repo, key, source, node, refs, index, side)
        if settles:
            sets = True
            if stop:
                break
        if isinstance(links, Unknown):
            raise links
        queue.extend((key, ("file", target), strong) for target, strong in links)
    return sets, list(units.values()), edges


def _unit_facts(repo, key, source, node, refs, index: FileIndex, side: str) -> tuple[bool, list | Unknown]:
    """(does the unit set ``<side>.stateVersion``, its (target, strong) links or why they cannot be followed).

    A whole file (``node`` None) is read from its per-file summary
    (:func:`file_unit`, computed where the file was parsed), an inline module
    from the tree. Memoised per repository: forty hosts importing the same
    shared modules look into each of them once, not forty times.
    """
    memo = repo._cache.setdefault("FL502-units", {})
    found = memo.get((key, side))
    if found is None:
        if node is None:
            unit = repo.summary(MissingStateVersion, key)
            settles, imports, strong = unit[0][side], unit[1], unit[2]
        else:
            settles = sets_state_version(source.data, node, side)
            imports, strong = _imports_and_strong(source, node, refs)
        try:
            if imports is not None:
                raise Unknown(imports)
            links = [(target, (ref.start, ref.usage) in strong) for target, ref in _follow(refs, index, side, source.path)]
        except Unknown as exc:
            links = exc
        found = memo[(key, side)] = (settles, links)
    return found


def file_unit(source) -> tuple[dict, str | None, frozenset] | None:
    """One file as a module unit: ({side: sets stateVersion}, why its imports cannot be followed, strong references).

    The strong references are (start, usage) of the file's path references
    that always apply; None for a file with syntax errors.
    """
    if source.has_error:
        return None
    root = source.root_node
    sets = state_version_sides(source.data, root, source.captures)
    imports, strong = _imports_and_strong(source, root, file_facts(source).refs, source.captures)
    return sets, imports, strong


def _imports_and_strong(source, node, refs, captures=None) -> tuple[str | None, frozenset]:
    try:
        check_imports(source.data, node, captures)
    except Unknown as exc:
        return str(exc), frozenset()
    inside = [r for r in refs if node.start_byte <= r.start < node.end_byte]
    return None, frozenset((ref.start, ref.usage) for ref in inside if _strong_edge(source, node, ref))


def _strong_edge(source, unit_node, ref) -> bool:
    """Is this reference a module import that always applies (not behind `optionals`, `mkIf`, `if`)?"""
    if ref.usage not in MODULE_USAGES and ref.usage != "tree":
        return False
    node = source.root_node.descendant_for_byte_range(ref.start, ref.start)
    for _ in range(4096):
        if node is None or (node.start_byte, node.end_byte, node.type) == (unit_node.start_byte, unit_node.end_byte, unit_node.type):
            return True
        if node.type == "if_expression":
            return False
        if node.type == "apply_expression":
            head, _args = nixast.apply_head(node)
            if nixast.call_name(source.data, head) in CONDITIONAL_FUNCTIONS:
                return False
        node = node.parent
    return False


def _strong_units(edges) -> set:
    """Keys of the units reached from the roots through strong edges only."""
    children: dict = {}
    for parent, child, strong in edges:
        if strong:
            children.setdefault(parent, []).append(child)
    reached: set = set()
    pending = list(children.get(None, []))
    while pending:
        key = pending.pop()
        if key in reached:
            continue
        reached.add(key)
        pending.extend(children.get(key, []))
    return reached


@dataclass
class _UserDefinition:
    user: str
    source: object
    binding: object
    value: object
    rest: list  # the attribute path below `home-manager.users.<user>`


@dataclass
class _HomeManager:
    """The `home-manager.users`/`sharedModules` definitions of one module."""

    users: list
    shared: list  # value nodes of `home-manager.sharedModules`


def _module_body(node):
    """The attribute set a module evaluates to (through `{ … }:`, `let`, `with`, `assert`); None otherwise."""
    for _ in range(64):
        node = nixast.unwrap(node)
        if node is None:
            return None
        if node.type == "source_code":
            node = node.child_by_field_name("expression")
        elif node.type in ATTRSETS:
            return node
        elif node.type in ("function_expression", "let_expression", "with_expression", "assert_expression"):
            node = node.child_by_field_name("body")
        else:
            return None
    return None


def _span(node) -> tuple:
    return (node.start_byte, node.end_byte)


def _scan_home_manager(source, node) -> _HomeManager:
    """The `home-manager.users.<u>` / `home-manager.sharedModules` definitions of a module.

    Raises :class:`Unknown` when the module touches them in a way flakelint
    cannot read statically (computed names, `mkIf`, a `let`, `inherit`).
    """
    data = source.data
    found = _HomeManager([], [])
    if HM.encode() not in data[node.start_byte : node.end_byte]:
        return found
    visited: set = set()
    body = _module_body(node)
    pending = [(body, [])] if body is not None else []
    while pending:
        attrset, prefix = pending.pop()
        binding_set = next((c for c in attrset.named_children if c.type == "binding_set"), None)
        for child in binding_set.named_children if binding_set is not None else []:
            if child.type in ("inherit", "inherit_from"):
                attrs = child.child_by_field_name("attrs")
                names = [nixast.attr_name(data, a) for a in (attrs.named_children if attrs is not None else [])]
                logical = prefix[1:] if prefix[:1] == ["config"] else prefix
                if logical and logical[0] == HM or (not logical and (None in names or HM in names or "config" in names)):
                    raise Unknown("home-manager settings inherited")
                continue
            if child.type != "binding":
                continue
            visited.add(_span(child))
            raw = prefix + nixast.binding_path(data, child)
            path = raw[1:] if raw[:1] == ["config"] else raw
            value = nixast.unwrap(child.child_by_field_name("expression"))
            plain = value is not None and value.type in ATTRSETS
            if not path:  # `config = …`
                if plain:
                    pending.append((value, raw))
                elif value is None or HM.encode() in data[value.start_byte : value.end_byte]:
                    raise Unknown("home-manager settings behind a function")
                continue
            if path[0] != HM:
                if HM in path:
                    where = path.index(HM)
                    if path[0] == "options" or path[where + 1 : where + 2] in (["users"], ["sharedModules"]):
                        raise Unknown("home-manager options declared or nested")
                continue
            if len(path) == 1:
                if not plain:
                    raise Unknown("home-manager settings behind a function")
                pending.append((value, raw))
                continue
            if path[1] is None:
                raise Unknown("a computed home-manager setting")
            if path[1] == "sharedModules":
                if len(path) != 2 or value is None:
                    raise Unknown("home-manager.sharedModules spelled in an unknown way")
                found.shared.append(value)
                continue
            if path[1] != "users":
                continue
            if len(path) == 2:
                if not plain:
                    raise Unknown("home-manager users with computed names")
                pending.append((value, raw))
                continue
            if path[2] is None:
                raise Unknown("a computed home-manager user name")
            found.users.append(_UserDefinition(path[2], source, child, value, path[3:]))
    inside = [_span(d.binding) for d in found.users] + [_span(v) for v in found.shared]
    for binding in nixast.captures("(binding) @b", node).get("b", []):
        if _span(binding) in visited:
            continue
        names = nixast.binding_path(data, binding)
        if HM not in names:
            continue
        if any(start <= binding.start_byte and binding.end_byte <= end for start, end in inside):
            continue  # part of a user's module
        where = names.index(HM)
        if names[where + 1 : where + 2] in ([], ["users"], ["sharedModules"], [None]):
            raise Unknown("home-manager settings flakelint cannot place")
    return found


def _module_roots(repo, index: FileIndex, source, value) -> list:
    """The closure roots of a module value: a path, `import` of a path, or an inline module."""
    value = nixast.unwrap(value)
    if value is None:
        raise Unknown("no value")
    if value.type in MODULE_NODES:
        return [("inline", source, value)]
    followable = value.type == "path_expression"
    if value.type == "apply_expression":
        head, args = nixast.apply_head(value)
        first = nixast.unwrap(args[0]) if len(args) == 1 else None
        followable = nixast.dotted_name(source.data, head) in ("import", "builtins.import") and first is not None and first.type == "path_expression"
    if not followable:
        raise Unknown("a home-manager user module flakelint cannot follow")
    refs = [r for r in repo.graph.refs.get(source.path, []) if value.start_byte <= r.start < value.end_byte]
    targets = [target for target, _ref in _follow(refs, index, "home", source.path)]
    if not targets:
        raise Unknown("a home-manager user module flakelint cannot resolve")
    return [("file", target) for target in targets]


def _home_users(repo, index: FileIndex, units: list, edges: list, scans: dict):
    """Yield ``((file, start, user), (source, binding, files checked))`` for each
    `home-manager.users.<user>` of a host whose home closure never sets `home.stateVersion`."""
    strong = _strong_units(edges)
    definitions: dict = {}  # user -> [(definition, strong)]
    shared: list = []  # (source, value)
    for unit in units:
        if unit.key not in scans:
            try:
                if unit.node is None and HM.encode() not in unit.source.data:
                    scans[unit.key] = _HomeManager([], [])  # no tree needed
                else:
                    scans[unit.key] = _scan_home_manager(unit.source, unit.node or unit.source.root_node)
            except Unknown as error:
                scans[unit.key] = error
        scan = scans[unit.key]
        if isinstance(scan, Unknown):
            return
        for definition in scan.users:
            definitions.setdefault(definition.user, []).append((definition, unit.key in strong))
        shared.extend((unit.source, value) for value in scan.shared)
    if not definitions:
        return
    try:
        shared_roots = []
        for source, value in shared:
            if sets_state_version(source.data, value, "home"):
                return
            _check_list(source.data, value)
            shared_roots.append(("inline", source, value))
    except Unknown:
        return
    for user, found in definitions.items():
        if not any(strong_unit for _definition, strong_unit in found):
            continue  # only defined in modules imported under a condition
        try:
            sets, roots = False, list(shared_roots)
            for definition, _strong_unit in found:
                data, value, rest = definition.source.data, definition.value, definition.rest
                if not rest:
                    roots.extend(_module_roots(repo, index, definition.source, value))
                    continue
                binding = definition.binding
                if b"stateVersion" in data[binding.start_byte : binding.end_byte]:
                    sets = True
                elif rest[0] == "imports" and len(rest) == 1 and value is not None:
                    _check_list(data, value)
                    roots.append(("inline", definition.source, value))
                elif rest[0] in ("home", "config", None) and len(rest) == 1 and (value is None or value.type not in ATTRSETS):
                    sets = True  # `home = import ./x.nix;`: may well set it
                elif None in rest:
                    sets = True  # a computed name: when in doubt, it is set
            if sets:
                continue
            sets, walked, _edges = _walk(repo, index, roots, "home", stop=True)
        except Unknown:
            continue
        if sets:
            continue
        first = next((d for d, s in found if s and not d.rest), None) or next(d for d, s in found if s)
        checked = len(walked)
        yield (first.source.path, first.binding.start_byte, user), (first.source, first.binding, checked)
