from __future__ import annotations

from flakelint import nixast
from flakelint.diagnostic import Severity
from flakelint.rule import RepoRule

from . import attrset_bindings, inherited_names, is_attrset

#: Deprecated output -> what replaces it.
DEPRECATED = {
    "defaultPackage": "`packages.<system>.default`",
    "defaultApp": "`apps.<system>.default`",
    "devShell": "`devShells.<system>.default`",
    "overlay": "`overlays.default`",
    "nixosModule": "`nixosModules.default`",
    "defaultTemplate": "`templates.default`",
    "homeManagerModules": "`homeModules`",
}
#: Functions whose result is (a merge of) output sets built from their arguments.
COMBINATORS = {
    "eachDefaultSystem", "eachSystem", "eachDefaultSystemPassThrough", "eachSystemPassThrough",
    "recursiveUpdate", "mkFlake", "mergeAttrsList", "foldAttrs",
}
MAX_VISITS = 10_000


class DeprecatedFlakeOutput(RepoRule):
    """A flake output under a name Nix has deprecated.

    ## What it does
    Reports the outputs `defaultPackage`, `defaultApp`, `devShell`, `overlay`,
    `nixosModule`, `defaultTemplate` and `homeManagerModules`, written in the
    set `outputs` returns (also through `let`, `//`, `recursiveUpdate`,
    flake-utils' `eachDefaultSystem`/`eachSystem` and the `flake` set of
    flake-parts' `mkFlake`), at the attribute that defines them. An output
    flakelint's flake model finds but that is not written in `flake.nix`
    (built by an imported file) is reported at `outputs`.

    ## Why is this bad?
    `nix flake check` warns about these names and newer tools ignore them:
    `nix develop` and `nix build` look for `devShells.<system>.default` and
    `packages.<system>.default` first, and consumers of a flake expect
    `overlays.default`, `nixosModules.default` and `templates.default`.
    home-manager documents `homeModules` as the output for its modules.

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { self, nixpkgs }: {
        defaultPackage.x86_64-linux = nixpkgs.legacyPackages.x86_64-linux.hello;
        overlay = final: prev: { };
      };
    }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { self, nixpkgs }: {
        packages.x86_64-linux.default = nixpkgs.legacyPackages.x86_64-linux.hello;
        overlays.default = final: prev: { };
      };
    }
    ```
    """

    code = "FL504"
    name = "deprecated-flake-output"
    severity = Severity.WARNING

    def check(self, repo):
        source = repo.sources.get("flake.nix")
        if source is None:
            return
        data = source.data
        body = nixast.unwrap(source.root_node.child_by_field_name("expression"))
        if not is_attrset(body):
            return
        outputs = None
        for binding in attrset_bindings(body):
            if binding.type == "binding" and nixast.binding_path(data, binding) == ["outputs"]:
                outputs = binding
        if outputs is None:
            return
        reported: set[str] = set()
        for name, node in self._written_outputs(data, outputs.child_by_field_name("expression")):
            if name in reported:
                continue  # one finding per output name
            reported.add(name)
            yield self.diagnostic(source, node, self._message(name), hint=f"rename it to {DEPRECATED[name]}")
        model = repo.graph.model
        for name in getattr(model, "outputs", None) or []:
            if name in DEPRECATED and name not in reported:
                anchor = outputs.child_by_field_name("attrpath")
                yield self.diagnostic(
                    source,
                    anchor,
                    self._message(name) + " (it is defined outside flake.nix)",
                    hint=f"rename it to {DEPRECATED[name]} where it is defined",
                )

    @staticmethod
    def _message(name: str) -> str:
        return f"the flake output `{name}` is deprecated; use {DEPRECATED[name]}"

    def _written_outputs(self, data: bytes, expression):
        pending = [(expression, False)]
        visits = 0
        while pending and visits < MAX_VISITS:
            visits += 1
            node, in_flake_parts = pending.pop()
            node = nixast.unwrap(node)
            if node is None:
                continue
            kind = node.type
            if kind == "function_expression":
                pending.append((node.child_by_field_name("body"), in_flake_parts))
            elif kind in ("let_expression", "with_expression", "assert_expression"):
                pending.append((node.child_by_field_name("body"), in_flake_parts))
            elif kind == "binary_expression":
                operator = node.child_by_field_name("operator")
                if operator is not None and nixast.node_text(data, operator) == "//":
                    pending.append((node.child_by_field_name("left"), in_flake_parts))
                    pending.append((node.child_by_field_name("right"), in_flake_parts))
            elif kind == "list_expression":
                pending.extend((item, in_flake_parts) for item in node.named_children)
            elif kind == "apply_expression":
                head, args = nixast.apply_head(node)
                name = nixast.call_name(data, head)
                if name == "mkFlake":  # flake-parts: mkFlake { inherit inputs; } { flake = …; }
                    pending.extend((arg, True) for arg in args[1:])
                elif name in COMBINATORS:
                    pending.extend((arg, False) for arg in args)
            elif kind in ("attrset_expression", "rec_attrset_expression"):
                yield from self._output_set(data, node, in_flake_parts, pending)

    def _output_set(self, data: bytes, attrset, in_flake_parts: bool, pending):
        for binding in attrset_bindings(attrset):
            if binding.type != "binding":
                if not in_flake_parts:
                    for name, attr in inherited_names(data, binding):
                        if name in DEPRECATED:
                            yield name, attr
                continue
            attrpath = binding.child_by_field_name("attrpath")
            attrs = [a for a in attrpath.named_children if a.type != "comment"]
            names = [nixast.attr_name(data, a) for a in attrs]
            if in_flake_parts:
                # flake-parts: outputs are under `flake`; `perSystem` has no deprecated names.
                if names[:1] != ["flake"]:
                    continue
                if len(names) == 1:
                    pending.append((binding.child_by_field_name("expression"), False))
                    continue
                names, attrs = names[1:], attrs[1:]
            if names and names[0] in DEPRECATED:
                yield names[0], attrs[0]
