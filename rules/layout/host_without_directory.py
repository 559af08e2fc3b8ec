from flakelint.diagnostic import Severity
from flakelint.rule import RepoRule
from flakelint.wiring import configuration_closure, host_closures, layout_of, reachability


class HostWithoutDirectory(RepoRule):
    """A `nixosConfigurations.<host>` that does not use `hosts/<host>/`.

    ## What it does
    For each NixOS configuration flakelint's flake model knows (also when it
    is built by a helper such as `mkHost "laptop"`, `genAttrs` over a list or
    over `readDir ./hosts`, or `import ./hosts`), follows its module list and
    everything those modules import, and reports the configuration when none
    of those files lies in its own host directory: `hosts/<host>/` in the
    seed layout (`nixos/` for starter configs, or what `[layout] host-dir`
    says).

    It is silent when the layout is unknown, when the configuration's
    modules are not all known (a computed path, a function flakelint cannot
    evaluate, a file that does not parse), and for frameworks that build
    configurations from directories themselves (snowfall-lib, blueprint,
    nixos-unified, ez-configs), where a host cannot exist without its
    directory.

    ## Why is this bad?
    The host directory is where everyone looks for a machine's
    configuration. A host whose modules live elsewhere (or in another
    host's directory, after a rename) surprises the next reader and usually
    means a copy-paste slip: `nixosConfigurations.laptop` built from
    `hosts/desktop/configuration.nix`.

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { nixpkgs, ... }: {
        nixosConfigurations.laptop = nixpkgs.lib.nixosSystem {
          modules = [ ./hosts/desktop/configuration.nix ];
        };
        nixosConfigurations.desktop = nixpkgs.lib.nixosSystem {
          modules = [ ./hosts/desktop/configuration.nix ];
        };
      };
    }
    # file: hosts/desktop/configuration.nix
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
        nixosConfigurations.laptop = nixpkgs.lib.nixosSystem {
          modules = [ ./hosts/laptop/configuration.nix ];
        };
        nixosConfigurations.desktop = nixpkgs.lib.nixosSystem {
          modules = [ ./hosts/desktop/configuration.nix ];
        };
      };
    }
    # file: hosts/laptop/configuration.nix
    { ... }: { imports = [ ../../modules/services/ssh.nix ]; }
    # file: hosts/desktop/configuration.nix
    { ... }: { imports = [ ../../modules/services/ssh.nix ]; }
    # file: modules/services/ssh.nix
    { ... }: { services.openssh.enable = true; }
    ```

    ## Known limitations
    Only `nixosConfigurations` are checked (nix-darwin hosts follow no
    common directory convention). A host whose directory name differs from
    its configuration name on purpose can silence it with a suppression
    comment on the configuration.
    """

    code = "FL301"
    cost = 2  # scheduling hint for the repository stage (measured; see Rule.cost)
    # Run with the rules that share them (Rule.shared); host_closures builds reachability.
    shared = (host_closures, reachability)
    name = "host-without-directory"
    severity = Severity.WARNING

    def check(self, repo):
        layout = layout_of(repo)
        if layout is None or layout.wiring != "flake" or repo.graph.autowired:
            return
        model = repo.graph.model
        if model is None:
            return
        aliases: dict[tuple, list] = {}
        for configuration in model.configurations:
            if configuration.kind == "nixos":
                aliases.setdefault((configuration.file, configuration.start), []).append(configuration)
        for configuration in model.configurations:
            if configuration.kind != "nixos" or not configuration.complete:
                continue
            names = [c.name for c in aliases[(configuration.file, configuration.start)]]
            if len(names) > 1 and (configuration.name != names[0] or _matches_any(layout, names, configuration, repo)):
                continue  # one system under several names (`default = desktop;`): judged once, by any name
            expected = _expected(layout, configuration.name)
            if expected is None:
                continue
            closure = configuration_closure(repo, configuration)
            if not closure.complete:
                continue
            if closure.touches(expected):
                continue
            source = repo.sources.get(configuration.file)
            if source is None:
                continue
            others = sorted({found[1] for path in closure.files if (found := layout.host_of(path))})
            message = f"`nixosConfigurations.{configuration.name}` uses no file in `{expected}/`"
            if others:
                message += f"; its configuration comes from `{others[0]}/`"
            entry = layout.host_files[0]
            yield self.diagnostic(
                source,
                start=configuration.start,
                end=configuration.start,
                message=message,
                hint=f"keep the host's configuration in `{expected}/{entry}`, or rename the configuration after its directory",
            )


def _expected(layout, name: str) -> str | None:
    return layout.full(layout.host_dir) if layout.single_host else layout.host_directory(name)


def _matches_any(layout, names, configuration, repo) -> bool:
    closure = configuration_closure(repo, configuration)
    for name in names:
        expected = _expected(layout, name)
        if expected is not None and closure.touches(expected):
            return True
    return False
