"""The flake outputs model: configurations and their module lists, statically.

``flake.nix`` is read by a small, bounded abstract interpreter — never by
Nix. It follows what flake repositories commonly do to build their outputs:
``let`` bindings, local helper functions applied to literal arguments
(``mkHost "laptop"``), ``genAttrs``/``mapAttrs``/``listToAttrs``/``map`` over
literal lists or ``readDir`` of a directory (answered from the repository
listing), ``++`` and ``//``, ``import ./hosts { inherit inputs; }``, and the
builders ``nixosSystem``, ``homeManagerConfiguration`` and ``darwinSystem``.

Whatever it cannot know it records as :class:`Unknown` with a reason; it
never guesses. Every evaluation has a step budget and a depth limit, so a
hostile ``flake.nix`` cannot make it hang or exhaust the stack.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from flakelint import nixast

MAX_STEPS = 20_000
MAX_DEPTH = 100

BUILDERS = {
    "nixosSystem": "nixos",
    "homeManagerConfiguration": "home-manager",
    "darwinSystem": "darwin",
}
CONFIGURATION_OUTPUTS = {
    "nixosConfigurations": "nixos",
    "homeConfigurations": "home-manager",
    "darwinConfigurations": "darwin",
}


class Budget(Exception):
    """Evaluation ran out of steps or depth: the result is unknown."""


# ---------------------------------------------------------------- values


@dataclass
class Unknown:
    reason: str


@dataclass
class Str:
    value: str


@dataclass
class Scalar:
    value: object  # int, float, bool or None


@dataclass
class PathValue:
    """A path: root-relative ``target`` ("." = the root), or a glob when ``pattern``."""

    target: str
    pattern: bool = False
    outside: bool = False
    file: str = ""
    start: int = 0


@dataclass
class ListValue:
    items: list  # of Thunk


@dataclass
class Attrs:
    entries: dict  # name -> Thunk
    partial: bool = False  # some keys could not be computed
    is_self: bool = False  # the flake's own `self`: also the root path


@dataclass
class Lambda:
    node: object
    env: "Env"
    file: str


@dataclass
class Builtin:
    name: str
    args: tuple = ()


@dataclass
class External:
    """Something from a flake input (``inputs.disko.nixosModules.disko``)."""

    path: str


@dataclass
class Configuration:
    kind: str
    modules: object  # a value: ListValue or Unknown
    special_args: object
    file: str
    start: int


@dataclass
class Inline:
    """A module written in place (an attribute set or a function)."""

    file: str
    start: int


class Thunk:
    __slots__ = ("node", "env", "file", "value", "evaluating")

    def __init__(self, node=None, env=None, file="", value=None):
        self.node, self.env, self.file, self.value = node, env, file, value
        self.evaluating = False

    @classmethod
    def of(cls, value) -> "Thunk":
        return cls(value=value)


class Env:
    __slots__ = ("names", "parent", "with_scope")

    def __init__(self, names: dict | None = None, parent: "Env | None" = None, with_scope: bool = False):
        self.names = names or {}
        self.parent = parent
        self.with_scope = with_scope

    def lookup(self, name: str):
        env = self
        under_with = False
        while env is not None:
            if name in env.names:
                return env.names[name]
            under_with = under_with or env.with_scope
            env = env.parent
        return None if not under_with else "with"


# ---------------------------------------------------------------- model


@dataclass
class ModuleEntry:
    """One element of a configuration's module list."""

    kind: str  # "path" | "pattern" | "inline" | "external" | "unknown"
    target: str = ""  # root-relative path or glob for path/pattern
    detail: str = ""  # external name or unknown reason
    file: str = ""
    start: int = 0


@dataclass
class ConfigurationModel:
    kind: str  # nixos | home-manager | darwin
    name: str
    modules: list[ModuleEntry]
    complete: bool  # every module is known (no unknown entries)
    special_args: list[str]
    file: str
    start: int


@dataclass
class FlakeModel:
    configurations: list[ConfigurationModel] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)  # top-level output names
    unknown: list[str] = field(default_factory=list)  # what could not be evaluated

    def configuration(self, kind: str, name: str) -> ConfigurationModel | None:
        return next((c for c in self.configurations if c.kind == kind and c.name == name), None)


# ---------------------------------------------------------------- evaluator


