from flakelint.diagnostic import Severity
from flakelint.rule import EngineRule


class InternalError(EngineRule):
    """A rule crashed on a file.

    ## What it does
    When a rule raises an exception on one file (or on the repository
    model), flakelint reports the rule's code, the file, and a one-line
    reason, and goes on: every other rule and every other file still runs, so
    no result is lost to one bug.

    ## Why is this bad?
    It is a bug in flakelint, not in your repository, and that rule's
    verdict on that file is missing. Please report it with the file (or a
    reduced copy) and `flakelint --debug` output.

    ## Example
    ```text
    hosts/laptop/default.nix:1:1: FL004 rule FL123 crashed on this file: IndexError: list index out of range
    ```

    ## Use instead
    ```text
    (upgrade flakelint, or ignore the crashing rule for that file with per-file-ignores until it is fixed)
    ```
    """

    code = "FL004"
    name = "internal-error"
    severity = Severity.ERROR
    runnable_examples = False
