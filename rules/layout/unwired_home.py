from flakelint.diagnostic import Severity
from flakelint.graph import HOME
from flakelint.rule import RepoRule
from flakelint.wiring import directories_without_entry, graph_complete, layout_of, model_fully_known


class UnwiredHome(RepoRule):
    """A home directory that no home configuration uses.

    ## What it does
    In layouts where the flake wires homes itself (seed, starter configs),
    reports a `home/<user>/home.nix` that no home configuration uses: no
    `homeConfigurations` entry and no `home-manager.users.<u>` reaches it.
    It decides only when flakelint knows the whole picture: the file is not
    reached from `flake.nix` at all while every path was followed, or it is
    reached but never as a home-manager module while every configuration of
    the flake is known and no computed path could point at it.

    In snowfall-lib, which builds a home from each
    `homes/<arch>/<user>@<host>/default.nix`, it reports a home directory
    without `default.nix` (snowfall-lib skips it); in nixos-unified, a
    `configurations/home/<user>/` directory without `default.nix`.

    ## Why is this bad?
    An unwired home looks like a user's configuration, but no
    `home-manager switch` or `nixos-rebuild` ever applies it: edits to it
    silently do nothing.

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";
      outputs = { nixpkgs, home-manager, ... }: {
        nixosConfigurations.laptop = nixpkgs.lib.nixosSystem {
          modules = [ ./hosts/laptop/configuration.nix home-manager.nixosModules.home-manager ];
        };
      };
    }
    # file: hosts/laptop/configuration.nix
    { ... }: { home-manager.users.alice = ../../home/alice/home.nix; }
    # file: home/alice/home.nix
    { ... }: { home.stateVersion = "25.05"; }
    # file: home/bob/home.nix
    { ... }: { home.stateVersion = "25.05"; }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";
      outputs = { nixpkgs, home-manager, ... }: {
        nixosConfigurations.laptop = nixpkgs.lib.nixosSystem {
          modules = [ ./hosts/laptop/configuration.nix home-manager.nixosModules.home-manager ];
        };
      };
    }
    # file: hosts/laptop/configuration.nix
    { ... }: {
      home-manager.users.alice = ../../home/alice/home.nix;
      home-manager.users.bob = ../../home/bob/home.nix;
    }
    # file: home/alice/home.nix
    { ... }: { home.stateVersion = "25.05"; }
    # file: home/bob/home.nix
    { ... }: { home.stateVersion = "25.05"; }
    ```
    """

    code = "FL304"
    name = "unwired-home"
    severity = Severity.WARNING

    def check(self, repo):
        layout = layout_of(repo)
        if layout is None:
            return
        if layout.wiring == "convention":
            yield from self._convention(repo, layout)
            return
        if repo.graph.autowired:
            return
        graph = repo.graph
        entry = layout.home_files[0]
        computed = None  # files a computed path reaches, gathered on first need
        for path in sorted(repo.files):
            found = layout.home_of(path)
            if found is None or path != f"{found[1]}/{entry}":
                continue
            contexts = graph.nodes.get(path)
            if contexts is None:
                if not graph_complete(repo):
                    continue
            elif HOME in contexts or not model_fully_known(repo) or not graph_complete(repo):
                continue
            else:
                if computed is None:
                    computed = graph.targets_where(lambda ref: ref.kind != "exact")
                if path in computed:
                    continue
            user = found[0]
            name = f"`{user}`" if user else "this home"
            yield self.at(
                path,
                f"no home configuration uses {name} (`{found[1]}/`): neither homeConfigurations nor home-manager.users reaches it",
                hint="wire it (homeConfigurations or home-manager.users.<user>), or delete it",
            )

    def _convention(self, repo, layout):
        if layout.single_home:
            return
        wanted = " or ".join(f"`{name}`" for name in layout.home_files)
        for directory, first in directories_without_entry(repo, layout.home_dir_of, layout.home_files):
            yield self.at(
                first,
                f"{layout.preset} builds a home from `{directory}/` only when it has {wanted}; this one has none, so it is never applied",
                hint=f"rename the home's entry file to {wanted}",
            )
