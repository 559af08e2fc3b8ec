from flakelint.diagnostic import Severity
from flakelint.globs import path_glob_match
from flakelint.rule import Option, RepoRule


#: Files that tools other than `nix` read by convention: agenix's rules file,
#: colmena's hive, devenv's module.
TOOL_ENTRY_POINTS = ("secrets.nix", "hive.nix", "devenv.nix")


class OrphanFile(RepoRule):
    """A `.nix` file that nothing reachable from `flake.nix` uses.

    ## What it does
    Follows every path from `flake.nix` (and `default.nix`/`shell.nix` at the
    root): module `imports`, `modules` lists, `import`, `callPackage`,
    `home-manager.users.<u>`, flake outputs, directory loaders (`readDir`,
    `listFilesRecursive`, import-tree, haumea, snowfall-lib `src`) and any other
    path a reached file mentions. A `.nix` file that none of them reaches is
    reported.

    flakelint never guesses: a computed path (`./hosts/${name}`) reaches every
    file it could match, a directory handed to an unknown function reaches
    everything below it, and when a reached file cannot be parsed, or the
    flake uses a framework that loads files by convention (blueprint,
    nixos-unified autowiring, ez-configs), the rule stays silent. Nested
    flakes (a directory with its own `flake.nix`) are checked from their own
    root; files git ignores are not part of the repository.

    ## Why is this bad?
    An orphan is dead code that looks alive: it is read, reviewed and
    updated, but no machine uses it. Often it is a module someone forgot to
    add to `imports`, so the setting it holds silently does not apply.

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
    { ... }: { networking.hostName = "laptop"; }
    # file: modules/bluetooth.nix
    { ... }: { hardware.bluetooth.enable = true; }
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
    { ... }: {
      imports = [ ../../modules/bluetooth.nix ];
      networking.hostName = "laptop";
    }
    # file: modules/bluetooth.nix
    { ... }: { hardware.bluetooth.enable = true; }
    ```

    ## Options
    `extra-roots`: globs of files that count as used although nothing in Nix
    refers to them (for example files a script passes to `nix-build`).
    Default: `["secrets.nix", "hive.nix", "devenv.nix"]`, the entry points of
    agenix, colmena and devenv, at any depth.
    """

    code = "FL201"
    name = "orphan-file"
    severity = Severity.WARNING
    options = {"extra-roots": Option(list, list(TOOL_ENTRY_POINTS), "globs of files used from outside Nix")}

    def check(self, repo):
        if repo.flake.is_template:
            return  # a skeleton to copy: it may name files the user will create
        graph = repo.graph
        if "flake.nix" not in graph.roots or graph.incomplete or graph.autowired:
            return
        reached = graph.reached
        extra = self.settings["extra-roots"]
        for path in sorted(repo.sources):
            if path in reached or any(path_glob_match(pattern, path) for pattern in extra):
                continue
            yield self.at(
                path,
                "nothing reachable from flake.nix imports or refers to this file",
                hint="import it where it belongs, or delete it; if a tool outside Nix uses it, add it to extra-roots",
            )
