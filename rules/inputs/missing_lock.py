import os

from flakelint.diagnostic import Severity
from flakelint.rule import RepoRule

from . import at_span


TEMPLATE_DIRECTORIES = {"templates", "template"}


def _is_template(flake) -> bool:
    """A template: declared in the parent's `templates`, or a nested flake under a templates/ directory."""
    if flake.is_template:
        return True
    if flake.parent is None:
        return False
    relative = os.path.relpath(flake.root, flake.parent)
    return any(part in TEMPLATE_DIRECTORIES for part in relative.split(os.sep))


class MissingLock(RepoRule):
    """A flake with inputs but no flake.lock that git tracks.

    ## What it does
    Reports a `flake.nix` that declares inputs (in `inputs`, or as formals of
    `outputs`) when the flake has no `flake.lock`, or has one that git does
    not track (never added, or ignored by `.gitignore`). The finding points at
    the `inputs` declaration. Outside git only the file's presence is checked;
    a flake without inputs needs no lock, and a template (a skeleton that a
    parent flake declares in `templates`, or a nested flake in a `templates/`
    directory) is not expected to carry one.

    ## Why is this bad?
    Without a lock file every `nix build`, `nixos-rebuild` or CI run resolves
    the inputs afresh: two machines, or the same machine a week apart, build
    different things, and nothing records what was built. Nix only sees files
    git tracks, so an untracked or ignored `flake.lock` is the same as none:
    Nix writes a new one (or, with `--no-write-lock-file`, refuses to run).

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { nixpkgs, ... }: {
        formatter.x86_64-linux = nixpkgs.legacyPackages.x86_64-linux.nixfmt-rfc-style;
      };
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
          "locked": {
            "lastModified": 1763000000,
            "narHash": "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "owner": "NixOS",
            "repo": "nixpkgs",
            "rev": "0123456789abcdef0123456789abcdef01234567",
            "type": "github"
          },
          "original": {
            "owner": "NixOS",
            "ref": "nixos-25.05",
            "repo": "nixpkgs",
            "type": "github"
          }
        },
        "root": { "inputs": { "nixpkgs": "nixpkgs" } }
      },
      "root": "root",
      "version": 7
    }
    ```
    Run `nix flake lock` and commit the `flake.lock` it writes.
    """

    code = "FL101"
    name = "missing-lock"
    severity = Severity.ERROR

    def check(self, repo):
        if _is_template(repo.flake):
            return
        model = repo.inputs
        if model is None or not model.names:
            return
        implicit = model.implicit
        if model.inputs_span is not None:
            span = model.inputs_span
        elif implicit:
            span = (implicit[0].start, implicit[0].end)
        else:
            return
        count = len(model.names)
        declares = f"flake.nix declares {count} input{'s' if count != 1 else ''}"
        if not os.path.lexists(os.path.join(repo.root, "flake.lock")):
            yield at_span(
                self, repo, span,
                f"{declares} but there is no flake.lock: every evaluation resolves them afresh",
                hint="run `nix flake lock` and commit flake.lock",
            )
            return
        tracked = repo.flake.tracked
        if tracked is None or "flake.lock" in tracked or os.path.isdir(os.path.join(repo.root, "flake.lock")):
            return  # (a directory named flake.lock is FL115's)
        if "flake.lock" in repo.flake.files:
            yield at_span(
                self, repo, span,
                f"{declares} but flake.lock is not tracked by git, so the flake does not see it",
                hint="git add flake.lock",
            )
        else:
            yield at_span(
                self, repo, span,
                f"{declares} but flake.lock is ignored by git, so the flake does not see it",
                hint="remove flake.lock from .gitignore, then git add flake.lock",
            )
