from __future__ import annotations

from flakelint import nixast
from flakelint.diagnostic import Severity
from flakelint.graph import HOME, NIXOS
from flakelint.modules import option_definitions
from flakelint.overlays import named_bindings
from flakelint.rule import RepoRule
from flakelint.wiring import Reachability

#: Calls that make a setting conditional: then it is not known to apply.
CONDITIONAL = {"mkIf", "optionalAttrs", "mkDefault", "mkOverride", "optional", "optionals"}
MAX_CLIMB = 512


def unconditional(data: bytes, node) -> bool:
    current = node
    for _ in range(MAX_CLIMB):
        parent = current.parent
        if parent is None:
            return True
        if parent.type == "if_expression":
            return False
        if parent.type == "apply_expression":
            head, _ = nixast.apply_head(parent)
            if nixast.call_name(data, head) in CONDITIONAL:
                return False
        current = parent
    return False


def sets_global_pkgs(source) -> bool:
    """Does this file set ``home-manager.useGlobalPkgs = true`` unconditionally?"""
    data = source.data
    if b"useGlobalPkgs" not in data:
        return False
    for binding in source.captures("(binding) @b").get("b", []):
        path = nixast.full_attrpath(data, binding)
        if path[-2:] != ["home-manager", "useGlobalPkgs"]:
            continue
        value = nixast.unwrap(binding.child_by_field_name("expression"))
        if value is not None and value.type == "variable_expression" and source.text(value) == "true" and unconditional(data, binding):
            return True
    return False


def nixpkgs_definitions(source) -> tuple[tuple[str, int, int], ...]:
    """The file's unconditional ``nixpkgs.overlays``/``nixpkgs.config`` definitions: (option, start, end), in order."""
    data = source.data
    if b"nixpkgs" not in data or source.has_error or not named_bindings(source, b"nixpkgs"):
        return ()  # a definition under `nixpkgs` has a binding whose own path names it
    return tuple(
        (".".join(option), binding.start_byte, binding.end_byte)
        for option, binding in option_definitions(source)
        if option[:2] in (("nixpkgs", "overlays"), ("nixpkgs", "config")) and unconditional(data, binding)
    )


def module_edges(graph):
    """Outgoing exact module edges: (NixOS-side, into home-manager) per source file."""
    same: dict[str, list[str]] = {}
    into_home: dict[str, list] = {}
    for link in graph.links:  # the edges grouped by reference (graph.Link), in edge order
        ref = link.ref
        if ref.kind != "exact":
            continue
        for target in link.targets:
            if not target.endswith(".nix"):
                continue
            if ref.scope == HOME:
                into_home.setdefault(link.source, []).append(target)
            elif link.kind in ("imports", "modules") or (link.kind == "import" and ref.anonymous):
                same.setdefault(link.source, []).append(target)
    return same, into_home


