from __future__ import annotations

from flakelint.diagnostic import Severity
from flakelint.rule import RepoRule

from . import overlay_layout, overlay_summaries, summarize_overlays

WHAT = {
    "attrset": "an attribute set",
    "one-arg": "a function of one argument",
    "formals": "a function taking an attribute set (`{ ... }:`)",
}
WHERE = {
    "nixpkgs.overlays": "in `nixpkgs.overlays`",
    "import-nixpkgs": "in the `overlays` of `import nixpkgs`",
    "compose": "composed with `composeManyExtensions`/`composeExtensions`",
    "output": "exported as a flake overlay",
    "file": "in the overlays directory",
}


class OverlayNotFunction(RepoRule):
    """An overlay that is not a two-argument function `final: prev: { … }`.

    ## What it does
    Finds every overlay flakelint can see — the items of `nixpkgs.overlays`,
    the `overlays` list of `import nixpkgs { … }`, the arguments of
    `lib.composeManyExtensions`/`composeExtensions`, the `overlays.<name>`
    (and deprecated `overlay`) outputs of `flake.nix`, and the files of an
    `overlays` directory — and reports one that is an attribute set, a
    function of one argument (`final: { … }`), or a function taking an
    attribute set (`{ pkgs, ... }: { … }`).

    A file in an overlays directory may hold an attribute set *of* overlays
    (`{ default = final: prev: …; extra = final: prev: …; }`), or either
    form behind a function of the file's own arguments (snowfall-lib's
    `{ channels, inputs, ... }: final: prev: { … }`, or
    `{ inputs, ... }: { additions = final: prev: …; }`): each overlay in it
    is checked, the wrapper is not. Overlays named through a `let` binding
    of the same file are followed; anything computed (`import ./x`, a
    function call) is not checked.

    ## Why is this bad?
    nixpkgs calls every overlay as `overlay final prev` and merges the
    attribute set it returns. Anything else fails with "attempt to call
    something which is not a function but a set" or "value is a function
    while a set was expected", deep inside nixpkgs' fixpoint.

    ## Example
    ```nix
    { ... }:
    {
      nixpkgs.overlays = [
        (final: {
          hello-wrapped = final.callPackage ./hello-wrapped.nix { };
        })
      ];
    }
    ```

    ## Use instead
    ```nix
    { ... }:
    {
      nixpkgs.overlays = [
        (final: prev: {
          hello-wrapped = final.callPackage ./hello-wrapped.nix { };
        })
      ];
    }
    ```
    """

    code = "FL401"
    shared = (overlay_layout,)  # run with the rules that share it (Rule.shared)
    name = "overlay-not-function"
    severity = Severity.ERROR

    def summarize(self, source):
        """One file's overlays that are not functions: (start, end, where, kind), computed where the file was parsed."""
        return summarize_overlays(source, _not_function)

    def check(self, repo):
        for source, findings in overlay_summaries(self, repo):
            for start, end, where, kind in findings:
                yield self.diagnostic(
                    source,
                    start=start,
                    end=end,
                    message=f"this overlay ({WHERE[where]}) is {WHAT[kind]}, not a function `final: prev: {{ … }}`: "
                    "nixpkgs calls it with two arguments",
                    hint="write it as `final: prev: { … }`",
                )


def _not_function(expression, shape, site) -> tuple:
    if shape.kind not in WHAT:
        return ()
    if shape.kind == "attrset" and not site.strict and site.node == expression:
        return ()  # a file's attribute set of overlays
    return ((expression.start_byte, expression.end_byte, site.where, shape.kind),)
