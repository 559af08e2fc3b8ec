from flakelint.diagnostic import Severity
from flakelint.rule import RepoRule

from . import at_span, valid_lock


class InputNotLocked(RepoRule):
    """An input declared in flake.nix that flake.lock does not lock.

    ## What it does
    Reports each input of `flake.nix` (declared in `inputs`, or a formal of
    `outputs`, which Nix adds as a registry input) that has no entry in the
    inputs of the lock's root node (`nodes.root.inputs`). Silent when there
    is no lock (FL101) or the lock is invalid (FL115).

    ## Why is this bad?
    The lock is stale: it was written before the input was added. Nix
    resolves the new input to whatever its url means today and rewrites the
    lock on the next command (or, with `--no-write-lock-file` in CI, fails),
    so what you build is not what the repository records.

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      inputs.disko.url = "github:nix-community/disko";
      outputs = { nixpkgs, disko, ... }: {
        nixosModules.default = disko.nixosModules.disko;
        formatter.x86_64-linux = nixpkgs.legacyPackages.x86_64-linux.nixfmt-rfc-style;
      };
    }
    # file: flake.lock
    {
      "nodes": {
        "nixpkgs": {
          "locked": { "lastModified": 1763000000, "narHash": "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "owner": "NixOS", "repo": "nixpkgs", "rev": "0123456789abcdef0123456789abcdef01234567", "type": "github" },
          "original": { "owner": "NixOS", "ref": "nixos-25.05", "repo": "nixpkgs", "type": "github" }
        },
        "root": { "inputs": { "nixpkgs": "nixpkgs" } }
      },
      "root": "root",
      "version": 7
    }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { nixpkgs, ... }: {
        formatter.x86_64-linux = nixpkgs.legacyPackages.x86_64-linux.nixfmt-rfc-style;
      };
    }
    # file: flake.lock
    {
      "nodes": {
        "nixpkgs": {
          "locked": { "lastModified": 1763000000, "narHash": "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "owner": "NixOS", "repo": "nixpkgs", "rev": "0123456789abcdef0123456789abcdef01234567", "type": "github" },
          "original": { "owner": "NixOS", "ref": "nixos-25.05", "repo": "nixpkgs", "type": "github" }
        },
        "root": { "inputs": { "nixpkgs": "nixpkgs" } }
      },
      "root": "root",
      "version": 7
    }
    ```
    Or keep the new input and run `nix flake lock` to add it to the lock.
    """

    code = "FL102"
    name = "input-not-locked"
    severity = Severity.ERROR

    def check(self, repo):
        lock = valid_lock(repo)
        model = repo.inputs
        if lock is None or model is None:
            return
        locked = lock.root_inputs
        for name, decl in model.inputs.items():
            if name not in locked:
                yield at_span(
                    self, repo, (decl.start, decl.end),
                    f"input `{name}` is declared in flake.nix but flake.lock does not lock it: the lock is stale",
                    hint=f"run `nix flake lock` to lock `{name}`, and commit flake.lock",
                )
        for formal in model.implicit:
            if formal.name not in locked:
                yield at_span(
                    self, repo, (formal.start, formal.end),
                    f"`{formal.name}` is a formal of outputs, so Nix adds it as an input, but flake.lock does not lock it",
                    hint=f"declare `inputs.{formal.name}.url` and run `nix flake lock`",
                )
