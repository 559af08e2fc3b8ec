from __future__ import annotations

from flakelint import nixast
from flakelint.diagnostic import Severity
from flakelint.rule import FileRule

from . import attrset_bindings, inherited_names

MAX_STEPS = 256
QUERY = "(apply_expression) @call (binding) @binding"


def _lib_extended_for_home_manager(data: bytes, value) -> bool:
    """Is this ``lib = …`` value possibly fine for home-manager (or unknown)?

    Reported only when the value is visibly nixpkgs' plain library: ``lib``,
    ``nixpkgs.lib``, ``pkgs.lib`` …, or ``….lib.extend f`` where nothing
    mentions home-manager. ``lib = home-lib`` (a name flakelint cannot see
    into) and ``nixpkgs.lib.extend (_: _: home-manager.lib)`` keep silent.
    """
    value = nixast.unwrap(value)
    if value is None:
        return True
    text = data[value.start_byte : value.end_byte]
    if b"home-manager" in text or b"hm" in text:
        return True
    if value.type == "apply_expression":
        head, _args = nixast.apply_head(value)
        dotted = nixast.dotted_name(data, head) or ""
        return not (dotted.endswith(".extend") and (dotted == "lib.extend" or dotted.endswith(".lib.extend")))
    dotted = nixast.dotted_name(data, value) or ""
    return not (dotted == "lib" or dotted.endswith(".lib"))


class LibInSpecialArgs(FileRule):
    """`lib` passed to home-manager through `extraSpecialArgs`.

    ## What it does
    Reports `lib` (`inherit lib;`, `inherit (nixpkgs) lib;`, `lib = …;`) in
    the `extraSpecialArgs` or `specialArgs` of home-manager's
    `homeManagerConfiguration`, and in `home-manager.extraSpecialArgs` of a
    NixOS or nix-darwin module, also when the set is merged with `//`. A
    `lib` that visibly carries home-manager's library
    (`nixpkgs.lib.extend (_: _: home-manager.lib)`) is fine, and a
    `lib = myLib;` whose value flakelint cannot see into is not reported:
    only `lib`, `nixpkgs.lib`, `pkgs.lib`, `inputs.nixpkgs.lib` and their
    `.extend` without home-manager are.

    ## Why is this bad?
    home-manager evaluates its modules with its own `lib`: nixpkgs' `lib`
    extended with `lib.hm` (DAG helpers, `lib.hm.gvariant`,
    `lib.hm.dag.entryAfter`). A `lib` in the special arguments takes
    precedence over it, so every module that uses `lib.hm` — home-manager's
    own included — fails with "attribute 'hm' missing".

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";
      outputs = { nixpkgs, home-manager, ... }: {
        homeConfigurations.alice = home-manager.lib.homeManagerConfiguration {
          pkgs = nixpkgs.legacyPackages.x86_64-linux;
          extraSpecialArgs = { inherit (nixpkgs) lib; };
          modules = [ ./home.nix ];
        };
      };
    }
    # file: home.nix
    { lib, ... }: { home.stateVersion = "25.05"; }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";
      outputs = inputs @ { nixpkgs, home-manager, ... }: {
        homeConfigurations.alice = home-manager.lib.homeManagerConfiguration {
          pkgs = nixpkgs.legacyPackages.x86_64-linux;
          extraSpecialArgs = { inherit inputs; };
          modules = [ ./home.nix ];
        };
      };
    }
    # file: home.nix
    { lib, ... }: { home.stateVersion = "25.05"; }
    ```
    """

    code = "FL505"
    name = "lib-in-special-args"
    severity = Severity.ERROR

    def check(self, source):
        data = source.data
        if b"pecialArgs" not in data or b"lib" not in data:
            return
        found = nixast.captures(QUERY, source.root_node)
        seen: set[int] = set()
        for call in found.get("call", []):
            head, args = nixast.apply_head(call)
            if nixast.call_name(data, head) != "homeManagerConfiguration" or not args:
                continue
            argument = nixast.unwrap(args[-1])
            if argument is None or argument.type not in ("attrset_expression", "rec_attrset_expression"):
                continue
            for binding in attrset_bindings(argument):
                if binding.type != "binding":
                    continue
                path = nixast.binding_path(data, binding)
                if path[:1] in (["extraSpecialArgs"], ["specialArgs"]):
                    yield from self._report(source, binding, path[1:], "homeManagerConfiguration", path[0], seen)
        for binding in found.get("binding", []):
            path = nixast.full_attrpath(data, binding)
            for index in range(len(path) - 1):
                if path[index] == "home-manager" and path[index + 1] == "extraSpecialArgs":
                    local = nixast.binding_path(data, binding)
                    rest = path[index + 2 :]
                    if len(rest) <= len(local):
                        yield from self._report(source, binding, rest, "the home-manager module", "extraSpecialArgs", seen)
                    break

    def _report(self, source, binding, rest, where: str, option: str, seen: set[int]):
        """``binding`` defines ``<option>`` (rest empty) or ``<option>.<rest>``."""
        data = source.data
        if binding.has_error:
            return
        value = binding.child_by_field_name("expression")
        if rest:
            if rest[0] == "lib" and not _lib_extended_for_home_manager(data, value):
                attrs = [a for a in binding.child_by_field_name("attrpath").named_children if a.type != "comment"]
                anchor = attrs[len(attrs) - len(rest)] if len(attrs) >= len(rest) else binding
                yield from self._one(source, anchor, where, option, seen)
            return
        for node in self._lib_entries(data, value):
            yield from self._one(source, node, where, option, seen)

    def _one(self, source, node, where: str, option: str, seen: set[int]):
        if node.start_byte in seen:
            return
        seen.add(node.start_byte)
        yield self.diagnostic(
            source,
            node,
            f"`lib` passed in `{option}` of {where} replaces home-manager's own `lib`: "
            "`lib.hm` is then missing and home-manager modules that use it fail",
            hint="remove `lib` from the special arguments; home-manager modules get `lib` (with `lib.hm`) anyway",
        )

    @staticmethod
    def _lib_entries(data: bytes, value):
        pending = [value]
        steps = 0
        while pending and steps < MAX_STEPS:
            steps += 1
            node = nixast.unwrap(pending.pop())
            if node is None:
                continue
            if node.type == "binary_expression":
                operator = node.child_by_field_name("operator")
                if operator is not None and nixast.node_text(data, operator) == "//":
                    pending += [node.child_by_field_name("left"), node.child_by_field_name("right")]
            elif node.type in ("let_expression",):
                pending.append(node.child_by_field_name("body"))
            elif node.type in ("attrset_expression", "rec_attrset_expression"):
                for binding in attrset_bindings(node):
                    if binding.type == "binding":
                        path = nixast.binding_path(data, binding)
                        if path[:1] == ["lib"] and len(path) == 1:
                            if not _lib_extended_for_home_manager(data, binding.child_by_field_name("expression")):
                                attrs = binding.child_by_field_name("attrpath").named_children
                                yield attrs[0]
                    else:
                        for name, attr in inherited_names(data, binding):
                            if name == "lib":
                                yield attr
