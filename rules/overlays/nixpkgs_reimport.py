from __future__ import annotations

from flakelint import nixast
from flakelint.diagnostic import Severity
from flakelint.graph import HOME, NIXOS, OVERLAY, PACKAGE
from flakelint.overlays import declared_inputs, legacy_packages, nixpkgs_imports
from flakelint.rule import RepoRule

from ..inputs import exempt, nixpkgs_inputs

#: Calls that make a file glue code (it builds configurations), not a module.
GLUE = {"nixosSystem", "homeManagerConfiguration", "darwinSystem", "mkFlake", "evalModules"}
MAX_CLIMB = 512


def primary_nixpkgs(repo, inputs: set[str] | None) -> str | None:
    """The input the configurations are built from: `nixpkgs`, or the only nixpkgs input."""
    if inputs is None or "nixpkgs" in inputs:
        return "nixpkgs"
    found = [name for name, _, _ in nixpkgs_inputs(repo)]
    return found[0] if len(found) == 1 else None


def is_glue(source) -> bool:
    data = source.data
    if b"perSystem" in data:
        return True
    if not any(name.encode() in data for name in GLUE):
        return False
    for node in nixast.captures("(apply_expression) @a", source.root_node).get("a", []):
        head, _ = nixast.apply_head(node)
        if nixast.call_name(data, head) in GLUE:
            return True
    return False


def sets_the_instance(data: bytes, node) -> bool:
    """Inside `nixpkgs.pkgs = …` / `_module.args.pkgs = …`: this *is* the configuration's instance."""
    current = node
    for _ in range(MAX_CLIMB):
        parent = current.parent
        if parent is None:
            return False
        if parent.type == "binding":
            path = nixast.full_attrpath(data, parent)
            if path[-2:] == ["nixpkgs", "pkgs"] or path[-3:] == ["_module", "args", "pkgs"] or path[-2:] == ["_module", "args"]:
                return True
        current = parent
    return False


class NixpkgsReimport(RepoRule):
    """A module imports nixpkgs again instead of using its `pkgs`.

    ## What it does
    In a file evaluated as a NixOS or home-manager module, reports
    `import nixpkgs { … }`, `import inputs.nixpkgs { … }` and
    `inputs.nixpkgs.legacyPackages.<system>` of the nixpkgs input the
    configurations are built from (the input named `nixpkgs`, or the only
    nixpkgs input). Files that build configurations themselves
    (`nixosSystem`, `homeManagerConfiguration`, `mkFlake`, flake-parts
    `perSystem` glue such as
    `_module.args.pkgs = import inputs.nixpkgs { inherit system; overlays = [ … ]; }`)
    are not modules and are not checked, nor is `nixpkgs.pkgs = import …`,
    which *sets* the configuration's instance.

    A differently named input (`nixpkgs-unstable`, `nixpkgs-stable`) is a
    deliberate second channel; this version of flakelint does not report it.

    ## Why is this bad?
    The module system already has an instance: `pkgs`, built with the
    configuration's `nixpkgs.overlays` and `nixpkgs.config`. A second
    `import nixpkgs` ignores both (an `allowUnfree` or an overlay that
    "does not work" in one place), and evaluates all of nixpkgs once more,
    which costs seconds and memory on every rebuild.

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = inputs@{ nixpkgs, ... }: {
        nixosConfigurations.box = nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          specialArgs = { inherit inputs; };
          modules = [ ./configuration.nix ];
        };
      };
    }
    # file: configuration.nix
    { inputs, ... }:
    let
      pkgs' = import inputs.nixpkgs {
        system = "x86_64-linux";
        config.allowUnfree = true;
      };
    in
    {
      environment.systemPackages = [ pkgs'.vscode ];
    }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = inputs@{ nixpkgs, ... }: {
        nixosConfigurations.box = nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          specialArgs = { inherit inputs; };
          modules = [ ./configuration.nix ];
        };
      };
    }
    # file: configuration.nix
    { pkgs, ... }:
    {
      nixpkgs.config.allowUnfree = true;
      environment.systemPackages = [ pkgs.vscode ];
    }
    ```
    """

    code = "FL405"
    name = "nixpkgs-reimport"
    severity = Severity.WARNING

    def summarize(self, source):
        """One file's second instances of a nixpkgs input: (start, end, input name, as written), in order.

        Every nixpkgs-like input is kept (``check`` keeps the primary one,
        declared by the flake); glue files, function-argument defaults and
        ``nixpkgs.pkgs = …`` are left out here, where the file was parsed,
        so that the check needs no tree. None for most files.
        """
        calls = nixpkgs_imports(source)
        if not calls and b"legacyPackages" not in source.data:
            return None  # most files
        found = [(call.node, call.input, f"import {call.target}") for call in calls]
        found += [(node, name, source.text(node)) for node, name in legacy_packages(source)]
        if not found or source.has_error:
            return None
        found = [
            (node.start_byte, node.end_byte, name, written)
            for node, name, written in sorted(found, key=lambda f: f[0].start_byte)
            if not exempt(source, node) and not sets_the_instance(source.data, node)
        ]
        if not found or is_glue(source):
            return None
        return tuple(found)

    def check(self, repo):
        inputs = declared_inputs(repo)
        primary = primary_nixpkgs(repo, inputs)
        if primary is None:
            return
        graph = repo.graph
        for path in sorted(graph.nodes):
            contexts = graph.nodes[path]
            if path == "flake.nix" or not contexts & {NIXOS, HOME} or contexts & {PACKAGE, OVERLAY}:
                continue
            if path not in repo.sources:
                continue
            found = repo.summary(self, path)
            if not found:
                continue
            source = repo.sources[path]
            kind = "home-manager" if NIXOS not in contexts else "NixOS"
            for start, end, name, written in found:
                if name != primary or (inputs is not None and name not in inputs and name != "nixpkgs"):
                    continue
                yield self.diagnostic(
                    source,
                    start=start,
                    end=end,
                    message=f"`{written}` in a {kind} module makes a second nixpkgs instance: it ignores the "
                    "configuration's `nixpkgs.overlays`/`nixpkgs.config` and evaluates nixpkgs again",
                    hint="use the module's `pkgs` argument (set `nixpkgs.config`/`nixpkgs.overlays` for what this instance adds)",
                )