class Evaluator:
    def __init__(self, repo, index):
        self.repo = repo
        self.index = index
        self.steps = 0
        self.depth = 0
        self.file_cache: dict[str, Thunk] = {}
        self.module_arguments = Attrs({}, partial=True)  # flake-parts module arguments

    # -- entry points

    def file_value(self, path: str):
        if path not in self.file_cache:
            source = self.repo.sources.get(path)
            if source is None or source.has_error:
                return Unknown(f"{path} cannot be read or has syntax errors")
            expression = source.root_node.child_by_field_name("expression")
            self.file_cache[path] = Thunk(expression, Env(), path)
        return self.force(self.file_cache[path])

    def force(self, thunk: Thunk):
        if thunk.value is not None:
            return thunk.value
        if thunk.evaluating:
            return Unknown("infinite recursion")
        thunk.evaluating = True
        try:
            thunk.value = self.eval(thunk.node, thunk.env, thunk.file)
        finally:
            thunk.evaluating = False
        return thunk.value

    # -- the interpreter

    def eval(self, node, env: Env, file: str):
        self.steps += 1
        if self.steps > MAX_STEPS or self.depth > MAX_DEPTH:
            raise Budget()
        self.depth += 1
        try:
            return _resolve(self, self._eval(nixast.unwrap(node), env, file))
        finally:
            self.depth -= 1

    def _eval(self, node, env: Env, file: str):
        if node is None:
            return Unknown("missing expression")
        kind = node.type
        data = self.repo.sources[file].data
        if kind == "variable_expression":
            return self._variable(nixast.node_text(data, node), env)
        if kind in ("string_expression", "indented_string_expression"):
            return self._string(node, env, file)
        if kind == "integer_expression":
            return Scalar(int(nixast.node_text(data, node)))
        if kind == "path_expression":
            return self._path(node, env, file)
        if kind in ("attrset_expression", "rec_attrset_expression"):
            return self._attrset(node, env, file, recursive=kind == "rec_attrset_expression")
        if kind == "list_expression":
            return ListValue([Thunk(item, env, file) for item in node.named_children if item.type != "comment"])
        if kind == "let_expression":
            scope = Env({}, env)
            binding_set = next((c for c in node.named_children if c.type == "binding_set"), None)
            if binding_set is not None:
                self._bind(binding_set, scope, env, file, scope.names)
            return self.eval(node.child_by_field_name("body"), scope, file)
        if kind == "function_expression":
            return Lambda(node, env, file)
        if kind == "apply_expression":
            function = self.eval(node.child_by_field_name("function"), env, file)
            return self.apply(function, Thunk(node.child_by_field_name("argument"), env, file), node, file)
        if kind == "select_expression":
            return self._select(node, env, file)
        if kind == "binary_expression":
            return self._binary(node, env, file)
        if kind == "unary_expression":
            operand = self.eval(node.child_by_field_name("argument"), env, file)
            operator = node.children[0].type if node.children else ""
            if operator == "!" and isinstance(operand, Scalar) and isinstance(operand.value, bool):
                return Scalar(not operand.value)
            return Unknown("a negation flakelint cannot compute")
        if kind == "with_expression":
            return self.eval(node.child_by_field_name("body"), Env({}, env, with_scope=True), file)
        if kind == "assert_expression":
            return self.eval(node.child_by_field_name("body"), env, file)
        if kind == "if_expression":
            condition = self.eval(node.child_by_field_name("condition"), env, file)
            if isinstance(condition, Scalar) and isinstance(condition.value, bool):
                branch = "consequence" if condition.value else "alternative"
                return self.eval(node.child_by_field_name(branch), env, file)
            return Unknown("a condition flakelint cannot decide")
        return Unknown(f"{kind} is not followed")

    def _variable(self, name: str, env: Env):
        found = env.lookup(name)
        if isinstance(found, Thunk):
            return self.force(found)
        if found == "with":
            return Unknown(f"`{name}` may come from a `with` scope")
        if name in ("true", "false"):
            return Scalar(name == "true")
        if name == "null":
            return Scalar(None)
        if name in ("import", "map", "builtins", "toString", "baseNameOf", "removeAttrs"):
            return Builtin(name)
        return Unknown(f"`{name}` is not bound here")

    def _string(self, node, env: Env, file: str):
        data = self.repo.sources[file].data
        parts = []
        for part in node.named_children:
            if part.type == "string_fragment":
                parts.append(nixast.node_text(data, part))
            elif part.type == "escape_sequence":
                parts.append(nixast.node_text(data, part)[1:])
            elif part.type == "interpolation":
                inner = self.eval(part.named_children[0] if part.named_children else None, env, file)
                if isinstance(inner, Attrs) and inner.is_self:
                    inner = PathValue(".", file=file, start=node.start_byte)
                if isinstance(inner, Str):
                    parts.append(inner.value)
                elif isinstance(inner, PathValue) and not inner.pattern and len(node.named_children) > 1:
                    return self._path_string(inner, node, part, env, file)
                else:
                    return Unknown("an interpolated string flakelint cannot compute")
        return Str("".join(parts))

    def _path_string(self, base: PathValue, node, first, env, file):
        """``"${self}/hosts/x"`` / ``"${./dir}/x"``: a path when it starts with one."""
        if node.named_children[0] != first:
            return Unknown("a string with a path inside")
        rest = self._string_rest(node.named_children[1:], env, file)
        if rest is None:
            return Unknown("an interpolated string flakelint cannot compute")
        return self._join(base, rest)

    def _string_rest(self, parts, env, file) -> str | None:
        data = self.repo.sources[file].data
        out = []
        for part in parts:
            if part.type == "string_fragment":
                out.append(nixast.node_text(data, part))
            elif part.type == "interpolation":
                inner = self.eval(part.named_children[0] if part.named_children else None, env, file)
                if not isinstance(inner, Str):
                    return None
                out.append(inner.value)
        return "".join(out)

    def _path(self, node, env: Env, file: str):
        data = self.repo.sources[file].data
        pieces, pattern = [], False
        for child in node.named_children:
            if child.type == "path_fragment":
                pieces.append(nixast.node_text(data, child))
            elif child.type == "interpolation":
                inner = self.eval(child.named_children[0] if child.named_children else None, env, file)
                if isinstance(inner, Str):
                    pieces.append(inner.value)
                else:
                    pieces.append("*")
                    pattern = True
        raw = "".join(pieces)
        if raw.startswith("/") or raw.startswith("~"):
            return Unknown("an absolute path")
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(file) or ".", raw))
        outside = joined == ".." or joined.startswith("../")
        return PathValue(joined, pattern=pattern, outside=outside, file=file, start=node.start_byte)

    def _join(self, base: PathValue, suffix: str) -> PathValue:
        joined = posixpath.normpath(posixpath.join(base.target, suffix.lstrip("/"))) if suffix.strip("/") else base.target
        outside = joined == ".." or joined.startswith("../")
        return PathValue(joined, pattern=base.pattern, outside=outside, file=base.file, start=base.start)

    def _attrset(self, node, env: Env, file: str, recursive: bool):
        entries: dict = {}
        scope = Env(entries, env) if recursive else env
        binding_set = next((c for c in node.named_children if c.type == "binding_set"), None)
        partial = False
        if binding_set is not None:
            partial = self._bind(binding_set, scope, env, file, entries)
        return Attrs(entries, partial)

    def _bind(self, binding_set, value_env: Env, inherit_env: Env, file: str, target: dict) -> bool:
        """Fill ``target`` from bindings; True when some names could not be computed."""
        data = self.repo.sources[file].data
        partial = False
        for binding in binding_set.named_children:
            if binding.type == "binding":
                names = []
                attrpath = binding.child_by_field_name("attrpath")
                for attr in attrpath.named_children if attrpath is not None else []:
                    name = nixast.attr_name(data, attr)
                    if name is None and attr.type == "interpolation":
                        value = self.eval(attr.named_children[0] if attr.named_children else None, value_env, file)
                        name = value.value if isinstance(value, Str) else None
                    elif name is None and attr.type == "string_expression":
                        value = self._string(attr, value_env, file)
                        name = value.value if isinstance(value, Str) else None
                    names.append(name)
                if not names or any(n is None for n in names):
                    partial = True
                    continue
                thunk = Thunk(binding.child_by_field_name("expression"), value_env, file)
                _insert(target, names, thunk)
            elif binding.type in ("inherit", "inherit_from"):
                source_node = binding.child_by_field_name("expression")
                attrs = binding.child_by_field_name("attrs")
                for attr in attrs.named_children if attrs is not None else []:
                    name = nixast.attr_name(data, attr)
                    if name is None:
                        partial = True
                        continue
                    if source_node is None:
                        found = inherit_env.lookup(name)
                        target[name] = found if isinstance(found, Thunk) else Thunk.of(Unknown(f"`{name}` is not bound"))
                    else:
                        target[name] = Thunk.of(_Deferred(self, source_node, value_env, file, name))
        return partial

    def _select(self, node, env: Env, file: str):
        data = self.repo.sources[file].data
        attrpath = node.child_by_field_name("attrpath")
        names = nixast.attrpath_names(data, attrpath) if attrpath is not None else []
        default = node.child_by_field_name("default")
        value = self.eval(node.child_by_field_name("expression"), env, file)
        for index, name in enumerate(names):
            value = _resolve(self, value)
            if name is None:
                return Unknown("a computed attribute name")
            if isinstance(value, Attrs):
                if name in value.entries:
                    value = self.force(value.entries[name])
                    continue
                if value.is_self and name == "outPath":
                    value = PathValue(".", file=file, start=node.start_byte)
                    continue
                if default is not None and not value.partial:
                    return self.eval(default, env, file)
            elif isinstance(value, External):
                if names[-1] == "mkFlake" and "flake-parts" in value.path.split(".") + list(names):
                    return Builtin("flake-parts-mkFlake")
                if names[-1] in BUILTIN_FUNCTIONS:
                    return Builtin(names[-1])
                return External(".".join([value.path, *(n or "?" for n in names[index:])]))
            break
        else:
            return _resolve(self, value)
        if names and names[-1] in BUILTIN_FUNCTIONS:
            # `nixpkgs.lib.nixosSystem`, `lib.genAttrs`, `builtins.readDir`: known by name.
            return Builtin(names[-1])
        return Unknown(f"attribute `{'.'.join(n or '?' for n in names)}` is not known statically")

    def _binary(self, node, env: Env, file: str):
        operator = node.child_by_field_name("operator")
        op = operator.type if operator is not None else ""
        left = _resolve(self, self.eval(node.child_by_field_name("left"), env, file))
        right = _resolve(self, self.eval(node.child_by_field_name("right"), env, file))
        if op == "++":
            # Keep what is known; an unknown side stays in the list as one unknown entry.
            if isinstance(left, ListValue) or isinstance(right, ListValue):
                return ListValue(_list_items(left) + _list_items(right))
            return Unknown("a list joined with something flakelint cannot compute")
        if op in ("&&", "||"):
            if isinstance(left, Scalar) and isinstance(right, Scalar):
                return Scalar(bool(left.value and right.value) if op == "&&" else bool(left.value or right.value))
            return Unknown("a condition flakelint cannot decide")
        if op == "//":
            if isinstance(left, Attrs) and isinstance(right, Attrs):
                return Attrs({**left.entries, **right.entries}, left.partial or right.partial)
            return Unknown("a set merged with something flakelint cannot compute")
        if op == "+":
            if isinstance(left, Attrs) and left.is_self:
                left = PathValue(".", file=file, start=node.start_byte)
            if isinstance(left, PathValue) and isinstance(right, Str):
                return self._join(left, right.value)
            if isinstance(left, Str) and isinstance(right, Str):
                return Str(left.value + right.value)
            return Unknown("a sum flakelint cannot compute")
        if op in ("==", "!="):
            if isinstance(left, (Str, Scalar)) and isinstance(right, (Str, Scalar)):
                equal = type(left) is type(right) and left.value == right.value
                return Scalar(equal if op == "==" else not equal)
        return Unknown(f"operator {op}")

    # -- application

    def apply(self, function, argument: Thunk, node, file: str):
        function = _resolve(self, function)
        if isinstance(function, Lambda):
            return self._call_lambda(function, argument)
        if isinstance(function, Builtin):
            return self._call_builtin(function, argument, node, file)
        if isinstance(function, External):
            return Unknown(f"a function from {function.path}")
        if isinstance(function, Unknown):
            return function
        return Unknown("a function flakelint cannot follow")

    def _call_lambda(self, function: Lambda, argument: Thunk):
        node = function.node
        data = self.repo.sources[function.file].data
        scope = Env({}, function.env)
        universal = node.child_by_field_name("universal")
        formals = node.child_by_field_name("formals")
        if universal is not None:
            scope.names[nixast.node_text(data, universal)] = argument
        if formals is not None:
            value = _resolve(self, self.force(argument))
            for formal in formals.named_children:
                if formal.type != "formal":
                    continue
                name_node = formal.child_by_field_name("name")
                if name_node is None:
                    continue
                name = nixast.node_text(data, name_node)
                default = formal.child_by_field_name("default")
                if isinstance(value, Attrs) and name in value.entries:
                    scope.names[name] = value.entries[name]
                elif default is not None and isinstance(value, Attrs) and not value.partial:
                    scope.names[name] = Thunk(default, scope, function.file)
                elif isinstance(value, External):
                    scope.names[name] = Thunk.of(External(f"{value.path}.{name}"))
                else:
                    scope.names[name] = Thunk.of(Unknown(f"argument `{name}` is not known"))
        return self.eval(node.child_by_field_name("body"), scope, function.file)

    def _call_builtin(self, function: Builtin, argument: Thunk, node, file: str):
        arity = BUILTIN_FUNCTIONS.get(function.name, 1)
        args = function.args + (argument,)
        if len(args) < arity:
            return Builtin(function.name, args)
        handler = getattr(self, "_builtin_" + function.name.replace("'", "_").replace("-", "_"), None)
        if handler is None:
            return Unknown(f"`{function.name}` is not followed")
        return handler(node, file, *args)

    def _builtin_builder(self, kind: str, node, file: str, argument: Thunk):
        value = _resolve(self, self.force(argument))
        if not isinstance(value, Attrs):
            return Configuration(kind, Unknown("the builder's argument is not a literal set"), Unknown(""), file, node.start_byte)
        modules = self.force(value.entries["modules"]) if "modules" in value.entries else ListValue([])
        if "modules" not in value.entries and value.partial:
            modules = Unknown("modules may be set by a computed attribute")
        special = value.entries.get("specialArgs") or value.entries.get("extraSpecialArgs")
        special_value = self.force(special) if special is not None else Attrs({})
        return Configuration(kind, _resolve(self, modules), special_value, file, node.start_byte)

    def _builtin_nixosSystem(self, node, file, argument):
        return self._builtin_builder("nixos", node, file, argument)

    def _builtin_homeManagerConfiguration(self, node, file, argument):
        return self._builtin_builder("home-manager", node, file, argument)

    def _builtin_darwinSystem(self, node, file, argument):
        return self._builtin_builder("darwin", node, file, argument)

    def _builtin_import(self, node, file, argument):
        value = _resolve(self, self.force(argument))
        if not isinstance(value, PathValue) or value.pattern or value.outside:
            return Unknown("an import of a path flakelint cannot compute")
        target = value.target
        if self.index.is_dir(target):
            target = "default.nix" if target == "." else f"{target}/default.nix"
        if target not in self.repo.sources:
            return Unknown(f"{target} is not a parsed file of this flake")
        return self.file_value(target)

    def _builtin_readDir(self, node, file, argument):
        value = _resolve(self, self.force(argument))
        if not isinstance(value, PathValue) or value.pattern or value.outside:
            return Unknown("readDir of a path flakelint cannot compute")
        entries = {}
        prefix = "" if value.target == "." else value.target + "/"
        for path in self.index.files_under(value.target):
            first = path[len(prefix) :].split("/", 1)
            entries[first[0]] = Thunk.of(Str("directory" if len(first) > 1 else "regular"))
        return Attrs(entries)

    def _builtin_attrNames(self, node, file, argument):
        value = _resolve(self, self.force(argument))
        if isinstance(value, Attrs) and not value.partial:
            return ListValue([Thunk.of(Str(name)) for name in sorted(value.entries)])
        return Unknown("attrNames of a set flakelint cannot compute")

    def _builtin_attrValues(self, node, file, argument):
        value = _resolve(self, self.force(argument))
        if isinstance(value, Attrs) and not value.partial:
            return ListValue([value.entries[name] for name in sorted(value.entries)])
        return Unknown("attrValues of a set flakelint cannot compute")

    def _builtin_genAttrs(self, node, file, names, function):
        listed = _resolve(self, self.force(names))
        if not isinstance(listed, ListValue):
            return Unknown("genAttrs over a list flakelint cannot compute")
        entries = {}
        for item in listed.items:
            name = _resolve(self, self.force(item))
            if not isinstance(name, Str):
                return Unknown("genAttrs over names flakelint cannot compute")
            entries[name.value] = Thunk.of(_Deferred(self, None, None, file, None, apply=(function, Thunk.of(name), node)))
        return Attrs(entries)

    def _builtin_mapAttrs(self, node, file, function, attrs):
        value = _resolve(self, self.force(attrs))
        if not isinstance(value, Attrs):
            return Unknown("mapAttrs over a set flakelint cannot compute")
        entries = {}
        for name, thunk in value.entries.items():
            curried = Thunk.of(_Deferred(self, None, None, file, None, apply=(function, Thunk.of(Str(name)), node)))
            entries[name] = Thunk.of(_Deferred(self, None, None, file, None, apply=(curried, thunk, node)))
        return Attrs(entries, value.partial)

    def _builtin_map(self, node, file, function, items):
        listed = _resolve(self, self.force(items))
        if not isinstance(listed, ListValue):
            return Unknown("map over a list flakelint cannot compute")
        return ListValue([Thunk.of(_Deferred(self, None, None, file, None, apply=(function, item, node))) for item in listed.items])

    def _builtin_listToAttrs(self, node, file, items):
        listed = _resolve(self, self.force(items))
        if not isinstance(listed, ListValue):
            return Unknown("listToAttrs of a list flakelint cannot compute")
        entries = {}
        for item in listed.items:
            pair = _resolve(self, self.force(item))
            if not isinstance(pair, Attrs) or "name" not in pair.entries or "value" not in pair.entries:
                return Unknown("listToAttrs of pairs flakelint cannot compute")
            name = _resolve(self, self.force(pair.entries["name"]))
            if not isinstance(name, Str):
                return Unknown("listToAttrs with a computed name")
            entries[name.value] = pair.entries["value"]
        return Attrs(entries)

    def _builtin_nameValuePair(self, node, file, name, value):
        return Attrs({"name": name, "value": value})

    def _builtin_optionals(self, node, file, condition, items):
        decided = _resolve(self, self.force(condition))
        if isinstance(decided, Scalar) and decided.value is False:
            return ListValue([])
        return _resolve(self, self.force(items))

    def _builtin_optional(self, node, file, condition, item):
        decided = _resolve(self, self.force(condition))
        if isinstance(decided, Scalar) and decided.value is False:
            return ListValue([])
        return ListValue([item])

    def _builtin_flatten(self, node, file, items):
        listed = _resolve(self, self.force(items))
        if not isinstance(listed, ListValue):
            return Unknown("flatten of a list flakelint cannot compute")
        out = []
        for item in listed.items:
            value = _resolve(self, self.force(item))
            out.extend(value.items if isinstance(value, ListValue) else [item])
        return ListValue(out)

    _builtin_concatLists = _builtin_flatten

    def _builtin_concatMap(self, node, file, function, items):
        return self._builtin_flatten(node, file, Thunk.of(self._builtin_map(node, file, function, items)))

    def _builtin_filter(self, node, file, predicate, items):
        listed = _resolve(self, self.force(items))
        if not isinstance(listed, ListValue):
            return Unknown("filter over a list flakelint cannot compute")
        kept = []
        for item in listed.items:
            decided = _resolve(self, self.apply(self.force(predicate), item, node, file))
            if not (isinstance(decided, Scalar) and isinstance(decided.value, bool)):
                return Unknown("filter with a predicate flakelint cannot decide")
            if decided.value:
                kept.append(item)
        return ListValue(kept)

    def _builtin_foldl_(self, node, file, function, initial, items):
        listed = _resolve(self, self.force(items))
        if not isinstance(listed, ListValue):
            return Unknown("foldl' over a list flakelint cannot compute")
        accumulator = initial
        for item in listed.items:
            partial = self.apply(self.force(function), accumulator, node, file)
            accumulator = Thunk.of(self.apply(partial, item, node, file))
        return _resolve(self, self.force(accumulator))

    def _builtin_pipe(self, node, file, value, functions):
        listed = _resolve(self, self.force(functions))
        if not isinstance(listed, ListValue):
            return Unknown("pipe through functions flakelint cannot compute")
        current = value
        for function in listed.items:
            current = Thunk.of(self.apply(self.force(function), current, node, file))
        return _resolve(self, self.force(current))

    def _builtin_mergeAttrsList(self, node, file, items):
        listed = _resolve(self, self.force(items))
        if not isinstance(listed, ListValue):
            return Unknown("mergeAttrsList of a list flakelint cannot compute")
        merged, partial = {}, False
        for item in listed.items:
            value = _resolve(self, self.force(item))
            if not isinstance(value, Attrs):
                return Unknown("mergeAttrsList of sets flakelint cannot compute")
            merged.update(value.entries)
            partial = partial or value.partial
        return Attrs(merged, partial)

    def _builtin_recursiveUpdate(self, node, file, left, right):
        a, b = _resolve(self, self.force(left)), _resolve(self, self.force(right))
        if not (isinstance(a, Attrs) and isinstance(b, Attrs)):
            return Unknown("recursiveUpdate of sets flakelint cannot compute")
        merged = dict(a.entries)
        _merge_into(self, merged, b)
        return Attrs(merged, a.partial or b.partial)

    def _builtin_mapAttrs_(self, node, file, function, attrs):
        """``mapAttrs' (name: value: nameValuePair …) set``."""
        value = _resolve(self, self.force(attrs))
        if not isinstance(value, Attrs) or value.partial:
            return Unknown("mapAttrs' over a set flakelint cannot compute")
        entries = {}
        for name, thunk in value.entries.items():
            curried = self.apply(self.force(function), Thunk.of(Str(name)), node, file)
            pair = _resolve(self, self.apply(curried, thunk, node, file))
            if not isinstance(pair, Attrs) or "name" not in pair.entries or "value" not in pair.entries:
                return Unknown("mapAttrs' with pairs flakelint cannot compute")
            key = _resolve(self, self.force(pair.entries["name"]))
            if not isinstance(key, Str):
                return Unknown("mapAttrs' with a computed name")
            entries[key.value] = pair.entries["value"]
        return Attrs(entries)

    # -- flake-parts

    def _builtin_flake_parts_mkFlake(self, node, file, _arguments, module):
        """``flake-parts.lib.mkFlake { inherit inputs; } module``: the ``flake`` option of its modules."""
        outputs: dict = {}
        pending = [module]
        seen_files: set[str] = set()
        partial = False
        while pending:
            if len(seen_files) > 500:
                break
            item = pending.pop()
            current = _resolve(self, self.force(item) if isinstance(item, Thunk) else item)
            if isinstance(current, PathValue):
                current = self._module_file(current, seen_files)
            if isinstance(current, Lambda):
                current = self._call_lambda(current, Thunk.of(self.module_arguments))
            if not isinstance(current, Attrs):
                partial = True
                continue
            if "flake" in current.entries:
                flake_value = _resolve(self, self.force(current.entries["flake"]))
                if isinstance(flake_value, Attrs):
                    _merge_into(self, outputs, flake_value)
                    partial = partial or flake_value.partial
                else:
                    partial = True
            if "imports" in current.entries:
                imports = _resolve(self, self.force(current.entries["imports"]))
                if isinstance(imports, ListValue):
                    pending.extend(imports.items)
                else:
                    partial = True
        return Attrs(outputs, partial=True if partial else False)

    def _module_file(self, path: PathValue, seen: set[str]):
        if path.pattern or path.outside:
            return Unknown("a module path flakelint cannot compute")
        target = path.target
        if self.index.is_dir(target):
            target = "default.nix" if target == "." else f"{target}/default.nix"
        if target in seen or target not in self.repo.sources:
            return Unknown(f"{target} is not a parsed file of this flake")
        seen.add(target)
        return self.file_value(target)


