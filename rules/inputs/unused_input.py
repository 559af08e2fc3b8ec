import os
import posixpath
import re

from flakelint import nixast
from flakelint.diagnostic import Severity
from flakelint.inputs import repository
from flakelint.rule import RepoRule

from . import at_span

#: Where a module system hands values to modules as arguments.
SPECIAL_ARGS = {"specialArgs", "extraSpecialArgs"}
#: Functions that may read any attribute of a set they are given.
DYNAMIC = {
    "attrValues", "attrNames", "mapAttrs", "mapAttrs'", "mapAttrsToList", "filterAttrs", "concatMapAttrs",
    "foldlAttrs", "foldAttrs", "attrsToList", "removeAttrs", "intersectAttrs", "getAttr", "catAttrs",
    "toJSON", "toString", "listToAttrs", "recursiveUpdate", "mapAttrsRecursive", "collect", "genAttrs",
    "zipAttrsWith", "filterAttrsRecursive", "seq", "deepSeq", "trace", "traceVal", "traceValSeq",
}
BUILDERS = {"nixosSystem", "homeManagerConfiguration", "darwinSystem", "evalModules", "nixosConfiguration"}
IMPORTS = {"import", "builtins.import", "scopedImport", "builtins.scopedImport"}
#: Names that are libraries, never functions of this flake (their functions may do anything).
LIBRARIES = {"lib", "builtins", "pkgs", "self", "super", "final", "prev", "config", "stdenv", "nixpkgs"}
ATTRSETS = ("attrset_expression", "rec_attrset_expression")
MAX_INDIRECTION = 12
MENTIONS = """
(select_expression attrpath: (attrpath) @path)
(has_attr_expression attrpath: (attrpath) @path)
(variable_expression) @var
(inherited_attrs) @inherited
(formal name: (identifier) @formal)
(string_expression) @string
"""
BOUND = """
(let_expression (binding_set (binding attrpath: (attrpath . (identifier) @name))))
(rec_attrset_expression (binding_set (binding attrpath: (attrpath . (identifier) @name))))
(function_expression universal: (identifier) @name)
(formal name: (identifier) @name)
"""


class _Unknown(Exception):
    """The inputs set goes somewhere flakelint cannot follow."""


class _File:
    def __init__(self, source, aliases: set[str], local: set[str]):
        self.source = source
        self.data = source.data
        self.aliases = aliases
        self.local = local


