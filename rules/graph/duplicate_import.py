from flakelint.diagnostic import Severity
from flakelint.rule import RepoRule


class DuplicateImport(RepoRule):
    """The same file listed twice in one `imports` or `modules` list.

    ## What it does
    Reports the second (and later) occurrence of a file in one `imports` or
    `modules` list, counting lists joined with `++` or wrapped in
    `lib.optionals` as one, and `./dir` and `./dir/default.nix` as the same
    file.

    ## Why is this bad?
    The module system deduplicates plain paths, so the second entry does
    nothing but mislead; when one entry is written differently (an
    `import`ed copy), the module is evaluated twice and its options are
    defined twice, which fails for options that can be set only once.

    ## Example
    ```nix
    { ... }:
    {
      imports = [
        ./desktop
        ./desktop/default.nix
      ];
    }
    # file: desktop/default.nix
    { ... }: { }
    ```

    ## Use instead
    ```nix
    { ... }:
    {
      imports = [ ./desktop ];
    }
    # file: desktop/default.nix
    { ... }: { }
    ```
    """

    code = "FL205"
    name = "duplicate-import"
    severity = Severity.WARNING

    def check(self, repo):
        index = repo.path_checker.index
        for path, refs in sorted(repo.graph.refs.items()):
            seen: dict[tuple, object] = {}
            for ref in refs:
                if ref.group is None or ref.kind != "exact":
                    continue
                target = ref.target
                if index.is_dir(target):
                    target = "default.nix" if target == "." else f"{target}/default.nix"
                key = (ref.group, target)
                if key in seen:
                    first = repo.sources[path].position(seen[key].start)
                    yield self.at_ref(
                        repo,
                        ref,
                        f"`{ref.written}` is already in this list (line {first.line}): {target} is imported twice",
                        hint="remove the duplicate entry",
                    )
                else:
                    seen[key] = ref
