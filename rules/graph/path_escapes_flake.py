import os

from flakelint.diagnostic import Severity
from flakelint.rule import RepoRule


class PathEscapesFlake(RepoRule):
    """A relative path that leaves the flake's source tree.

    ## What it does
    Reports a relative path literal (`../../secrets/x.nix`) that resolves
    outside the flake root. flakelint never reads the file it points at.

    A flake that lives in a subdirectory of its git repository may refer to
    the rest of that repository (Nix copies the whole git tree), so paths
    that stay inside the same git work tree are not reported.

    ## Why is this bad?
    A flake is evaluated from a copy of its own source tree in the Nix store;
    a path outside it does not exist there ("access to path … is forbidden in
    pure evaluation mode", or "path … does not exist"). It may work on the
    author's machine with `--impure` and nowhere else.

    ## Example
    ```nix
    # file: flake.nix
    {
      outputs = { self, ... }: {
        nixosModules.default = ../shared/module.nix;
      };
    }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      outputs = { self, ... }: {
        nixosModules.default = ./modules/shared.nix;
      };
    }
    # file: modules/shared.nix
    { ... }: { }
    ```
    """

    code = "FL204"
    name = "path-escapes-flake"
    severity = Severity.ERROR

    def check(self, repo):
        toplevel = repo.git_toplevel
        for path, refs in sorted(repo.graph.refs.items()):
            for ref in refs:
                if ref.kind != "outside":
                    continue
                absolute = os.path.normpath(os.path.join(repo.root, ref.target))
                if toplevel and (absolute == toplevel or absolute.startswith(toplevel.rstrip(os.sep) + os.sep)):
                    continue
                yield self.at_ref(
                    repo,
                    ref,
                    f"`{ref.written}` resolves outside the flake root; a flake cannot see files outside its source tree",
                    hint="move the file into the flake, or make it a flake input",
                )
