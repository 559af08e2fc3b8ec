from __future__ import annotations

import posixpath
import re

from flakelint import nixast
from flakelint.diagnostic import Severity
from flakelint.wiring import layout_of
from flakelint.overlays import ATTRSETS, is_overlay_file, overlay_items, overlay_shape, resolve_name, strip
from flakelint.rule import RepoRule

#: Calls that pass a list of overlays through unchanged (or conditionally):
#: the list is their last argument.
LIST_WRAPPERS = {"mkIf", "optionals", "mkBefore", "mkAfter", "mkForce", "mkDefault", "mkOverride", "mkOrder", "appendOverlays"}
#: Calls whose last argument is a single overlay (`lib.optional cond overlay`).
ITEM_WRAPPERS = {"optional"}
MAX_DEPTH = 32
#: Top directories (under the layout's prefix) of tests and checks.
TEST_DIRS = ("tests", "test", "checks")


class InlineOverlay(RepoRule):
    """An overlay written inline in an `overlays` list instead of in the overlays directory.

    ## What it does
    In a repository that follows a layout flakelint knows (the seed layout,
    snowfall-lib, blueprint, …), finds the overlays that are *applied* —
    the items of `nixpkgs.overlays = [ … ]` (any spelling:
    `nixpkgs = { overlays = …; }`), of the `overlays` argument of
    `import nixpkgs { … }`, of a `let overlays = [ … ]` list, of
    `pkgs.appendOverlays [ … ]` — and reports an item that is a
    two-argument function written right there (`final: prev: { … }`,
    `self: super: { … }`, `_: prev: { … }`). Lists are followed through
    `++`, `lib.mkIf`, `lib.optionals`, `lib.optional`, `lib.mkBefore`/`mkAfter`
    and `if … then … else`, and items through names bound by `let` in the
    same file.

    Not reported: files in the overlays directory itself (or any directory
    named `overlays`); files under `tests/`, `test/` or `checks/` (a test may
    stub a package with an overlay of its own); items that are not written inline (`(import
    ./overlays)`, `inputs.foo.overlays.default`, `self.overlays.default`);
    the `overlays.<name>` outputs of `flake.nix` and flake-parts'
    `flake.overlays.<name>` (they *define* an overlay, which is where it
    belongs); one-argument functions; overlays inside
    `lib.composeManyExtensions`/`composeExtensions`; and thin adapters whose
    body only calls something else with both arguments (`final: prev:
    import ./x.nix final prev`, `final: prev: inputs.foo.overlays.default
    final prev`).

    ## Why is this bad?
    An overlay in the middle of a host or home module is invisible to the
    rest of the flake: another host cannot apply it, `nix flake show` does
    not list it, and the next change to the package it patches has to be
    hunted through every module. The layout keeps overlays in one place
    (`overlays/`), each in its own file, applied by name.

    ## Example
    ```nix
    # file: flake.nix
    {
      outputs = { nixpkgs, ... }: {
        nixosConfigurations.laptop = nixpkgs.lib.nixosSystem {
          modules = [ ./hosts/laptop/configuration.nix ];
        };
      };
    }
    # file: hosts/laptop/configuration.nix
    { ... }:
    {
      imports = [ ./hardware-configuration.nix ../../modules/services/ssh.nix ];
      nixpkgs.overlays = [
        (final: prev: {
          htop = prev.htop.override { sensorsSupport = false; };
        })
      ];
    }
    # file: hosts/laptop/hardware-configuration.nix
    { ... }: { fileSystems."/".device = "/dev/sda1"; }
    # file: modules/services/ssh.nix
    { ... }: { services.openssh.enable = true; }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      outputs = { nixpkgs, ... }: {
        nixosConfigurations.laptop = nixpkgs.lib.nixosSystem {
          modules = [ ./hosts/laptop/configuration.nix ];
        };
      };
    }
    # file: hosts/laptop/configuration.nix
    { ... }:
    {
      imports = [ ./hardware-configuration.nix ../../modules/services/ssh.nix ];
      nixpkgs.overlays = [ (import ../../overlays/htop.nix) ];
    }
    # file: overlays/htop.nix
    final: prev: {
      htop = prev.htop.override { sensorsSupport = false; };
    }
    # file: hosts/laptop/hardware-configuration.nix
    { ... }: { fileSystems."/".device = "/dev/sda1"; }
    # file: modules/services/ssh.nix
    { ... }: { services.openssh.enable = true; }
    ```

    ## Known limitations
    Only lists bound to a name `overlays` (or passed to `appendOverlays`)
    are searched; an overlay handed to a function of the repository's own
    (`mkHost { overlays = … }` counts, `mkHost [ (final: prev: …) ]` does
    not) or built by a function is not seen. Like every layout rule, it is
    silent in a repository whose layout flakelint does not recognise (see
    `[layout]` in the configuration to name one).
    """

    code = "FL307"
    name = "inline-overlay"
    severity = Severity.INFO

    def check(self, repo):
        layout = layout_of(repo)
        if layout is None:
            return
        overlays_dir = layout.full(layout.overlays_dir).strip("/")
        for path in sorted(repo.sources):
            if not path.endswith(".nix") or _inside(path, overlays_dir) or is_overlay_file(path):
                continue
            inner = layout.under_prefix(path) or path
            if "/" in inner and inner.split("/", 1)[0] in TEST_DIRS:
                continue  # a test may stub packages with an overlay of its own
            source = repo.sources.get(path)
            if source is None or b"overlays" not in source.data:
                continue
            if source.has_error:
                continue
            for node, where in inline_overlays(source):
                data = source.data
                name = _suggested_name(data, node)
                target = f"{overlays_dir}/{name}/default.nix" if layout.preset == "snowfall" else f"{overlays_dir}/{name}.nix"
                relative = posixpath.relpath(target, posixpath.dirname(path) or ".")
                if not relative.startswith("../"):
                    relative = "./" + relative
                if layout.preset == "snowfall":
                    how = "write it there as `{ channels, ... }: final: prev: { … }`: snowfall-lib applies every overlay of that directory to every system"
                else:
                    how = f"apply it with `(import {relative})`, or export it as `overlays.{name}` from flake.nix and apply `self.overlays.{name}`"
                yield self.diagnostic(
                    source,
                    node,
                    f"overlay written inline in {where}: move it to `{target}`, the layout keeps overlays in `{overlays_dir}/`",
                    hint=how,
                )