BUILTIN_FUNCTIONS = {
    "flake-parts-mkFlake": 2,
    "nixosSystem": 1,
    "homeManagerConfiguration": 1,
    "darwinSystem": 1,
    "import": 1,
    "readDir": 1,
    "attrNames": 1,
    "attrValues": 1,
    "genAttrs": 2,
    "mapAttrs": 2,
    "map": 2,
    "listToAttrs": 1,
    "nameValuePair": 2,
    "optionals": 2,
    "optional": 2,
    "flatten": 1,
    "concatLists": 1,
    "concatMap": 2,
    "filter": 2,
    "foldl'": 3,
    "pipe": 2,
    "mergeAttrsList": 1,
    "recursiveUpdate": 2,
    "mapAttrs'": 2,
}


class _Deferred:
    """A value computed on first use: ``inherit (x) a`` or a pending application."""

    def __init__(self, evaluator, node, env, file, name, apply=None):
        self.evaluator, self.node, self.env, self.file, self.name, self.apply_args = evaluator, node, env, file, name, apply
        self.result = None

    def get(self):
        if self.result is None:
            self.result = Unknown("infinite recursion")  # guards re-entry
            evaluator = self.evaluator
            if self.apply_args is not None:
                function, argument, node = self.apply_args
                value = function if not isinstance(function, Thunk) else evaluator.force(function)
                self.result = evaluator.apply(value, argument, node, self.file)
            else:
                source = _resolve(evaluator, evaluator.eval(self.node, self.env, self.file))
                if isinstance(source, Attrs) and self.name in source.entries:
                    self.result = evaluator.force(source.entries[self.name])
                elif isinstance(source, External):
                    self.result = External(f"{source.path}.{self.name}")
                elif self.name in BUILTIN_FUNCTIONS:
                    self.result = Builtin(self.name)
                else:
                    self.result = Unknown(f"inherited `{self.name}` is not known statically")
        return _resolve(self.evaluator, self.result)