class UnusedInput(RepoRule):
    """An input that nothing in the flake uses.

    ## What it does
    Reports an input declared in `flake.nix` that is used nowhere:

    - not referenced in `outputs` (as a formal used in its body, or as
      `inputs.<name>` through the `@inputs` alias or the single parameter);
    - not referenced in any file of the flake's import graph, where inputs
      usually arrive through `specialArgs`/`extraSpecialArgs`,
      `_module.args`, `import ./x { inherit inputs; }` or flake-parts
      (`inputs.<name>`, `inputs'.<name>`, `inherit (inputs) <name>`, a module
      formal `{ <name>, ... }` when `specialArgs = inputs`);
    - not the target of a `follows` (`inputs.x.inputs.nixpkgs.follows =
      "<name>"`);
    - not used by a script of the repository through the command line
      (`nix run --inputs-from . <name>#tool` in a justfile, a shell script,
      a CI workflow).

    When the whole inputs set goes somewhere flakelint cannot see, it stays
    silent about every input: passed to a library function that may read any
    attribute (`mapAttrs`, `attrValues`, `builtins.toJSON` — the common
    `nix.registry = mapAttrs … inputs`), to a framework's `mkFlake` other
    than flake-parts (snowfall-lib, flake-utils-plus, nixos-unified), chosen
    by a computed name (`inputs.${name}`), or when the import graph is
    incomplete (syntax errors, Nix files outside the flake, a
    convention-based framework). flake-parts' `mkFlake` uses `nixpkgs`
    itself, so that input counts as used.

    ## Why is this bad?
    Every input is locked, updated by `nix flake update`, and (for flakes)
    fetched with all its own inputs: an unused one costs download time and
    lock churn, and it makes readers wonder what depends on it. Often it is
    left over from a module that was removed.

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      inputs.nixos-hardware.url = "github:NixOS/nixos-hardware";
      outputs = { nixpkgs, ... }@inputs: {
        nixosConfigurations.laptop = nixpkgs.lib.nixosSystem {
          modules = [ ./configuration.nix ];
          specialArgs = { inherit inputs; };
        };
      };
    }
    # file: configuration.nix
    { inputs, ... }:
    {
      nix.registry.nixpkgs.flake = inputs.nixpkgs;
    }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      inputs.nixos-hardware.url = "github:NixOS/nixos-hardware";
      outputs = { nixpkgs, ... }@inputs: {
        nixosConfigurations.laptop = nixpkgs.lib.nixosSystem {
          modules = [ ./configuration.nix ];
          specialArgs = { inherit inputs; };
        };
      };
    }
    # file: configuration.nix
    { inputs, ... }:
    {
      imports = [ inputs.nixos-hardware.nixosModules.framework-13-7040-amd ];
      nix.registry.nixpkgs.flake = inputs.nixpkgs;
    }
    ```

    ## Known limitations
    Being careful costs findings: on a flake that registers every input
    (`nix.registry = mapAttrs … inputs`), hands them to snowfall-lib or
    another framework, or imports Nix files from outside the flake, this rule
    says nothing at all. A name used anywhere in the flake's files (an
    attribute `.name`, a variable, a function argument, a string) counts as a
    use, even when it means something else there.
    """

    code = "FL111"
    cost = 3  # scheduling hint for the repository stage (measured; see Rule.cost)
    name = "unused-input"
    severity = Severity.WARNING

    def check(self, repo):
        model = repo.inputs
        if model is None or not model.complete or not model.inputs:
            return
        outputs = model.outputs
        if outputs is None or outputs.value is None:
            return
        graph = repo.graph
        if graph.autowired:
            return
        files = sorted(path for path in graph.nodes if path.endswith(".nix"))
        if "flake.nix" not in files:
            return
        for path in files:
            source = repo.sources.get(path)
            if source is None or source.has_error:
                return  # part of the flake cannot be read: uses may hide there
            for ref in graph.refs.get(path, []):
                if ref.kind in ("outside", "absolute") and ref.usage not in ("src", "guard", "read", "doc"):
                    return  # Nix code outside the flake may receive the inputs
        try:
            analysis = _Analysis(repo, model, files)
            analysis.run()
        except _Unknown:
            return
        used = analysis.mentioned | model.follows_targets() | analysis.implicit | _used_from_the_command_line(repo)
        if "devenv-root" in model.inputs and any(_repo_name(d) == "devenv" for d in model.inputs.values()):
            used.add("devenv-root")  # read by devenv's flake module by convention
        for name, decl in model.inputs.items():
            if name in used:
                continue
            yield at_span(
                self, repo, (decl.start, decl.end),
                f"input `{name}` is declared but nothing uses it: not in outputs, not as `inputs.{name}` "
                "in any file of the flake, not the target of a follows",
                hint=f"remove `{name}` from inputs and run `nix flake lock`, or use it",
            )


SCRIPT_NAMES = {"justfile", "Justfile", ".justfile", "Makefile", "makefile", "GNUmakefile", ".envrc"}
SCRIPT_SUFFIXES = (".sh", ".bash", ".zsh", ".fish", ".yml", ".yaml", ".just", ".mk", ".py", ".nu", ".ps1")
MAX_SCRIPTS = 200
MAX_SCRIPT_SIZE = 512 * 1024
_INPUTS_FROM = re.compile(rb"--inputs-from\s")
_INSTALLABLE = re.compile(rb"(?<![\w./:-])([A-Za-z_][A-Za-z0-9_'-]*)#")


def _used_from_the_command_line(repo) -> set[str]:
    """Inputs that scripts of the repository use with `nix … --inputs-from . <input>#<attr>`."""
    from flakelint.parse import read_source

    found: set[str] = set()
    scripts = [
        f for f in repo.files
        if f.rsplit("/", 1)[-1] in SCRIPT_NAMES or f.endswith(SCRIPT_SUFFIXES)
    ][:MAX_SCRIPTS]
    for relpath in scripts:
        data = read_source(os.path.join(repo.root, relpath), relpath, repo.root, MAX_SCRIPT_SIZE)
        if not isinstance(data, bytes) or not _INPUTS_FROM.search(data):
            continue
        for match in _INSTALLABLE.finditer(data):
            found.add(match.group(1).decode("ascii", "replace"))
    return found


def _repo_name(decl) -> str | None:
    ref = decl.flakeref
    identity = repository(ref) if ref is not None else None
    return identity[3] if identity is not None and len(identity) == 5 else None