def _inside(path: str, directory: str) -> bool:
    return bool(directory) and path.startswith(directory + "/")


def inline_overlays(source) -> list[tuple[object, str]]:
    """(function node, where) for each inline two-argument overlay in an applied overlays list."""
    data = source.data
    defined = _defined_overlays(source)
    found: list[tuple[object, str]] = []
    seen: set[int] = set()
    for binding in source.captures("(binding) @b").get("b", []):
        path = nixast.full_attrpath(data, binding)
        if not path or path[-1] != "overlays":
            continue
        where = "`nixpkgs.overlays`" if path[-2:] == ["nixpkgs", "overlays"] else "an `overlays` list"
        for item in _list_items(data, binding.child_by_field_name("expression")):
            _consider(data, item, where, defined, seen, found)
    if b"appendOverlays" in data:
        for call in source.captures("(apply_expression) @a").get("a", []):
            head, args = nixast.apply_head(call)
            if nixast.call_name(data, head) == "appendOverlays" and len(args) == 1:
                parent = call.parent
                if parent is not None and parent.type == "apply_expression" and parent.child_by_field_name("function") == call:
                    continue
                for item in _list_items(data, args[0]):
                    _consider(data, item, "`appendOverlays`", defined, seen, found)
    found.sort(key=lambda pair: pair[0].start_byte)
    return found


def _defined_overlays(source) -> set[int]:
    """Start bytes of the overlays this file defines as flake outputs (`overlays.<name>`, `flake.overlays.<name>`)."""
    data = source.data
    found: set[int] = set()
    for binding in source.captures("(binding) @b").get("b", []):
        path = nixast.full_attrpath(data, binding)
        if not path or any(p is None for p in path) or _in_let(binding):
            continue
        if source.path == "flake.nix":
            output = path[1:] if path[0] == "flake" else path
            if not (output and output[0] == "overlays" and len(output) == 2) and output != ["overlay"]:
                continue
        elif not (path[:2] == ["flake", "overlays"] and len(path) == 3):
            continue
        for overlay in overlay_items(data, binding.child_by_field_name("expression")):
            found.add(overlay.start_byte)
    return found