def _resolve(evaluator, value):
    for _ in range(1000):
        if isinstance(value, _Deferred):
            value = value.get()
        elif isinstance(value, Thunk):
            value = evaluator.force(value)
        else:
            return value
    return Unknown("too many indirections")


def _merge_into(evaluator, target: dict, source: Attrs, depth: int = 0) -> None:
    """Merge module definitions of ``flake`` (sets merge, the first other value wins)."""
    for name, thunk in source.entries.items():
        if name not in target:
            target[name] = thunk
            continue
        if depth >= 2:
            continue
        existing = _resolve(evaluator, evaluator.force(target[name]))
        incoming = _resolve(evaluator, evaluator.force(thunk))
        if isinstance(existing, Attrs) and isinstance(incoming, Attrs):
            merged = dict(existing.entries)
            _merge_into(evaluator, merged, incoming, depth + 1)
            target[name] = Thunk.of(Attrs(merged, existing.partial or incoming.partial))


def _list_items(value) -> list:
    if isinstance(value, ListValue):
        return list(value.items)
    reason = value.reason if isinstance(value, Unknown) else "a value that is not a list"
    return [Thunk.of(Unknown(reason))]


def _insert(target: dict, names: list[str], thunk: Thunk) -> None:
    """``a.b.c = x``: nested sets, merging with what is already there."""
    current = target
    for name in names[:-1]:
        existing = current.get(name)
        if existing is None or not isinstance(existing.value, Attrs) or existing.node is not None:
            if existing is not None and existing.node is not None:
                return  # `a = { … }; a.b = …;` — keep it simple: the first wins
            attrs = Attrs({})
            current[name] = Thunk.of(attrs)
            current = attrs.entries
        else:
            current = existing.value.entries
    current.setdefault(names[-1], thunk)


