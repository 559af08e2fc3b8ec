from __future__ import annotations

from flakelint import nixast
from flakelint.diagnostic import Severity
from flakelint.facts import MODULE_USAGES
from flakelint.graph import FileIndex, resolve
from flakelint.rule import RepoRule

#: configuration kind -> (the option, the component before `stateVersion`, output name)
KINDS = {
    "nixos": ("system.stateVersion", "system", "nixosConfigurations"),
    "home-manager": ("home.stateVersion", "home", "homeConfigurations"),
}
LIST_FUNCTIONS = {"optionals", "optional", "flatten", "concatLists", "unique", "mkIf", "mkMerge", "mkBefore", "mkAfter", "mkDefault", "mkForce"}
MAX_FILES = 5_000
#: Names under which a flake refers to its own outputs (whose modules may be in the repository).
OWN_OUTPUTS = {"self", "outputs"}
MODULE_OUTPUTS = {"nixosModules", "nixosModule", "homeManagerModules", "homeManagerModule", "homeModules", "darwinModules", "darwinModule"}
MAX_STEPS = 512


class Unknown(Exception):
    """Part of the closure cannot be followed: the rule stays silent for this configuration."""


def sets_state_version(data: bytes, root, side: str) -> bool:
    """Does this file (or inline module) possibly set ``<side>.stateVersion``?

    Every ``stateVersion`` in the text that is not clearly the other side's
    (``home.stateVersion`` in a NixOS module) counts: when in doubt, it is set.
    """
    if b"stateVersion" not in data[root.start_byte : root.end_byte]:
        return False
    other = 0
    for binding in nixast.captures("(binding) @b", root).get("b", []):
        local = nixast.binding_path(data, binding)
        if not local or local[-1] != "stateVersion":
            continue
        path = nixast.full_attrpath(data, binding)
        if len(path) >= 2 and path[-2] is not None and path[-2] != side:
            other += 1
            continue
        return True
    mentions = 0  # `stateVersion` as a name anywhere but in comments (`inherit stateVersion;` …)
    for node in nixast.captures("(identifier) @i (string_fragment) @i", root).get("i", []):
        if b"stateVersion" in data[node.start_byte : node.end_byte]:
            mentions += 1
    return mentions > other


def check_imports(data: bytes, root) -> None:
    """Raise :class:`Unknown` when an ``imports`` list holds something flakelint cannot follow."""
    for binding in nixast.captures("(binding) @b", root).get("b", []):
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


def _node_at(source, start: int):
    """The outermost expression starting at byte ``start``."""
    node = source.root_node.descendant_for_byte_range(start, start)
    while node is not None and node.parent is not None and node.parent.start_byte == start and node.parent.type != "source_code":
        node = node.parent
    return node


class MissingStateVersion(RepoRule):
    """A host or home configuration whose modules never set `stateVersion`.

    ## What it does
    For each `nixosConfigurations.<host>` and `homeConfigurations.<user>`
    that flakelint's flake model fully knows, walks the module closure: the
    configuration's `modules`, then every file they import (`imports`,
    `import ./x`, directory loaders), and reports the configuration when no
    module in it sets `system.stateVersion` (NixOS) or `home.stateVersion`
    (home-manager). A shared module every host imports counts for every host.

    It only reports when the repository part of the closure is completely
    known. Any computed path (`./hosts/${name}`), an `imports` entry it
    cannot follow (`self.nixosModules.x`, a function call, a variable), a
    file it could not parse, or a configuration built by a function it could
    not evaluate makes it silent for that configuration. Modules from
    outside the repository (`inputs.<x>.nixosModules.*`, `modulesPath`
    imports, `home-manager.nixosModules.home-manager`) are taken not to set
    a stateVersion.

    ## Why is this bad?
    `stateVersion` tells modules which release's defaults the machine's
    stateful data was created with. Without it, NixOS warns and falls back
    to the current release (so an upgrade can silently change database
    formats and data locations), and home-manager refuses to evaluate: it
    has no default since 22.11.

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

    A missing `home.stateVersion` is an error (home-manager refuses to
    evaluate without one since 22.11); a missing `system.stateVersion` is a
    warning.

    ## Known limitations
    Home configurations declared inside a NixOS host
    (`home-manager.users.<u>`) and nix-darwin hosts are not checked yet.
    """

    code = "FL502"
    name = "missing-state-version"
    severity = Severity.WARNING

    def check(self, repo):
        graph = repo.graph
        model = graph.model
        if model is None or graph.autowired:
            return
        index = FileIndex(repo.files)
        for configuration in model.configurations:
            if configuration.kind not in KINDS or not configuration.complete or not configuration.modules:
                continue
            source = repo.sources.get(configuration.file)
            if source is None:
                continue
            call = _node_at(source, configuration.start)
            if call is None:
                continue
            if _old_interface(source.data, call):
                continue  # home-manager's old `configuration =`/`stateVersion =` arguments
            option, side, output = KINDS[configuration.kind]
            try:
                sets, checked = self._closure_sets(repo, index, configuration, side)
            except Unknown:
                continue
            if sets:
                continue
            message = (
                f"`{output}.{configuration.name}`: no module of its configuration ({checked} "
                f"{'file' if checked == 1 else 'files'} in the repository) sets `{option}`"
            )
            if configuration.kind == "home-manager":
                message += "; home-manager has no default since 22.11 and refuses to evaluate"
                hint = 'set `home.stateVersion` once, to the release the home was first set up with (e.g. "25.05")'
            else:
                message += "; NixOS falls back to the current release, so upgrades can silently change stateful data"
                hint = 'set `system.stateVersion` once, to the release the host was installed with (e.g. "25.05")'
            severity = Severity.ERROR if configuration.kind == "home-manager" else None
            yield self.diagnostic(source, call, message, hint=hint, severity=severity)

    def _closure_sets(self, repo, index: FileIndex, configuration, side: str) -> tuple[bool, int]:
        queue: list[str] = []
        for entry in configuration.modules:
            if entry.kind == "external":
                continue
            if entry.kind == "path":
                target = entry.target
                if index.is_dir(target):
                    target = "default.nix" if target == "." else f"{target}/default.nix"
                queue.append(target)
            elif entry.kind == "inline":
                source = repo.sources.get(entry.file)
                node = _node_at(source, entry.start) if source is not None else None
                node = nixast.unwrap(node)
                if node is None or node.type not in ("attrset_expression", "rec_attrset_expression", "function_expression"):
                    raise Unknown("an inline module flakelint cannot read")
                if sets_state_version(source.data, node, side):
                    return True, 0
                check_imports(source.data, node)
                refs = [r for r in repo.graph.refs.get(entry.file, []) if node.start_byte <= r.start < node.end_byte]
                queue.extend(_follow(refs, index, side, entry.file))
            else:
                raise Unknown(entry.kind)
        seen: set[str] = set()
        while queue:
            path = queue.pop()
            if path in seen:
                continue
            seen.add(path)
            if len(seen) > MAX_FILES:
                raise Unknown("closure too large")
            source = repo.sources.get(path)
            if source is None or source.root_node.has_error:
                raise Unknown(f"{path} was not parsed")
            root = source.root_node
            if sets_state_version(source.data, root, side):
                return True, len(seen)
            check_imports(source.data, root)
            queue.extend(_follow(repo.graph.refs.get(path, []), index, side, path))
        return False, len(seen)


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


def _follow(refs, index: FileIndex, side: str, path: str) -> list[str]:
    """The files these path references reach (to walk next); Unknown when one cannot be followed."""
    targets: list[str] = []
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
        targets.extend(reached)
    return targets
