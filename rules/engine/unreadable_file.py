from flakelint.diagnostic import Severity
from flakelint.rule import EngineRule


class UnreadableFile(EngineRule):
    """A `.nix` file that flakelint cannot analyse.

    ## What it does
    Reports a `.nix` file of the repository that cannot be read as Nix
    source: not valid UTF-8, containing NUL bytes (a binary file), larger
    than `max-file-size`, unreadable (permission denied), a broken symlink, a
    symlink loop, a symlink (or a symlinked directory) leading outside the
    flake root (never followed), a FIFO, socket or device (never opened), a
    directory named `*.nix`, or input so pathological for the parser that it
    cannot be parsed within a time budget (a few seconds plus about two
    microseconds a byte, several times what any real file needs).
    The run goes on with every other file.

    Files encrypted on purpose with git-crypt (content starting with
    `\\0GITCRYPT`) are skipped silently.

    ## Why is this bad?
    Nix cannot evaluate such a file either (or, for an over-size file,
    flakelint could not check it), and a file flakelint cannot read is a file
    none of its other rules have checked.

    ## Example
    ```text
    hosts/laptop/default.nix -> ../../old/laptop.nix   (a dangling symlink)
    ```

    ## Use instead
    ```text
    hosts/laptop/default.nix                           (a regular UTF-8 file)
    ```

    ## Options
    `max-file-size` (top-level config key, bytes; default 2 MiB, also `"4MiB"`).
    """

    code = "FL002"
    name = "unreadable-file"
    severity = Severity.ERROR
    runnable_examples = False
