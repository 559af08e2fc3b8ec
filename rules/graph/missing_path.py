from flakelint.diagnostic import Severity
from flakelint.graph import path_statuses
from flakelint.rule import RepoRule


class MissingPath(RepoRule):
    """A path literal that points at nothing.

    ## What it does
    Reports a relative path (`./x.nix`, `../modules`, `./. + "/x"`,
    `"${self}/x"`) that resolves inside the flake to no file or directory; a
    directory used as a module or with `import`/`callPackage` must hold a
    `default.nix`. A path that the same file checks with
    `builtins.pathExists` is optional and not reported, nor is a computed path
    (`./hosts/${name}`).

    ## Why is this bad?
    Evaluation fails with "path … does not exist" as soon as anything uses
    the value, typically on the next `nixos-rebuild`.

    ## Example
    ```nix
    { ... }:
    {
      imports = [ ./hardware-configuraton.nix ];
    }
    # file: hardware-configuration.nix
    { ... }: { }
    ```

    ## Use instead
    ```nix
    { ... }:
    {
      imports = [ ./hardware-configuration.nix ];
    }
    # file: hardware-configuration.nix
    { ... }: { }
    ```
    """

    code = "FL202"
    shared = (path_statuses,)  # run with the rules that share it (Rule.shared)
    name = "missing-path"
    severity = Severity.ERROR

    def check(self, repo):
        if repo.flake.is_template:
            return  # a skeleton to copy: it may name files the user will create
        for ref, status, shown in path_statuses(repo):
            if status == "missing":
                yield self.at_ref(repo, ref, f"`{ref.written}` points at {shown}, which does not exist")
            elif status == "no-default":
                yield self.at_ref(
                    repo,
                    ref,
                    f"`{ref.written}` is a directory without default.nix, so it cannot be imported",
                    hint="point at the file inside it, or add a default.nix",
                )
