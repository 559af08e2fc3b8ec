from __future__ import annotations

from flakelint.diagnostic import Severity
from flakelint.rule import RepoRule

from . import overlay_layout, overlay_summaries, summarize_overlays

FIRST = {"final", "_final", "_"}
SECOND = {"prev", "_prev", "_"}


class OverlayArgNames(RepoRule):
    """Overlay arguments not named `final` and `prev`.

    ## What it does
    Reports an overlay (see FL401 for where overlays are found) whose first
    argument is not `final`, `_final` or `_`, or whose second argument is
    not `prev`, `_prev` or `_` — typically the older `self: super:`.
    One finding per overlay, at the first argument that is misnamed.

    ## Why is this bad?
    `final`/`prev` say what the arguments are: the package set after all
    overlays, and the one before this overlay. `self`/`super` read like
    object-oriented inheritance and invite `self.X` in the definition of `X`
    (infinite recursion, FL402). For a flake's `overlays.<name>` output
    `nix flake check` goes further and requires the first argument to be
    named `final` (or `_final`/`_`), so there the finding is a warning,
    not info.

    ## Example
    ```nix
    # file: flake.nix
    {
      outputs = { self, ... }: {
        overlays.default = self: super: {
          hello = super.hello.override { };
        };
      };
    }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      outputs = { self, ... }: {
        overlays.default = final: prev: {
          hello = prev.hello.override { };
        };
      };
    }
    ```
    """

    code = "FL403"
    shared = (overlay_layout,)  # run with the rules that share it (Rule.shared)
    name = "overlay-arg-names"
    severity = Severity.INFO

    def summarize(self, source):
        """One file's misnamed overlay arguments: (start, end, message, rejected by `nix flake check`), computed where the file was parsed."""
        return summarize_overlays(source, _misnamed)

    def check(self, repo):
        for source, findings in overlay_summaries(self, repo):
            for start, end, message, rejected in findings:
                yield self.diagnostic(
                    source,
                    start=start,
                    end=end,
                    message=message,
                    hint="rename them `final: prev:` (`_final`/`_prev`/`_` when unused)",
                    severity=Severity.WARNING if rejected else None,  # a check failure, not a matter of style
                )


def _misnamed(expression, shape, site) -> tuple:
    if shape.kind != "overlay":
        return ()
    if shape.final in FIRST and shape.prev in SECOND:
        return ()
    message = f"overlay arguments `{shape.final}: {shape.prev}:` are not named `final: prev:`"
    rejected = site.where == "output" and shape.final not in FIRST
    if rejected:
        message += f"; `nix flake check` rejects the `overlays.{site.name}` output unless its first argument is `final`"
    node = shape.final_node if shape.final not in FIRST else shape.prev_node
    start, end = (node.start_byte, node.end_byte) if node is not None else (0, 0)
    return ((start, end, message, rejected),)
