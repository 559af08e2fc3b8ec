from flakelint.diagnostic import Severity
from flakelint.facts import MODULE_USAGES
from flakelint.rule import RepoRule
from flakelint.wiring import layout_of


class UnknownModuleCategory(RepoRule):
    """A `modules/<x>/` directory whose name is not a module category.

    ## What it does
    Reports each directory directly under the layout's modules directory
    that holds `.nix` files and is not one of the configured categories. In
    the seed layout those are `hardware`, `desktop`, `users`, `services`,
    `programs` and `home` (`[layout] categories` changes the list); starter
    configs use `nixos` and `home-manager`; snowfall-lib loads modules only
    from `nixos`, `darwin` and `home`; nixos-unified from `nixos`, `darwin`,
    `home` and `flake`/`flake-parts`. Blueprint accepts any name, so the rule
    is silent there. The finding is on the first `.nix` file of the
    directory.

    ## Why is this bad?
    Categories are how the repository stays navigable: a NixOS user looks
    for their Bluetooth settings in `modules/hardware/`. A directory outside
    them is either a typo (`modules/service/`) or a category the team never
    agreed on. Under snowfall-lib it is worse: modules there are never
    loaded.

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
    { ... }: { imports = [ ../../modules/services/ssh.nix ../../modules/service/fail2ban.nix ]; }
    # file: modules/services/ssh.nix
    { ... }: { services.openssh.enable = true; }
    # file: modules/service/fail2ban.nix
    { ... }: { services.fail2ban.enable = true; }
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
      };
    }
    # file: hosts/laptop/configuration.nix
    { ... }: { imports = [ ../../modules/services/ssh.nix ../../modules/services/fail2ban.nix ]; }
    # file: modules/services/ssh.nix
    { ... }: { services.openssh.enable = true; }
    # file: modules/services/fail2ban.nix
    { ... }: { services.fail2ban.enable = true; }
    ```

    ## Options
    None of its own: the categories are the `categories` key of the
    `[layout]` table (`flakelint init` prints the effective list).
    """

    code = "FL305"
    name = "unknown-module-category"
    severity = Severity.WARNING

    def check(self, repo):
        layout = layout_of(repo)
        if layout is None or not layout.modules_dir or not layout.categories:
            return
        modules = layout.full(layout.modules_dir) + "/"
        first_file: dict[str, str] = {}
        for path in sorted(repo.files):
            if not path.startswith(modules) or not path.endswith(".nix"):
                continue
            rest = path[len(modules) :]
            if "/" not in rest:
                continue  # modules/default.nix and friends: not a category
            category = rest.split("/", 1)[0]
            first_file.setdefault(category, path)
        imported = set()
        if layout.wiring == "convention":
            # Frameworks load only their own categories; another directory is
            # fine as long as something imports it explicitly.
            imported = repo.graph.targets_where(lambda ref: ref.kind == "exact" and ref.usage in MODULE_USAGES)
            if any(ref.kind == "pattern" for refs in repo.graph.refs.values() for ref in refs):
                return
        for category, path in sorted(first_file.items()):
            if category in layout.categories or category.startswith("."):
                continue
            if any(target.startswith(f"{modules}{category}/") for target in imported):
                continue
            yield self.at(
                path,
                f"`{modules}{category}/` is not a module category of the {layout.preset} layout "
                f"({', '.join(layout.categories)})",
                hint="move the modules into a category, or add the name to `categories` in [layout]",
            )
