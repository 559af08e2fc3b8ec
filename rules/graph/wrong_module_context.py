from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources

from flakelint.diagnostic import Severity
from flakelint.graph import HOME, NIXOS
from flakelint.modules import option_declarations, option_definitions
from flakelint.rule import RepoRule


@lru_cache(maxsize=1)
def option_roots() -> dict[str, dict[tuple[str, ...], str]]:
    """The tables in flakelint/data/option_roots.toml: side -> {path prefix: why}."""
    text = resources.files("flakelint").joinpath("data/option_roots.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    return {side: {tuple(key.split(".")): why for key, why in table.items()} for side, table in data.items()}


def _may_define_foreign(data: bytes, contexts: set[str]) -> bool:
    """A cheap byte test: can this file define a root of the other module system at all?

    Every root's first name appears in the file's text when it is set (also
    when written as a string), so a file without any of them is skipped
    without walking its tree.
    """
    tables = option_roots()
    sides = []
    if HOME in contexts:
        sides.append("nixos-only")
    if NIXOS in contexts:
        sides.append("home-manager-only")
    return any(prefix[0].encode() in data for side in sides for prefix in tables[side])


def _declared(option: tuple[str, ...], declared: set[tuple[str, ...]]) -> bool:
    """Does one of the repository's own modules declare this option (or one above or below it)?"""
    return any(option[: len(d)] == d or d[: len(option)] == option for d in declared)


def _match(path: tuple[str, ...], table: dict[tuple[str, ...], str]) -> tuple[tuple[str, ...], str] | None:
    for prefix, why in table.items():
        if path[: len(prefix)] == prefix:
            return prefix, why
    return None


class WrongModuleContext(RepoRule):
    """A module sets options of the other module system (NixOS vs home-manager).

    ## What it does
    Works out, from the import graph, which module system evaluates each
    file: NixOS (reached from `nixosSystem` modules, `nixosModules`) or
    home-manager (reached from `homeManagerConfiguration` modules,
    `home-manager.users.<u>`, `home-manager.sharedModules`, `homeModules`),
    following `imports`. It then reports a file evaluated by home-manager
    that sets a NixOS-only option root (`boot`, `fileSystems`, `networking`,
    `environment.systemPackages`, `users.users`, `systemd.services`,
    `services.xserver`, `hardware`, `home-manager`), or a file evaluated by
    NixOS that sets a home-manager-only root (`home`, `xdg.configFile`,
    `wayland.windowManager`), including a file used in both. The tables are
    data (`flakelint/data/option_roots.toml`), each entry with its reason.

    Options both systems have (`programs`, `services`, `nix`, `fonts`,
    `nixpkgs`) are never evidence, nor is an option the repository's own
    modules declare (`options.home.myThing` in a NixOS module), and a file
    whose context flakelint cannot establish is not checked.

    ## Why is this bad?
    Evaluation fails with "The option `home.packages' does not exist" — or
    worse, the module is imported where it was never meant to be.

    ## Example
    ```nix
    # file: flake.nix
    {
      outputs = { nixpkgs, home-manager, ... }: {
        homeConfigurations.alice = home-manager.lib.homeManagerConfiguration {
          pkgs = nixpkgs.legacyPackages.x86_64-linux;
          modules = [ ./home.nix ];
        };
      };
    }
    # file: home.nix
    { pkgs, ... }:
    {
      environment.systemPackages = [ pkgs.git ];
    }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      outputs = { nixpkgs, home-manager, ... }: {
        homeConfigurations.alice = home-manager.lib.homeManagerConfiguration {
          pkgs = nixpkgs.legacyPackages.x86_64-linux;
          modules = [ ./home.nix ];
        };
      };
    }
    # file: home.nix
    { pkgs, ... }:
    {
      home.packages = [ pkgs.git ];
    }
    ```
    """

    code = "FL207"
    name = "wrong-module-context"
    severity = Severity.ERROR

    def check(self, repo):
        graph = repo.graph
        tables = option_roots()
        declared = self._declared_by_repo(repo)
        for path in sorted(graph.nodes):
            contexts = graph.nodes[path]
            if not contexts & {NIXOS, HOME} or path not in repo.sources:
                continue
            source = repo.sources[path]
            if source.has_error or not _may_define_foreign(source.data, contexts):
                continue
            both = NIXOS in contexts and HOME in contexts
            reported: set[tuple[str, ...]] = set()
            definitions = repo.summary(self, path)[1]
            if definitions is None:  # the per-file stage could not list them: as before, here
                definitions = [(option, b.start_byte, b.end_byte) for option, b in option_definitions(source)]
            for option, start, end in definitions:
                for side, foreign in ((HOME, "nixos-only"), (NIXOS, "home-manager-only")):
                    if side not in contexts:
                        continue
                    hit = _match(option, tables[foreign])
                    if hit is None or hit[0] in reported or _declared(option, declared):
                        continue
                    reported.add(hit[0])
                    used_as = "both NixOS and home-manager" if both else side if side != NIXOS else "NixOS"
                    owner = "NixOS" if foreign == "nixos-only" else "home-manager"
                    yield self.diagnostic(
                        source,
                        start=start,
                        end=end,
                        message=f"`{'.'.join(option)}` is a {owner}-only option, but this file is evaluated as a "
                        f"{used_as} module: {hit[1]}",
                        hint="move the setting to a module of the right kind",
                    )

    def summarize(self, source):
        """One file's part, computed where it was parsed: (options it declares, foreign-looking definitions).

        The definitions are (option, start, end) of those that match a root
        of either table, whatever the file's context (which only the import
        graph knows); None when listing them failed (``check`` then lists
        them itself, so a crash is reported as before).
        """
        declared = option_declarations(source) if b"options" in source.data and not source.has_error else []
        definitions: list | None = []
        if not source.has_error and _may_define_foreign(source.data, {NIXOS, HOME}):
            tables = option_roots()
            try:
                definitions = [
                    (option, binding.start_byte, binding.end_byte)
                    for option, binding in option_definitions(source)
                    if _match(option, tables["nixos-only"]) or _match(option, tables["home-manager-only"])
                ]
            except Exception:  # noqa: BLE001 - see above
                definitions = None
        return declared, definitions

    def _declared_by_repo(self, repo) -> set[tuple[str, ...]]:
        """Options the repository declares itself: a custom ``options.home.x`` is no evidence."""
        declared: set[tuple[str, ...]] = set()
        for path in repo.sources:
            declared.update(repo.summary(self, path)[0])
        return declared
