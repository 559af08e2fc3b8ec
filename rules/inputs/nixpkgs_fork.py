from flakelint.diagnostic import Severity
from flakelint.inputs import FORGES, repository
from flakelint.rule import Option, RepoRule

from . import at_span, input_location, locked_node, root_input_names


class NixpkgsFork(RepoRule):
    """A nixpkgs input that does not come from NixOS.

    ## What it does
    Reports a nixpkgs input whose owner is not `NixOS` (compared
    case-insensitively, as GitHub does): a fork such as
    `github:alice/nixpkgs/my-fix`. By default the nixpkgs inputs are the
    root inputs named `nixpkgs` and those whose repository is named
    `nixpkgs`, on a forge (GitHub, GitLab, sourcehut, or a git url on one);
    inputs such as `nixpkgs-wayland` or `nixpkgs-lib` are other projects and
    are not meant. Off unless selected (an informational check).

    ## Why is this bad?
    A fork gets security fixes only when its owner merges them, nothing of
    it is in the official binary cache, and every user of the flake trusts
    one more party with root on their machines. Usually a fork was meant
    for a short time (waiting for a pull request) and stayed.

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:alice/nixpkgs/fix-firefox";
      outputs = { nixpkgs, ... }: { };
    }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
      inputs.nixpkgs-wayland.url = "github:nix-community/nixpkgs-wayland";
      outputs = { nixpkgs, ... }: { };
    }
    ```
    If you need one change, apply the patch to NixOS/nixpkgs (or use an
    overlay) instead of following a whole fork.

    ## Options
    - `nixpkgs-inputs` (list of input names, default empty): the root inputs
      to check; empty means inputs named `nixpkgs` and inputs whose
      repository is named `nixpkgs`.
    """

    code = "FL110"
    name = "nixpkgs-fork"
    severity = Severity.INFO
    options = {
        "nixpkgs-inputs": Option(list, [], "root inputs that count as nixpkgs (empty: named nixpkgs, or repository nixpkgs)"),
    }

    def check(self, repo):
        model = repo.inputs
        configured = [str(n) for n in self.settings["nixpkgs-inputs"] or []]
        for name in root_input_names(repo):
            if configured and name not in configured:
                continue
            decl = model.inputs.get(name) if model is not None else None
            if decl is not None and (not decl.known or (decl.follows is not None and decl.url is None and not decl.attrs)):
                continue
            ref = decl.flakeref if decl is not None else None
            declared = ref is not None and ref.type is not None and not ref.is_indirect
            if not declared:
                node = locked_node(repo, name)
                if node is None:
                    continue
                ref = node.locked_ref
            identity = repository(ref)
            if identity is None or identity[0] not in FORGES or len(identity) < 5:
                continue
            _forge, host, owner, repository_name, _dir = identity
            if not configured and name != "nixpkgs" and repository_name != "nixpkgs":
                continue
            if owner == "nixos" and host in ("github.com", "codeload.github.com"):
                continue
            message = (
                f"nixpkgs input `{name}` comes from `{_forge}:{owner}/{repository_name}`, not NixOS/nixpkgs: "
                "a fork gets fixes only when its owner merges them, and is not in the official cache"
            )
            hint = "follow github:NixOS/nixpkgs and carry your change as a patch or overlay, or suppress this if the fork is deliberate"
            if declared and decl is not None:
                yield at_span(self, repo, decl.source_span, message, hint)
            else:
                found = input_location(self, repo, name, message, hint)
                if found is not None:
                    yield found
