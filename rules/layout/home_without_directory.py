from flakelint.diagnostic import Severity
from flakelint.graph import resolve
from flakelint.rule import RepoRule
from flakelint.wiring import closure_of, configuration_closure, layout_of, reachability


class HomeWithoutDirectory(RepoRule):
    """A home configuration whose module is not `home/<user>/home.nix`.

    ## What it does
    Checks the two places a home-manager configuration is declared:

    - `homeConfigurations.<user>` (a `"<user>@<host>"` name maps to user
      `<user>`): its modules, and everything they import, must include a file
      in `home/<user>/`;
    - `home-manager.users.<user> = ./path` (or `import ./path`, or a module
      whose `imports` list paths) inside a NixOS or nix-darwin module: the
      path must lead into `home/<user>/`.

    The directory is the layout's (`home/<user>/` in the seed layout,
    `home-manager/` for starter configs, `[layout] home-dir`). A user name
    that is computed (`home-manager.users.${user}`), a module written inline
    with no path in it, a computed path, or a configuration flakelint cannot
    evaluate makes it silent. Under snowfall-lib, which builds homes from
    `homes/<arch>/<user>@<host>/`, it reports a home directory whose name
    has an empty user or host part around the `@`, which snowfall-lib
    rejects at evaluation.

    ## Why is this bad?
    A user's home configuration outside `home/<user>/` is hard to find, and
    one user pointing at another user's directory (`home-manager.users.bob =
    ../../home/alice/home.nix`) gives bob alice's settings — often a
    copy-paste slip.

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
    { ... }: {
      home-manager.users.alice = import ../../home/alice/home.nix;
      home-manager.users.bob = import ../../home/alice/home.nix;
    }
    # file: home/alice/home.nix
    { ... }: { home.stateVersion = "25.05"; }
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
    { ... }: {
      home-manager.users.alice = import ../../home/alice/home.nix;
      home-manager.users.bob = import ../../home/bob/home.nix;
    }
    # file: home/alice/home.nix
    { ... }: { home.stateVersion = "25.05"; }
    # file: home/bob/home.nix
    { ... }: { home.stateVersion = "25.05"; }
    ```
    """

    code = "FL303"
    shared = (reachability,)  # run with the rules that share it (Rule.shared)
    name = "home-without-directory"
    severity = Severity.WARNING

    def check(self, repo):
        layout = layout_of(repo)
        if layout is None:
            return
        if layout.home_names_user_at_host:
            yield from self._snowfall_names(repo, layout)
        if layout.wiring != "flake" or repo.graph.autowired:
            return
        yield from self._home_configurations(repo, layout)
        yield from self._users_in_systems(repo, layout)

    def _expected(self, layout, user: str) -> str | None:
        return layout.full(layout.home_dir) if layout.single_home else layout.home_directory(user)

    def _home_configurations(self, repo, layout):
        model = repo.graph.model
        if model is None:
            return
        for configuration in model.configurations:
            if configuration.kind != "home-manager" or not configuration.complete:
                continue
            user = configuration.name.split("@", 1)[0]
            expected = self._expected(layout, user)
            if not user or expected is None:
                continue
            closure = configuration_closure(repo, configuration)
            if not closure.complete or closure.touches(expected):
                continue
            source = repo.sources.get(configuration.file)
            if source is None:
                continue
            yield self.diagnostic(
                source,
                start=configuration.start,
                end=configuration.start,
                message=f'`homeConfigurations."{configuration.name}"` uses no file in `{expected}/`',
                hint=f"keep {user}'s home configuration in `{expected}/{layout.home_files[0]}`",
            )

    def _users_in_systems(self, repo, layout):
        index = repo.file_index
        by_user: dict[str, list] = {}
        for path in sorted(repo.graph.refs):
            for ref in repo.graph.refs[path]:
                user = _user_module(ref.attrpath)
                if user is not None:
                    by_user.setdefault(user, []).append(ref)
        for user, refs in sorted(by_user.items()):
            # Every definition of the user's module, in every file, counts together.
            expected = self._expected(layout, user)
            if expected is None or any(ref.kind != "exact" or ref.usage in ("doc", "guard") for ref in refs):
                continue
            targets = [t for ref in refs for t in resolve(ref, index)]
            if not targets:
                continue  # a missing path is FL202's business
            closure = closure_of(repo, targets)
            if not closure.complete or closure.touches(expected):
                continue
            first = refs[0]
            yield self.at_ref(
                repo,
                first,
                f"home-manager.users.{user} uses no file in `{expected}/` (it uses `{first.target}`)",
                hint=f"keep {user}'s home configuration in `{expected}/{layout.home_files[0]}`",
            )

    def _snowfall_names(self, repo, layout):
        seen: set[str] = set()
        for path in sorted(repo.files):
            found = layout.home_dir_of(path)
            if found is None or found[1] in seen:
                continue
            name, directory = found
            seen.add(directory)
            if "@" not in name:
                continue  # snowfall-lib accepts a plain user name (a home for every host)
            user, host = name.split("@", 1)
            if user and host:
                continue
            yield self.at(
                path,
                f"snowfall-lib homes are named `<user>@<host>`: `{directory}/` has an empty "
                f"{'user' if not user else 'host'} part, which snowfall-lib rejects",
                hint="name the directory `<user>@<host>` (or just `<user>` for every host)",
            )


def _user_module(attrpath: tuple) -> str | None:
    """The user whose home module a path is (``home-manager.users.<u>`` or its ``imports``)."""
    for i in range(len(attrpath) - 2):
        if attrpath[i] == "home-manager" and attrpath[i + 1] == "users":
            rest = attrpath[i + 3 :]
            if rest in ((), ("imports",)):
                return attrpath[i + 2]
            return None
    return None