def _in_let(binding) -> bool:
    parent = binding.parent
    return parent is not None and parent.parent is not None and parent.parent.type == "let_expression"


def _consider(data: bytes, item, where: str, defined: set[int], seen: set[int], found: list) -> None:
    node = nixast.unwrap(item)
    for _ in range(8):
        if node is None or node.type != "variable_expression":
            break
        node = nixast.unwrap(resolve_name(data, node))
    if node is None or node.type != "function_expression" or node.start_byte in seen or node.start_byte in defined:
        return
    shape = overlay_shape(data, node)
    if shape.kind != "overlay" or _is_adapter(data, shape):
        return
    seen.add(node.start_byte)
    found.append((node, where))


def _list_items(data: bytes, value) -> list:
    """The items of a list value, through `++`, `mkIf`, `optionals`, `if`, let-bound names."""
    items: list = []
    pending = [(value, 0)]
    while pending:
        node, depth = pending.pop()
        node = strip(node)
        if node is None or depth > MAX_DEPTH:
            continue
        if node.type == "list_expression":
            items.extend(c for c in node.named_children if c.type != "comment")
        elif node.type == "binary_expression":
            operator = node.child_by_field_name("operator")
            if operator is not None and operator.type == "++":
                pending.append((node.child_by_field_name("left"), depth + 1))
                pending.append((node.child_by_field_name("right"), depth + 1))
        elif node.type == "if_expression":
            pending.append((node.child_by_field_name("consequence"), depth + 1))
            pending.append((node.child_by_field_name("alternative"), depth + 1))
        elif node.type == "variable_expression":
            value_of = resolve_name(data, node)
            if value_of is not None:
                pending.append((value_of, depth + 1))
        elif node.type == "apply_expression":
            head, args = nixast.apply_head(node)
            name = nixast.call_name(data, head)
            if not args:
                continue
            if name in LIST_WRAPPERS:
                pending.append((args[-1], depth + 1))
            elif name in ITEM_WRAPPERS:
                items.append(args[-1])
            elif name == "mkMerge" and len(args) == 1:
                inner = strip(args[0])
                if inner is not None and inner.type == "list_expression":
                    pending.extend((c, depth + 1) for c in inner.named_children if c.type != "comment")
    items.sort(key=lambda n: n.start_byte)
    return items


def _is_adapter(data: bytes, shape) -> bool:
    """`final: prev: import ./x.nix …` or `final: prev: f final prev`: the overlay lives elsewhere."""
    body = strip(shape.body)
    if body is None or body.type != "apply_expression":
        return False
    head, args = nixast.apply_head(body)
    if nixast.dotted_name(data, head) in ("import", "builtins.import"):
        return True
    names = {nixast.node_text(data, a) for a in (nixast.unwrap(x) for x in args) if a is not None and a.type == "variable_expression"}
    return shape.final in names and shape.prev in names


def _suggested_name(data: bytes, function) -> str:
    """A file name for the overlay: the first attribute it defines, else a placeholder."""
    shape = overlay_shape(data, function)
    body = strip(shape.body)
    if body is not None and body.type in ATTRSETS:
        binding_set = next((c for c in body.named_children if c.type == "binding_set"), None)
        for binding in binding_set.named_children if binding_set is not None else []:
            if binding.type == "binding":
                names = nixast.binding_path(data, binding)
                name = names[0] if names else None
            elif binding.type in ("inherit", "inherit_from"):
                attrs = binding.child_by_field_name("attrs")
                first = next((a for a in attrs.named_children if a.type != "comment"), None) if attrs is not None else None
                name = nixast.attr_name(data, first) if first is not None else None
            else:
                continue
            if name:
                cleaned = re.sub(r"[^A-Za-z0-9_+-]+", "-", name).strip("-")
                if cleaned:
                    return cleaned
            break
    return "<name>"