class _Analysis:
    def __init__(self, repo, model, files: list[str]):
        self.repo = repo
        self.model = model
        self.files = files
        self.declared = set(model.inputs)
        self.mentioned: set[str] = set()
        self.implicit: set[str] = set()
        outputs = model.outputs
        self.aliases = {"inputs", "inputs'"}
        if outputs.alias:
            self.aliases.add(outputs.alias)
        #: Files that receive the inputs set as their argument: their parameter names are aliases there.
        self.receivers: dict[str, set[str]] = {}
        self.pending: list[str] = []
        if outputs.function is None:
            target = self._import_target("flake.nix", outputs.value)
            if target is None:
                raise _Unknown()
            self._receive(target)

    def run(self) -> None:
        for _ in range(8):
            known = set(self.aliases)
            done: set[str] = set()
            queue = list(self.files)
            steps = 0
            while queue:
                path = queue.pop(0)
                self._scan(path)
                done.add(path)
                for target in self.pending:
                    if target in done and target not in queue:
                        queue.append(target)
                self.pending.clear()
                steps += 1
                if steps > 4 * len(self.files) + 16:
                    raise _Unknown()
            if self.aliases == known:
                return  # no new name for the inputs set: every file was read with all of them
        raise _Unknown()

    # -- per file

    def _tokens(self, path: str) -> tuple[bytes, ...]:
        """The names ``_scan`` looks for in a file, encoded (memoised: the aliases rarely change)."""
        names = frozenset(self.declared | set(self.aliases) | self.receivers.get(path, set()) | {"self"})
        memo = self.__dict__.setdefault("_encoded", {})
        if names not in memo:
            memo[names] = tuple(name.encode() for name in names if name)
        return memo[names]

    def _scan(self, path: str) -> None:
        source = self.repo.sources[path]
        data = source.data
        # Everything below looks for input names, the aliases of the inputs
        # set, or `self`, as they are written: a file that contains none of
        # them as text has nothing to contribute (and most modules do not).
        if not any(token in data for token in self._tokens(path)):
            return
        if path != "flake.nix" and self._nothing_new(path, data):
            return
        excluded: list[tuple[int, int]] = []
        if path == "flake.nix":
            excluded = list(self.model.declaration_spans)
            function = self.model.outputs.function
            formals = function.child_by_field_name("formals") if function is not None else None
            if formals is not None:
                excluded.append((formals.start_byte, formals.end_byte))

        def outside(node) -> bool:
            return not any(start <= node.start_byte and node.end_byte <= end for start, end in excluded)

        found = nixast.captures(MENTIONS, source.root_node)
        for node in found.get("path", []):
            if outside(node):
                self.mentioned.update(n for n in nixast.attrpath_names(data, node) if n)
        for key in ("var", "formal"):
            for node in found.get(key, []):
                if outside(node):
                    self.mentioned.add(nixast.node_text(data, node))
        for node in found.get("inherited", []):
            if outside(node):
                for attr in node.named_children:
                    name = nixast.attr_name(data, attr)
                    if name:
                        self.mentioned.add(name)
        for node in found.get("string", []):
            if node.end_byte - node.start_byte <= 200 and outside(node):
                value = nixast.string_value(data, node)
                if value:
                    self.mentioned.add(value)
        aliases = set(self.aliases) | self.receivers.get(path, set()) | self._own_aliases(source)
        local = set()
        for node in nixast.captures(BOUND, source.root_node).get("name", []):
            local.add(nixast.node_text(data, node))
        local -= LIBRARIES | self.declared | aliases
        context = _File(source, aliases, local)
        # Every place the inputs set itself appears.
        for node in found.get("var", []):
            if not outside(node):
                continue
            if nixast.node_text(data, node) in aliases:
                self._value(node, context, 0)
        for node in found.get("inherited", []):
            if not outside(node):
                continue
            inherit = node.parent
            if inherit is None or inherit.type != "inherit":
                continue
            for attr in node.named_children:
                if nixast.attr_name(data, attr) in aliases:
                    self._binding(inherit, [nixast.attr_name(data, attr)], context, 0)
        for node in found.get("path", []):
            select = node.parent
            if select is None or select.type != "select_expression" or not outside(node):
                continue
            # `self.inputs`, `flake.inputs`: the set reached through another set.
            names = nixast.attrpath_names(data, node)
            for index, name in enumerate(names):
                if name not in aliases:
                    continue
                if index == len(names) - 1:
                    if select.child_by_field_name("default") is None:
                        self._value(select, context, 0)
                elif names[index + 1] is None:
                    raise _Unknown()  # flake.inputs.${name}

    def _nothing_new(self, path: str, data: bytes) -> bool:
        """Can scanning this file add nothing, so that it need not be parsed here?

        So when none of the names of the inputs set is in its text, and
        every input name in it is already mentioned: then the scan would
        only find mentions, and those of input names are known. A ``@``
        could make a new name for the inputs set (``{ nixpkgs, ... }@args``),
        a backslash spell a name in a string other than as written: a file
        with either is scanned. On the 4k bench this spares parsing 40
        ``hardware-configuration.nix`` (``nixpkgs.hostPlatform``): 0.04 CPU-s.
        """
        if b"@" in data or b"\\" in data:
            return False
        aliases = self.aliases | self.receivers.get(path, set())
        for name in self.declared | aliases | {"self"}:
            if not name or name.encode() not in data:
                continue
            if name in aliases:
                return False
            if name in self.declared and name not in self.mentioned:
                return False
        return True

    def _own_aliases(self, source) -> set[str]:
        """The file's top-level parameter, when its formals name `self` or an input (an outputs-like function)."""
        top = nixast.unwrap(source.root_node.child_by_field_name("expression"))
        if top is None or top.type != "function_expression":
            return set()
        universal = top.child_by_field_name("universal")
        formals = top.child_by_field_name("formals")
        if universal is None or formals is None:
            return set()
        names = set()
        for formal in formals.named_children:
            name = formal.child_by_field_name("name") if formal.type == "formal" else None
            if name is not None:
                names.add(nixast.node_text(source.data, name))
        if names & (self.declared | {"self"}):
            return {nixast.node_text(source.data, universal)}
        return set()

    def _receive(self, target: str) -> None:
        source = self.repo.sources.get(target)
        if source is None:
            return
        top = nixast.unwrap(source.root_node.child_by_field_name("expression"))
        if top is None or top.type != "function_expression":
            return
        universal = top.child_by_field_name("universal")
        if universal is None:
            return  # `{ a, b, ... }:` gets inputs by name: those are mentions
        name = nixast.node_text(source.data, universal)
        known = self.receivers.setdefault(target, set())
        if name not in known:
            known.add(name)
            self.pending.append(target)

    def _import_target(self, path: str, node) -> str | None:
        """For `import ./x …`: the file it imports (root-relative), when exact."""
        node = nixast.unwrap(node)
        if node is None or node.type != "apply_expression":
            return None
        data = self.repo.sources[path].data
        head, args = nixast.apply_head(node)
        if nixast.dotted_name(data, head) not in IMPORTS or not args:
            return None
        target = nixast.unwrap(args[0])
        if target is None or target.type != "path_expression":
            return None
        if any(child.type == "interpolation" for child in target.named_children):
            return None
        raw = nixast.node_text(data, target)
        if raw.startswith(("/", "~")):
            return None
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(path) or ".", raw))
        if joined in self.repo.sources:
            return joined
        default = "default.nix" if joined == "." else f"{joined}/default.nix"
        return default if default in self.repo.sources else None

    # -- where does the inputs set go?

    def _value(self, node, context: _File, depth: int) -> None:
        """`node` evaluates to the inputs set (or a set holding all of it)."""
        data = context.data
        if depth > MAX_INDIRECTION:
            raise _Unknown()
        for _ in range(256):
            node = nixast.outer(node)
            parent = node.parent
            if parent is None:
                raise _Unknown()  # the value of a whole file
            kind = parent.type
            if kind == "select_expression":
                if parent.child_by_field_name("expression") == node:
                    names = nixast.attrpath_names(data, parent.child_by_field_name("attrpath"))
                    if not names or names[0] is None:
                        raise _Unknown()  # inputs.${name}
                    return
                node = parent  # `x.y or inputs`: the default flows on
                continue
            if kind in ("has_attr_expression", "inherit_from"):
                return
            if kind == "with_expression":
                if parent.child_by_field_name("environment") == node:
                    return  # names used under `with` are variables: mentions
                node = parent
                continue
            if kind == "binary_expression":
                operator = parent.child_by_field_name("operator")
                op = operator.type if operator is not None else ""
                if op == "//":
                    node = parent
                    continue
                if op in ("==", "!="):
                    return
                raise _Unknown()
            if kind == "binding":
                names = nixast.binding_path(data, parent)
                self._binding(parent, names, context, depth + 1, value=True)
                return
            if kind == "apply_expression":
                if parent.child_by_field_name("argument") == node:
                    self._call(parent, context, depth + 1, direct=True, argument=node)
                    return
                raise _Unknown()
            if kind in ("let_expression", "assert_expression") and parent.child_by_field_name("body") == node:
                node = parent
                continue
            if kind == "if_expression" and parent.child_by_field_name("condition") != node:
                node = parent
                continue
            if kind == "function_expression" and parent.child_by_field_name("body") == node:
                self._result(parent, context, depth + 1)
                return
            raise _Unknown()
        raise _Unknown()

    def _result(self, function, context: _File, depth: int) -> None:
        """A let-bound function returns the inputs set: follow every call of it."""
        data = context.data
        node = function
        arity = 1
        while True:
            outer = nixast.outer(node)
            parent = outer.parent
            if parent is not None and parent.type == "function_expression" and parent.child_by_field_name("body") == outer:
                node, arity = parent, arity + 1
                continue
            break
        binding = nixast.outer(node).parent
        if binding is None or binding.type != "binding":
            raise _Unknown()
        names = nixast.binding_path(data, binding)
        owner = binding.parent.parent if binding.parent is not None else None
        if owner is None or owner.type != "let_expression" or len(names) != 1 or not names[0]:
            raise _Unknown()
        for use in nixast.captures("(variable_expression) @var", owner).get("var", []):
            if nixast.node_text(data, use) != names[0]:
                continue
            application = nixast.outer(use)
            for _ in range(arity):
                parent = application.parent
                if parent is None or parent.type != "apply_expression" or parent.child_by_field_name("function") != application:
                    raise _Unknown()  # passed around unapplied
                application = nixast.outer(parent)
            self._value(application, context, depth)

    def _binding(self, binding, names: list, context: _File, depth: int, value: bool = True) -> None:
        """`k = <inputs>;` or `inherit inputs;`: where does the binding put it?"""
        data = context.data
        if depth > MAX_INDIRECTION or not names or any(n is None for n in names):
            raise _Unknown()
        binding_set = binding.parent
        owner = binding_set.parent if binding_set is not None else None
        if owner is None:
            raise _Unknown()
        if owner.type == "let_expression":
            if len(names) != 1:
                raise _Unknown()
            if names[0] in SPECIAL_ARGS:
                return
            self._uses(owner, names[0], context, depth + 1, container=False)
            return
        if owner.type in ATTRSETS:
            full = self._enclosing(owner, data) + list(names)
            self.aliases.add(names[-1])  # modules (or the callee) see it under this name
            if _hands_to_modules(full):
                return
            self._container(owner, context, depth + 1)
            return
        raise _Unknown()

    @staticmethod
    def _enclosing(attrset, data) -> list:
        context = nixast.outer(attrset)
        parent = context.parent
        if parent is not None and parent.type == "binding":
            return list(nixast.full_attrpath(data, parent))
        return []

    def _container(self, node, context: _File, depth: int) -> None:
        """`node` is a set that holds the inputs set as one of its attributes."""
        data = context.data
        if depth > MAX_INDIRECTION:
            raise _Unknown()
        for _ in range(256):
            node = nixast.outer(node)
            parent = node.parent
            if parent is None:
                raise _Unknown()
            kind = parent.type
            if kind == "binary_expression":
                operator = parent.child_by_field_name("operator")
                if operator is not None and operator.type == "//":
                    node = parent
                    continue
                raise _Unknown()
            if kind == "apply_expression" and parent.child_by_field_name("argument") == node:
                self._call(parent, context, depth + 1, direct=False, argument=node)
                return
            if kind == "binding":
                names = nixast.binding_path(data, parent)
                full = list(nixast.full_attrpath(data, parent))
                if _hands_to_modules(full):
                    return
                owner = parent.parent.parent if parent.parent is not None else None
                if owner is not None and owner.type == "let_expression" and len(names) == 1 and names[0]:
                    self._uses(owner, names[0], context, depth + 1, container=True)
                    return
                if owner is not None and owner.type in ATTRSETS:
                    self._container(owner, context, depth + 1)
                    return
                raise _Unknown()
            if kind == "select_expression" and parent.child_by_field_name("expression") == node:
                self._value(parent, context, depth + 1)
                return
            if kind in ("let_expression", "assert_expression") and parent.child_by_field_name("body") == node:
                node = parent
                continue
            if kind == "if_expression" and parent.child_by_field_name("condition") != node:
                node = parent
                continue
            raise _Unknown()
        raise _Unknown()

    def _uses(self, scope, name: str, context: _File, depth: int, container: bool) -> None:
        """Every use of a let-bound name that holds the inputs set (or a set holding it)."""
        data = context.data
        found = nixast.captures("(variable_expression) @var (inherited_attrs) @inherited", scope)
        for node in found.get("var", []):
            if nixast.node_text(data, node) != name:
                continue
            if not container:
                self._value(node, context, depth)
                continue
            parent = nixast.outer(node).parent
            if parent is not None and parent.type == "select_expression" and parent.child_by_field_name("expression") == nixast.outer(node):
                names = nixast.attrpath_names(data, parent.child_by_field_name("attrpath"))
                if names and names[0] in self.aliases:
                    self._value(parent, context, depth)
                elif not names or names[0] is None:
                    raise _Unknown()
                continue
            if parent is not None and parent.type == "inherit_from":
                continue  # `inherit (args) inputs;` binds an alias name, seen by the scan
            self._container(node, context, depth)
        for node in found.get("inherited", []):
            inherit = node.parent
            if inherit is None or inherit.type != "inherit":
                continue
            if any(nixast.attr_name(data, attr) == name for attr in node.named_children):
                binding_set = inherit.parent
                owner = binding_set.parent if binding_set is not None else None
                if owner is not None and owner.type == "let_expression":
                    continue  # `let inherit x; in` rebinds the same name
                if container:
                    full = self._enclosing(owner, data) + [name] if owner is not None else [name]
                    if not _hands_to_modules(full) and owner is not None and owner.type in ATTRSETS:
                        self._container(owner, context, depth + 1)
                    elif not _hands_to_modules(full):
                        raise _Unknown()
                else:
                    self._binding(inherit, [name], context, depth + 1)

    def _call(self, apply, context: _File, depth: int, direct: bool, argument) -> None:
        """The inputs set (direct) or a set holding it is an argument of a call."""
        data = context.data
        top = nixast.outer(apply)
        while top.parent is not None and top.parent.type == "apply_expression" and top.parent.child_by_field_name("function") == top:
            top = nixast.outer(top.parent)
        head, args = nixast.apply_head(nixast.unwrap(top))
        dotted = nixast.dotted_name(data, head)
        last = nixast.call_name(data, head)
        if dotted in IMPORTS:
            target = self._import_target(context.source.path, top)
            if target is not None and direct:
                self._receive(target)
            return
        if last is not None and last.startswith("callPackage"):
            return  # the file gets `inputs` by name among its arguments
        if last in DYNAMIC:
            raise _Unknown()
        if last == "mkFlake" and dotted is not None:
            parts = dotted.split(".")
            owner = parts[1] if parts[0] in context.aliases and len(parts) > 1 else parts[0]
            if self._is_flake_parts(owner):
                self.implicit.add("nixpkgs")  # perSystem's pkgs defaults to inputs.nixpkgs
                return
            raise _Unknown()
        if last in BUILDERS:
            raise _Unknown()  # only specialArgs reaches modules, and that was seen before
        if dotted is None:
            raise _Unknown()
        root = dotted.split(".")[0]
        if root not in context.local or root in LIBRARIES:
            raise _Unknown()
        if direct and "." not in dotted:
            self._local_function(root, context)

    def _local_function(self, name: str, context: _File) -> None:
        """Inputs passed to a function of this file: its parameter becomes an alias here."""
        data = context.data
        for node in nixast.captures("(binding attrpath: (attrpath . (identifier) @name) expression: (function_expression) @function)", context.source.root_node).get("function", []):
            binding = node.parent
            if binding is None or nixast.binding_path(data, binding) != [name]:
                continue
            universal = node.child_by_field_name("universal")
            if universal is not None:
                alias = nixast.node_text(data, universal)
                if alias not in context.aliases:
                    context.aliases.add(alias)
                    self.receivers.setdefault(context.source.path, set()).add(alias)
                    self.pending.append(context.source.path)

    def _is_flake_parts(self, name: str) -> bool:
        decl = self.model.inputs.get(name)
        if decl is None:
            return False
        return name == "flake-parts" or _repo_name(decl) == "flake-parts"


def _hands_to_modules(path: list) -> bool:
    """Is this attribute path where a module system passes values to its modules?"""
    names = [n for n in path if n is not None]
    if any(n in SPECIAL_ARGS for n in names):
        return True
    return any(a == "_module" and b == "args" for a, b in zip(names, names[1:]))