# ---------------------------------------------------------------- building the model


def _inputs_value(evaluator, flake_attrs: Attrs, self_value: Attrs) -> Attrs:
    """``inputs``: every declared input as an External, plus ``self``."""
    entries = {}
    declared = flake_attrs.entries.get("inputs")
    value = _resolve(evaluator, evaluator.force(declared)) if declared is not None else None
    if isinstance(value, Attrs):
        for name in value.entries:
            entries[name] = Thunk.of(External(f"inputs.{name}"))
    entries["self"] = Thunk.of(self_value)
    return Attrs(entries, partial=True)


def build_model(repo, index) -> FlakeModel:
    """Evaluate ``flake.nix`` far enough to list configurations and their modules."""
    model = FlakeModel()
    if "flake.nix" not in repo.sources:
        return model
    evaluator = Evaluator(repo, index)
    try:
        top = _resolve(evaluator, evaluator.file_value("flake.nix"))
        if not isinstance(top, Attrs) or "outputs" not in top.entries:
            model.unknown.append("flake.nix is not a literal set with `outputs`")
            return model
        outputs_function = _resolve(evaluator, evaluator.force(top.entries["outputs"]))
        self_value = Attrs({}, partial=True, is_self=True)
        inputs = _inputs_value(evaluator, top, self_value)
        evaluator.module_arguments = Attrs(
            {"inputs": Thunk.of(inputs), "self": Thunk.of(self_value)}, partial=True
        )
        outputs = _resolve(evaluator, evaluator.apply(outputs_function, Thunk.of(inputs), None, "flake.nix"))
        if isinstance(outputs, Attrs):
            self_value.entries.update(outputs.entries)
        if not isinstance(outputs, Attrs):
            reason = outputs.reason if isinstance(outputs, Unknown) else "outputs are not a set"
            model.unknown.append(f"outputs: {reason}")
            return model
        model.outputs = sorted(outputs.entries)
        if outputs.partial:
            model.unknown.append("outputs: some output names are computed")
        for output, kind in CONFIGURATION_OUTPUTS.items():
            if output not in outputs.entries:
                continue
            configurations = _resolve(evaluator, evaluator.force(outputs.entries[output]))
            if not isinstance(configurations, Attrs):
                model.unknown.append(f"{output}: {getattr(configurations, 'reason', 'not a set')}")
                continue
            for name in sorted(configurations.entries):
                value = _resolve(evaluator, evaluator.force(configurations.entries[name]))
                model.configurations.append(_configuration_model(evaluator, kind, name, value))
    except (Budget, RecursionError):
        model.unknown.append("flake.nix is too complex to follow within flakelint's evaluation budget")
    return model


