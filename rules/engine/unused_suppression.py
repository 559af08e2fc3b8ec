from flakelint.diagnostic import Severity
from flakelint.rule import EngineRule


class UnusedSuppression(EngineRule):
    """A suppression comment that suppresses nothing.

    ## What it does
    Reports a `# flakelint: ignore[...]` or `# flakelint: ignore-file[...]`
    comment that names an unknown code, or that silences no finding of a code
    which is enabled in this run. Codes disabled by configuration are not
    reported: flakelint cannot know whether they would fire.

    ## Why is this bad?
    Stale suppressions hide the next real finding on that line, and a
    misspelt code silences nothing while looking as if it did.

    ## Example
    ```nix
    { ... }:
    {
      networking.hostName = "laptop"; # flakelint: ignore[FL999]
    }
    ```

    ## Use instead
    ```nix
    { ... }:
    {
      networking.hostName = "laptop";
    }
    ```
    """

    code = "FL003"
    name = "unused-suppression"
    severity = Severity.WARNING
