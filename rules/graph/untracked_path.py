from flakelint.diagnostic import Severity
from flakelint.graph import path_statuses
from flakelint.rule import RepoRule


class UntrackedPath(RepoRule):
    """A path that points at a file git does not track: invisible to the flake.

    ## What it does
    In a git work tree, reports a path literal whose target exists on disk
    but is not tracked by git: untracked (not yet `git add`-ed) or ignored by
    `.gitignore`. A directory path is reported when nothing in it is
    tracked. Outside git this rule is silent.

    ## Why is this bad?
    Nix copies only the files git tracks into the store when it evaluates a
    flake from a git repository. The file is there when you look, but the
    build fails with "path … does not exist" (or, for an ignored file, on
    every other machine).

    ## Example
    ```nix
    # file: .gitignore
    secrets.nix
    # file: default.nix
    { ... }:
    {
      imports = [ ./secrets.nix ];
    }
    # file: secrets.nix
    { ... }: { }
    ```

    ## Use instead
    ```nix
    # file: default.nix
    { ... }:
    {
      imports = [ ./secrets.nix ];
    }
    # file: secrets.nix
    { ... }: { }
    ```
    """

    code = "FL203"
    shared = (path_statuses,)  # run with the rules that share it (Rule.shared)
    name = "untracked-path"
    severity = Severity.ERROR

    def check(self, repo):
        if repo.flake.is_template:
            return  # a skeleton to copy: it may name files the user will create
        if repo.flake.tracked is None:
            return
        for ref, status, shown in path_statuses(repo):
            if status == "ignored":
                yield self.at_ref(
                    repo,
                    ref,
                    f"`{ref.written}` points at {shown}, which git ignores: the flake cannot see it",
                    hint="remove it from .gitignore and `git add` it, or stop referring to it",
                )
            elif status == "untracked":
                yield self.at_ref(
                    repo,
                    ref,
                    f"`{ref.written}` points at {shown}, which git does not track: the flake cannot see it",
                    hint=f"git add {shown}",
                )
