from __future__ import annotations

import os
import tomllib
from functools import lru_cache

from flakelint import DATA_DIR
from flakelint.diagnostic import Severity
from flakelint.graph import HOME, NIXOS
from flakelint.modules import option_definitions, options_near
from flakelint.rule import RepoRule


@lru_cache(maxsize=1)
def option_roots() -> dict[str, dict[tuple[str, ...], str]]:
    """The tables in flakelint/data/option_roots.toml: side -> {path prefix: why}.

    Read from :data:`flakelint.DATA_DIR`, as the rule index is:
    ``importlib.resources`` would cost every run 5 ms of imports for one file.
    """
    path = os.path.join(DATA_DIR, "option_roots.toml")
    with open(path, encoding="utf-8") as handle:
        data = tomllib.loads(handle.read())
    return {side: {tuple(key.split(".")): why for key, why in table.items()} for side, table in data.items()}


@lru_cache(maxsize=1)
def all_roots() -> frozenset[tuple[str, ...]]:
    """The path prefixes of both tables: what a file's summary is limited to."""
    tables = option_roots()
    return frozenset([*tables["nixos-only"], *tables["home-manager-only"]])


def _may_define_foreign(data: bytes, contexts: set[str]) -> bool:
    """A cheap byte test: can this file define a root of the other module system at all?

    Every root's first name appears in the file's text when it is set (also
    when written as a string), so a file without any of them is skipped
    without walking its tree.
    """
    sides = []
    if HOME in contexts:
        sides.append("nixos-only")
    if NIXOS in contexts:
        sides.append("home-manager-only")
    for name in _first_names(tuple(sides)):
        if name in data:
            return True
    return False


@lru_cache(maxsize=4)
def _first_names(sides: tuple[str, ...]) -> tuple[bytes, ...]:
    """The first names of the roots of these tables, as bytes, leaving out those that contain another
    (``home-manager`` is in the text only where ``home`` is)."""
    tables = option_roots()
    names = {prefix[0].encode() for side in sides for prefix in tables[side]}
    return tuple(sorted(n for n in names if not any(m != n and m in n for m in names)))


def _declared(option: tuple[str, ...], declared: dict[tuple[str, ...], list[tuple[str, ...]]]) -> bool:
    """Does one of the repository's own modules declare this option (or one above or below it)?

    ``declared`` holds the declared options by first name (``_by_first_name``):
    only one with the option's own first name can be above or below it.
    """
    if not option or () in declared:  # an empty path is above every other (none is ever listed)
        return bool(declared)
    return any(option[: len(d)] == d or d[: len(option)] == option for d in declared.get(option[:1], ()))


def _by_first_name(declared: set[tuple[str, ...]]) -> dict[tuple[str, ...], list[tuple[str, ...]]]:
    index: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for option in declared:
        index.setdefault(option[:1], []).append(option)
    return index


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
    cost = 2  # scheduling hint for the repository stage (measured; see Rule.cost)
    name = "wrong-module-context"
    severity = Severity.ERROR

    def check(self, repo):
        graph = repo.graph
        tables = option_roots()
        declared = _by_first_name(self._declared_by_repo(repo))
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
        them itself, so a crash is reported as before). The declarations are
        only those that can decide ``_declared`` for such a definition (see
        ``options_near``).

        No byte test comes first: the walk itself looks only into bindings
        that lead to a root, which costs less than searching every file's
        text for the roots' names (``check`` still skips, with that test,
        the files whose definitions it need not read). Declarations count
        only where the text says ``options``, as they always have (a name
        written with an escape, ``"opt\\ions"``, does not).
        """
        if source.has_error:
            return [], []
        try:
            declared, defined = options_near(source, all_roots())
        except Exception:  # noqa: BLE001 - see above; the declarations alone, to fail as before if they fail
            return self._declared_in(source, options_near(source, all_roots(), definitions=False)[0]), None
        return self._declared_in(source, declared), [(option, binding.start_byte, binding.end_byte) for option, binding in defined]

    @staticmethod
    def _declared_in(source, declared: list) -> list:
        """``declared``, unless the file's text never says ``options`` (see ``summarize``)."""
        return declared if not declared or b"options" in source.data else []

    def _declared_by_repo(self, repo) -> set[tuple[str, ...]]:
        """Options the repository declares itself: a custom ``options.home.x`` is no evidence."""
        declared: set[tuple[str, ...]] = set()
        for path in repo.sources:
            declared.update(repo.summary(self, path)[0])
        return declared
