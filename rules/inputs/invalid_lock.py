from flakelint.diagnostic import Severity
from flakelint.rule import RepoRule

from . import at_lock


class InvalidLock(RepoRule):
    """A flake.lock that Nix cannot read.

    ## What it does
    Reads `flake.lock` the way Nix does and reports, with the JSON location
    (`nodes.home-manager.inputs.nixpkgs`) and its line and column:

    - text that is not JSON (a merge conflict left in the file, a truncated
      write), or not UTF-8;
    - a `version` Nix does not read (it reads 5 to 7), or none;
    - a missing or mistyped `root` or `nodes`, a `root` naming no node;
    - a node (reachable from the root) that is not an object, lacks `locked`
      or `original` (or their `type`), or has attributes of the wrong type;
    - an input that refers to a node that does not exist, or back to the root;
    - a `follows` path (an array of input names) that leads nowhere from the
      root, or goes round in a cycle.

    Nodes that nothing refers to are ignored, as Nix ignores them. The other
    rules keep running; those that need the lock's content (FL102, FL103,
    FL106, FL108) say nothing until it is valid. A `flake.lock` encrypted
    with git-crypt is skipped.

    ## Why is this bad?
    Every `nix` command on the flake fails with "error: … lock file …"
    before it does anything, typically right after a botched merge of two
    branches that both updated inputs.

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { nixpkgs, ... }: { };
    }
    # file: flake.lock
    {
      "nodes": {
        "root": { "inputs": { "nixpkgs": "nixpkgs_2" } }
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
      outputs = { nixpkgs, ... }: { };
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
    After a merge conflict in `flake.lock`, take either side and run
    `nix flake lock` (or `nix flake update`) rather than merging by hand.
    """

    code = "FL115"
    name = "invalid-lock"
    severity = Severity.ERROR

    def check(self, repo):
        lock = repo.lock
        if lock is None:
            return
        for problem in lock.problems:
            yield at_lock(
                self, repo, problem.location, problem.message,
                hint="fix the file, or regenerate it with `nix flake lock`",
                line=problem.line, column=problem.column,
            )
