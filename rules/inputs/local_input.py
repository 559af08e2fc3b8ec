import os
import posixpath

from flakelint.diagnostic import Severity
from flakelint.rule import RepoRule

from . import at_span

MAX_DEPTH = 16


class LocalInput(RepoRule):
    """An input that points at a path on this machine.

    ## What it does
    Reports an input (or an overridden input of an input) whose url is a
    `path:` or `git+file:` reference, a `file://` url, or a bare absolute
    path, when it points outside the repository: an absolute path, or a
    relative one that climbs out of the git work tree (or out of the flake,
    outside git). A relative path inside the repository (`path:./subflake`)
    travels with the repository and is fine.

    ## Why is this bad?
    The lock records a hash of what happened to be at that path on the
    machine that locked it. Anyone else (CI, a second machine, you after a
    reinstall) either has nothing there or has something else, and the
    build fails with a hash mismatch or a missing path.

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      inputs.secrets.url = "git+file:///home/alice/secrets";
      inputs.secrets.flake = false;
      outputs = { nixpkgs, secrets, ... }: {
        nixosModules.secrets = import "${secrets}/module.nix";
      };
    }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      inputs.secrets.url = "git+ssh://git@github.com/alice/secrets";
      inputs.secrets.flake = false;
      inputs.subflake.url = "path:./subflake";
      outputs = { nixpkgs, secrets, subflake, ... }: {
        nixosModules.secrets = import "${secrets}/module.nix";
      };
    }
    ```
    """

    code = "FL105"
    name = "local-input"
    severity = Severity.WARNING

    def check(self, repo):
        model = repo.inputs
        if model is None:
            return
        boundary = os.path.realpath(repo.git_toplevel or repo.root)
        stack = [((name,), decl, 0) for name, decl in model.inputs.items()]
        while stack:
            path, decl, depth = stack.pop(0)
            if depth < MAX_DEPTH:
                stack.extend((path + (child_name,), child, depth + 1) for child_name, child in decl.inputs.items())
            if decl.url is None or decl.url_computed:
                continue
            ref = decl.flakeref
            if ref is None or not ref.is_local:
                continue
            local = ref.local_path()
            if local is None:
                continue
            where = ".inputs.".join(path)
            if local.startswith(("/", "~")):
                yield at_span(
                    self, repo, decl.source_span,
                    f"input `{where}` points at `{local}` on this machine: nobody else can fetch it, and the lock cannot pin it for them",
                    hint="fetch it from a git forge or server (github:, git+https:, git+ssh:) instead",
                )
                continue
            target = os.path.realpath(os.path.join(repo.root, posixpath.normpath(local)))
            if target != boundary and not target.startswith(boundary.rstrip(os.sep) + os.sep):
                yield at_span(
                    self, repo, decl.source_span,
                    f"input `{where}` points at `{local}`, outside this repository: it exists only on this machine",
                    hint="fetch it from a git forge or server, or move it into this repository",
                )
