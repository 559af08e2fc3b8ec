from __future__ import annotations

from flakelint import nixast
from flakelint.diagnostic import Severity
from flakelint.overlays import declared_inputs, nixpkgs_imports
from flakelint.rule import RepoRule

from ..inputs import evaluated_files, exempt

SYSTEM_ARGUMENTS = {"system", "localSystem", "hostPlatform"}


def argument_names(data: bytes, attrset) -> set[str] | None:
    """The attribute names of ``import nixpkgs``'s argument set; None when one is computed."""
    return nixast.attrset_names(data, attrset)


class ImportNixpkgsWithoutSystem(RepoRule):
    """`import nixpkgs { … }` without `system` in a file the flake evaluates.

    ## What it does
    Reports `import nixpkgs { … }`, `import inputs.nixpkgs { … }` (any input
    whose name contains `nixpkgs` and that `flake.nix` declares, also through
    `self.inputs`) whose argument
    set has no `system`, `localSystem` or `hostPlatform` (written out or
    inherited), in a file the flake evaluates (reached from `flake.nix`). An
    argument that is not a literal attribute set (`import nixpkgs args`,
    `{ … } // extra`) is not checked, nor is the default value of a function
    argument or a legacy `shell.nix` the flake never reaches.

    ## Why is this bad?
    Without a system nixpkgs falls back to `builtins.currentSystem`, which
    does not exist in pure flake evaluation: `nix build`/`nixos-rebuild
    --flake` fail with "attribute 'currentSystem' missing". With `--impure` the
    result silently depends on the machine that evaluates it.

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { nixpkgs, ... }:
        let
          pkgs = import nixpkgs { config.allowUnfree = true; };
        in
        {
          packages.x86_64-linux.default = pkgs.hello;
        };
    }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { nixpkgs, ... }:
        let
          system = "x86_64-linux";
          pkgs = import nixpkgs {
            inherit system;
            config.allowUnfree = true;
          };
        in
        {
          packages.${system}.default = pkgs.hello;
        };
    }
    ```
    """

    code = "FL406"
    shared = (evaluated_files,)  # run with the rules that share it (Rule.shared)
    name = "import-nixpkgs-without-system"
    severity = Severity.ERROR

    def summarize(self, source):
        """One file's ``import nixpkgs { … }`` calls without a system: (start, end, target, input name).

        Every input name that looks like nixpkgs is kept; ``check`` keeps
        those the flake declares. Computed where the file was parsed (a
        worker), so that the check needs no tree.
        """
        if source.has_error:
            return None
        found = []
        for call in nixpkgs_imports(source):
            if call.arguments is None or exempt(source, call.node):
                continue
            names = argument_names(source.data, call.arguments)
            if names is None or names & SYSTEM_ARGUMENTS:
                continue
            found.append((call.node.start_byte, call.node.end_byte, call.target, call.input))
        return tuple(found) or None  # None for most files: the smallest pickle

    def check(self, repo):
        inputs = declared_inputs(repo)
        for path in evaluated_files(repo):
            calls = repo.summary(self, path)
            if not calls:
                continue
            source = repo.sources[path]
            for start, end, target, name in calls:
                if inputs is not None and name not in inputs and name != "nixpkgs":
                    continue  # a local `nixpkgsPath`, not an input (as nixpkgs_imports decides)
                yield self.diagnostic(
                    source,
                    start=start,
                    end=end,
                    message=f"`import {target}` without `system`: nixpkgs falls back to `builtins.currentSystem`, "
                    "which pure flake evaluation does not have",
                    hint="pass `inherit system;` (or `localSystem`/`hostPlatform`)",
                )
