from flakelint.diagnostic import Severity
from flakelint.rule import RepoRule


class AnonymousModuleImport(RepoRule):
    """`import ./module.nix` inside an `imports` or `modules` list.

    ## What it does
    Reports `import ./m.nix` and `import ./m.nix { … }` used as an element of
    an `imports` or `modules` list, where the path itself belongs.

    ## Why is this bad?
    The module system identifies a module by its file. An imported value has
    no file key, so the module cannot be deduplicated (importing it twice
    defines every option twice), `disabledModules` cannot name it, and error
    messages point at `<unknown-file>` instead of the file to fix.

    ## Example
    ```nix
    { ... }:
    {
      imports = [ (import ./desktop.nix) ];
    }
    # file: desktop.nix
    { ... }: { }
    ```

    ## Use instead
    ```nix
    { ... }:
    {
      imports = [ ./desktop.nix ];
    }
    # file: desktop.nix
    { ... }: { }
    ```
    """

    code = "FL208"
    name = "anonymous-module-import"
    severity = Severity.WARNING

    def check(self, repo):
        for path, refs in sorted(repo.graph.refs.items()):
            for ref in refs:
                if not ref.anonymous:
                    continue
                yield self.at_ref(
                    repo,
                    ref,
                    f"`import {ref.written}` in a module list hides the module's file name",
                    hint=f"list the path itself: {ref.written} (pass arguments through specialArgs or _module.args)",
                )
