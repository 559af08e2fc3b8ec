from flakelint.diagnostic import Severity
from flakelint.rule import RepoRule
from flakelint.wiring import directories_without_entry, host_closures, layout_of, model_fully_known, reachability


class UnwiredHost(RepoRule):
    """A host directory that no configuration builds.

    ## What it does
    In layouts where `flake.nix` lists the hosts (the seed layout, starter
    configs), reports a `hosts/<host>/configuration.nix` that no
    `nixosConfigurations` (or `darwinConfigurations`) entry uses, directly or
    through the files its modules import. It decides only when every
    configuration of the flake is known to flakelint (helpers, `genAttrs`,
    `readDir ./hosts` and `import ./hosts` are followed); any configuration
    it cannot evaluate makes it silent.

    In frameworks that build one configuration per directory, it reports a
    host directory the framework will skip because it lacks the file the
    framework looks for: snowfall-lib builds `systems/<arch>/<host>/` only
    from its `default.nix`, blueprint `hosts/<host>/` only from
    `configuration.nix`, `darwin-configuration.nix`, `default.nix`,
    `system-configuration.nix` or `rpi-configuration.nix`, nixos-unified
    `configurations/nixos/<host>/` only from `default.nix`.

    ## Why is this bad?
    An unwired host looks like a machine the flake manages, but
    `nixos-rebuild --flake .#host` fails with "does not provide attribute".
    Usually it is a host someone added and forgot to list, or a retired one
    nobody deleted.

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { nixpkgs, ... }: {
        nixosConfigurations.laptop = nixpkgs.lib.nixosSystem {
          modules = [ ./hosts/laptop/configuration.nix ];
        };
      };
    }
    # file: hosts/laptop/configuration.nix
    { ... }: { imports = [ ../../modules/services/ssh.nix ]; }
    # file: hosts/server/configuration.nix
    { ... }: { imports = [ ../../modules/services/ssh.nix ]; }
    # file: modules/services/ssh.nix
    { ... }: { services.openssh.enable = true; }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { nixpkgs, ... }: {
        nixosConfigurations = nixpkgs.lib.genAttrs [ "laptop" "server" ] (host:
          nixpkgs.lib.nixosSystem { modules = [ ./hosts/${host}/configuration.nix ]; });
      };
    }
    # file: hosts/laptop/configuration.nix
    { ... }: { imports = [ ../../modules/services/ssh.nix ]; }
    # file: hosts/server/configuration.nix
    { ... }: { imports = [ ../../modules/services/ssh.nix ]; }
    # file: modules/services/ssh.nix
    { ... }: { services.openssh.enable = true; }
    ```
    """

    code = "FL302"
    cost = 2  # scheduling hint for the repository stage (measured; see Rule.cost)
    # Run with the rules that share them (Rule.shared); host_closures builds reachability.
    shared = (host_closures, reachability)
    name = "unwired-host"
    severity = Severity.WARNING

    def check(self, repo):
        layout = layout_of(repo)
        if layout is None:
            return
        if layout.wiring == "convention":
            yield from self._convention(repo, layout)
            return
        host_files = []
        for path in repo.files:
            found = layout.host_of(path)
            if found and path == f"{found[1]}/{layout.host_files[0]}":
                host_files.append((path, found))
        if not host_files:
            return
        graph = repo.graph
        if not model_fully_known(repo):
            return
        closures = []
        for _configuration, closure in host_closures(repo):
            if not closure.complete:
                return
            closures.append(closure)
        computed = graph.targets_where(lambda ref: ref.kind == "pattern")
        for path, (host, directory) in sorted(host_files):
            if any(closure.holds(path) for closure in closures):
                continue  # some configuration uses it
            if path in computed:
                continue  # a computed path may build it in a way the model does not show
            name = f"`{host}`" if host else "this host"
            yield self.at(
                path,
                f"no nixosConfigurations entry uses {name} (`{directory}/`): the machine cannot be built from the flake",
                hint=f"add it to nixosConfigurations in flake.nix, or delete `{directory}/` if the machine is retired",
            )

    def _convention(self, repo, layout):
        wanted = " or ".join(f"`{name}`" for name in layout.host_files)
        for directory, first in directories_without_entry(repo, layout.host_of, layout.host_files):
            if any(p.startswith(f"{directory}/users/") for p in repo.files):
                continue  # blueprint: a host with only users/ (and helpers) gives standalone homes, not a system
            yield self.at(
                first,
                f"{layout.preset} builds a host from `{directory}/` only when it has {wanted}; this one has none, so the host is never built",
                hint=f"rename the host's entry file to {wanted}",
            )