def _configuration_model(evaluator, kind: str, name: str, value) -> ConfigurationModel:
    if not isinstance(value, Configuration):
        reason = value.reason if isinstance(value, Unknown) else "not built by a known builder"
        return ConfigurationModel(kind, name, [ModuleEntry("unknown", detail=reason)], False, [], "", 0)
    entries = _module_entries(evaluator, value.modules)
    special = value.special_args
    special_names = sorted(special.entries) if isinstance(special, Attrs) else []
    complete = all(entry.kind != "unknown" for entry in entries)
    return ConfigurationModel(value.kind if value.kind else kind, name, entries, complete, special_names, value.file, value.start)


def _is_file_root(evaluator, function: Lambda) -> bool:
    """Is this function the whole file (``import ./module.nix``)?"""
    source = evaluator.repo.sources.get(function.file)
    if source is None:
        return False
    return nixast.unwrap(source.root_node.child_by_field_name("expression")) == function.node


def _module_entries(evaluator, modules) -> list[ModuleEntry]:
    modules = _resolve(evaluator, modules)
    if not isinstance(modules, ListValue):
        reason = modules.reason if isinstance(modules, Unknown) else "not a list"
        return [ModuleEntry("unknown", detail=reason)]
    entries = []
    for item in modules.items:
        try:
            value = _resolve(evaluator, evaluator.force(item))
        except Budget:
            raise
        where = (item.file, item.node.start_byte) if item.node is not None else ("", 0)
        if isinstance(value, PathValue):
            if value.outside:
                entries.append(ModuleEntry("unknown", detail="a path outside the flake", file=value.file, start=value.start))
            else:
                entries.append(ModuleEntry("pattern" if value.pattern else "path", value.target, file=value.file, start=value.start))
        elif isinstance(value, Lambda) and _is_file_root(evaluator, value):
            entries.append(ModuleEntry("path", value.file, file=where[0], start=where[1]))
        elif isinstance(value, (Attrs, Lambda)):
            entries.append(ModuleEntry("inline", file=where[0], start=where[1]))
        elif isinstance(value, External):
            entries.append(ModuleEntry("external", detail=value.path, file=where[0], start=where[1]))
        elif isinstance(value, ListValue):
            entries.extend(_module_entries(evaluator, value))
        else:
            reason = value.reason if isinstance(value, Unknown) else type(value).__name__
            entries.append(ModuleEntry("unknown", detail=reason, file=where[0], start=where[1]))
    return entries
