from flakelint.diagnostic import Severity
from flakelint.rule import RepoRule

from . import at_span

#: The url an input usually means when it names a well-known registry entry (for hints).
KNOWN_IDS = {
    "nixpkgs": "github:NixOS/nixpkgs",
    "home-manager": "github:nix-community/home-manager",
    "nix-darwin": "github:nix-darwin/nix-darwin",
    "flake-utils": "github:numtide/flake-utils",
    "flake-parts": "github:hercules-ci/flake-parts",
    "nixos-hardware": "github:NixOS/nixos-hardware",
    "disko": "github:nix-community/disko",
    "nur": "github:nix-community/NUR",
}


def _suggestion(ref_id: str | None, ref: str | None = None) -> str:
    base = KNOWN_IDS.get(ref_id or "")
    if base is None:
        return "write the full url of the input (for example `github:owner/repo`)"
    if ref_id == "nixpkgs" and not ref:
        ref = "nixos-unstable"
    return f"write the full url, e.g. `{base}{'/' + ref if ref else ''}`"


class IndirectInput(RepoRule):
    """An input resolved through the flake registry instead of a url.

    ## What it does
    Reports inputs that Nix looks up in the flake registry: a url with no
    scheme (`"nixpkgs"`, `"nixpkgs/nixos-24.05"`), a `flake:` url, a
    reference set with `type = "indirect"`, an input declared with no url at
    all (`inputs.foo.inputs.bar.follows = …` alone), and a formal of
    `outputs` other than `self` that `inputs` does not declare (Nix adds it
    as `flake:<name>`).

    ## Why is this bad?
    The registry differs between machines (`nix registry add`, NixOS's
    `nix.registry`, the global registry that changes upstream), so the same
    `flake.nix` means different sources on your laptop, in CI and for a
    contributor; `nix flake update` may even switch repositories. The lock
    pins one resolution, but the moment it is updated the answer depends on
    whoever ran the update.

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "nixpkgs/nixos-25.05";
      outputs = { self, nixpkgs, flake-utils }: {
        formatter.x86_64-linux = nixpkgs.legacyPackages.x86_64-linux.nixfmt-rfc-style;
      };
    }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      inputs.flake-utils.url = "github:numtide/flake-utils";
      outputs = { self, nixpkgs, flake-utils }: {
        formatter.x86_64-linux = nixpkgs.legacyPackages.x86_64-linux.nixfmt-rfc-style;
      };
    }
    ```
    """

    code = "FL104"
    name = "indirect-input"
    severity = Severity.WARNING

    def check(self, repo):
        model = repo.inputs
        if model is None:
            return
        for name, decl in model.inputs.items():
            if decl.url_computed or (decl.follows is not None and decl.url is None and not decl.attrs):
                continue
            if decl.computed:
                continue
            ref = decl.flakeref
            if ref is None or not ref.is_indirect:
                continue
            if decl.url is not None:
                yield at_span(
                    self, repo, decl.source_span,
                    f"input `{name}` is `{decl.url}`, a flake registry name: what it means depends on each machine's registry",
                    hint=_suggestion(ref.id, ref.ref),
                )
            elif decl.attrs:
                yield at_span(
                    self, repo, decl.source_span,
                    f"input `{name}` has `type = \"indirect\"`: it is resolved through each machine's flake registry",
                    hint=_suggestion(ref.id, ref.ref),
                )
            else:
                yield at_span(
                    self, repo, (decl.start, decl.end),
                    f"input `{name}` has no url, so Nix looks `{name}` up in the flake registry",
                    hint=f"give it a url: {_suggestion(name)}",
                )
        outputs = model.outputs
        if outputs is None or not model.complete:
            return
        for formal in model.implicit:
            yield at_span(
                self, repo, (formal.start, formal.end),
                f"`{formal.name}` is a formal of outputs but not declared in inputs, so Nix resolves it through the flake registry",
                hint=f"declare `inputs.{formal.name}.url`: {_suggestion(formal.name)}",
            )
