from flakelint.diagnostic import Severity
from flakelint.facts import MODULE_USAGES
from flakelint.rule import RepoRule
from flakelint.wiring import layout_of


class StrayNixFile(RepoRule):
    """A `.nix` file outside every directory of the layout.

    ## What it does
    Reports a tracked `.nix` file that lies outside every directory the
    layout knows. In the seed layout those are `hosts/`, `home/`,
    `modules/`, `overlays/`, `pkgs/` and the usual helpers `lib/`,
    `checks/`, `shells/`, `devshells/`, `templates/`, `tests/`, `secrets/`
    (`[layout] extra-dirs` changes them); at the root only `flake.nix`,
    `default.nix` and `shell.nix` are expected (`[layout] root-files`). Other
    presets have their own lists (blueprint also expects `formatter.nix`,
    `devshell.nix` and `package.nix` at the root and `packages/`, not
    `pkgs/`). With a prefix (blueprint's `prefix = "nix/"`, snowfall-lib's
    `snowfall.root`), only files inside the prefix and at the root are
    checked. Nested flakes are checked on their own.

    Frameworks that load files by directory (snowfall-lib, blueprint,
    nixos-unified, ez-configs) leave every other directory to the user, so
    there only their own rules apply: blueprint loads packages from
    `packages/`, so `.nix` files under `pkgs/` are reported (once); snowfall-lib
    loads only `default.nix` files from `modules/`, `packages/` and
    `overlays/`, so another `.nix` file there that nothing imports is
    reported.

    ## Why is this bad?
    A file outside the layout has no obvious owner or purpose: is it a
    module, a package, a leftover? Frameworks that load by directory
    (blueprint, snowfall-lib) silently ignore it, so settings in it never
    apply.

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { nixpkgs, ... }: {
        nixosConfigurations.laptop = nixpkgs.lib.nixosSystem {
          modules = [ ./hosts/laptop/configuration.nix ./fonts.nix ];
        };
      };
    }
    # file: hosts/laptop/configuration.nix
    { ... }: { imports = [ ../../modules/services/ssh.nix ]; }
    # file: modules/services/ssh.nix
    { ... }: { services.openssh.enable = true; }
    # file: fonts.nix
    { pkgs, ... }: { fonts.packages = [ pkgs.inter ]; }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { nixpkgs, ... }: {
        nixosConfigurations.laptop = nixpkgs.lib.nixosSystem {
          modules = [ ./hosts/laptop/configuration.nix ./modules/desktop/fonts.nix ];
        };
      };
    }
    # file: hosts/laptop/configuration.nix
    { ... }: { imports = [ ../../modules/services/ssh.nix ]; }
    # file: modules/services/ssh.nix
    { ... }: { services.openssh.enable = true; }
    # file: modules/desktop/fonts.nix
    { pkgs, ... }: { fonts.packages = [ pkgs.inter ]; }
    ```
    """

    code = "FL306"
    name = "stray-nix-file"
    severity = Severity.WARNING

    def check(self, repo):
        layout = layout_of(repo)
        if layout is None:
            return
        if layout.wiring == "convention":
            yield from self._convention(repo, layout)
            return
        known = set(layout.known_dirs())
        for path in sorted(repo.files):
            if not path.endswith(".nix") or any(part.startswith(".") for part in path.split("/")):
                continue
            relative = layout.under_prefix(path)
            if relative is None:
                if "/" in path or path in layout.root_files:
                    continue  # outside the prefix: not the layout's business
                relative = path
            if "/" not in relative:
                if relative in layout.root_files:
                    continue
                where = "at the root" if not layout.prefix else f"in `{layout.prefix}/`"
                yield self.at(
                    path,
                    f"`{path}` {where}: the {layout.preset} layout expects only "
                    f"{', '.join(f'`{f}`' for f in layout.root_files)} there",
                    hint=_hint(layout),
                )
                continue
            top = relative.split("/", 1)[0]
            if top in known or top.startswith("."):
                continue
            message = f"`{path}` is outside every directory of the {layout.preset} layout"
            if top == "pkgs" and layout.packages_dir != "pkgs":
                message += f"; {layout.preset} loads packages from `{layout.packages_dir}/`, not `pkgs/`"
            yield self.at(path, message, hint=_hint(layout))


    def _convention(self, repo, layout):
        """Frameworks load some directories and leave the rest to the user: only their own rules apply."""
        if layout.packages_dir != "pkgs":
            pkgs = layout.full("pkgs") + "/"
            if layout.full(layout.packages_dir) + "/" != pkgs:
                for path in sorted(repo.files):
                    if path.startswith(pkgs) and path.endswith(".nix"):
                        yield self.at(
                            path,
                            f"{layout.preset} loads packages from `{layout.full(layout.packages_dir)}/`, not `pkgs/`: "
                            "packages here are not built unless something imports them",
                            hint=f"move the packages to `{layout.full(layout.packages_dir)}/`",
                        )
                        break
        if layout.preset == "snowfall":
            yield from self._snowfall_default_nix(repo, layout)

    def _snowfall_default_nix(self, repo, layout):
        """snowfall-lib loads only ``default.nix`` from modules/, packages/, overlays/ (and their sub-directories)."""
        imported = repo.graph.targets_where(lambda ref: ref.kind == "exact" and ref.usage in MODULE_USAGES)
        if any(ref.kind == "pattern" for refs in repo.graph.refs.values() for ref in refs):
            return  # a computed path may import any of them
        loaded = [layout.full(d) + "/" for d in (layout.modules_dir, layout.packages_dir, layout.overlays_dir) if d]
        for path in sorted(repo.files):
            if not path.endswith(".nix") or path.endswith("/default.nix") or path in imported:
                continue
            if any(part.startswith(".") for part in path.split("/")):
                continue  # `.default.nix`, `.template/`: switched off on purpose
            if any(path.startswith(prefix) for prefix in loaded):
                yield self.at(
                    path,
                    f"snowfall-lib loads only `default.nix` files from `{path.split('/')[0]}/`; nothing imports `{path}`, so it is never used",
                    hint="move it to `<name>/default.nix`, or import it from the module that needs it",
                )


def _hint(layout) -> str:
    dirs = ", ".join(f"`{d}/`" for d in layout.known_dirs())
    return f"move it into one of {dirs}, or list its directory in `extra-dirs` of [layout]"