class OverlaysIgnoredByGlobalPkgs(RepoRule):
    """A home-manager module sets `nixpkgs.overlays`/`nixpkgs.config` under `useGlobalPkgs = true`.

    ## What it does
    For each NixOS configuration, follows its module files (`modules`,
    `imports`) and looks for an unconditional
    `home-manager.useGlobalPkgs = true`. It then follows the home-manager
    modules that configuration hands to home-manager
    (`home-manager.users.<u>`, `home-manager.sharedModules`, and their
    `imports`) and reports one that sets `nixpkgs.overlays` or
    `nixpkgs.config`. It stays silent unless the link is certain: a file
    also used as a NixOS module, as a module of a standalone
    `homeConfigurations` entry, or from anywhere else, is not reported; nor
    is a setting under `mkIf`; in `flake.nix` itself only when the flake has
    exactly one NixOS configuration.

    ## Why is this bad?
    With `useGlobalPkgs` home-manager uses the system's `pkgs` and ignores
    its own `nixpkgs.*` options (recent home-manager refuses them with an
    assertion). The overlay or `allowUnfree` looks configured but does
    nothing; it belongs in the NixOS configuration's `nixpkgs.overlays` /
    `nixpkgs.config`.

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";
      outputs = { nixpkgs, home-manager, ... }: {
        nixosConfigurations.box = nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          modules = [
            ./configuration.nix
            home-manager.nixosModules.home-manager
          ];
        };
      };
    }
    # file: configuration.nix
    { ... }:
    {
      home-manager.useGlobalPkgs = true;
      home-manager.users.alice = ./home.nix;
    }
    # file: home.nix
    { ... }:
    {
      nixpkgs.config.allowUnfree = true;
      home.stateVersion = "25.05";
    }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";
      outputs = { nixpkgs, home-manager, ... }: {
        nixosConfigurations.box = nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          modules = [
            ./configuration.nix
            home-manager.nixosModules.home-manager
          ];
        };
      };
    }
    # file: configuration.nix
    { ... }:
    {
      nixpkgs.config.allowUnfree = true;
      home-manager.useGlobalPkgs = true;
      home-manager.users.alice = ./home.nix;
    }
    # file: home.nix
    { ... }:
    {
      home.stateVersion = "25.05";
    }
    ```
    """

    code = "FL407"
    name = "overlays-ignored-by-global-pkgs"
    severity = Severity.WARNING

    def summarize(self, source):
        """(sets `useGlobalPkgs = true`, its unconditional `nixpkgs.overlays`/`nixpkgs.config` definitions), computed where the file was parsed.

        The definitions as (option, start, end). None for most files: the
        check then needs no tree (before, it parsed again every file that
        mentions useGlobalPkgs, and each home-manager module it looked into).
        """
        global_pkgs = sets_global_pkgs(source)
        definitions = nixpkgs_definitions(source)
        return (global_pkgs, definitions) if global_pkgs or definitions else None

    def check(self, repo):
        graph = repo.graph
        model = graph.model
        if model is None:
            return
        # Few files set useGlobalPkgs at all: without one, no configuration has a finding.
        global_pkgs = {path for path in repo.sources if (summary := repo.summary(self, path)) and summary[0]}
        if not global_pkgs:
            return
        same, into_home = module_edges(graph)
        reach = Reachability(same)
        nixos = [c for c in model.configurations if c.kind == "nixos"]
        standalone: set[str] = set()
        for configuration in model.configurations:
            if configuration.kind == HOME:
                standalone |= set(reach.reached(self._entries(configuration, graph)))
        incoming: dict[str, set[str]] = {}
        for link in graph.links:
            for target in link.targets:
                incoming.setdefault(target, set()).add(link.source)
        reported: set[tuple[str, int]] = set()
        for configuration in nixos:
            system_files = set(reach.reached(self._entries(configuration, graph)))
            if len(nixos) == 1:
                system_files.add("flake.nix")
            if system_files.isdisjoint(global_pkgs):
                continue
            home_roots = [t for path in system_files for t in into_home.get(path, []) if path != "flake.nix" or len(nixos) == 1]
            home_files = reach.reached(home_roots)
            allowed = system_files | home_files
            for path in sorted(home_files):
                source = repo.sources.get(path)
                if source is None or source.has_error or b"nixpkgs" not in source.data:
                    continue
                if NIXOS in graph.nodes.get(path, set()) or path in standalone or path in system_files:
                    continue
                if not incoming.get(path, set()) <= allowed:
                    continue
                summary = repo.summary(self, path)
                for option, start, end in summary[1] if summary else ():
                    key = (path, start)
                    if key in reported:
                        continue
                    reported.add(key)
                    yield self.diagnostic(
                        source,
                        start=start,
                        end=end,
                        message=f"`{option}` in a home-manager module has no effect: the NixOS configuration "
                        f"`{configuration.name}` sets `home-manager.useGlobalPkgs = true`, so home-manager uses the system's pkgs",
                        hint="move it to the NixOS configuration's `nixpkgs.overlays`/`nixpkgs.config`",
                    )
                    break

    @staticmethod
    def _entries(configuration, graph) -> list[str]:
        found = []
        for entry in configuration.modules:
            if entry.kind != "path":
                continue
            target = entry.target
            if target not in graph.nodes:
                target = "default.nix" if target == "." else f"{target}/default.nix"
            if target in graph.nodes:
                found.append(target)
        return found
