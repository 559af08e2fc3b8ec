from flakelint.diagnostic import Severity
from flakelint.inputs import FORGES, branch_of, repository
from flakelint.releases import parse_branch
from flakelint.rule import RepoRule

from . import at_span, input_location, locked_node, nixpkgs_inputs, root_input_names, valid_lock

#: Repositories whose branches are cut per NixOS release, by repository name.
COMPANIONS = {"home-manager": "release-{version}", "nix-darwin": "nix-darwin-{version}"}


def _reference(repo, name):
    """(reference, declared?) of root input `name`: the url in flake.nix, else the lock's original."""
    model = repo.inputs
    decl = model.inputs.get(name) if model is not None else None
    if decl is not None:
        if not decl.known:
            return None, True
        ref = decl.flakeref
        if ref is not None and ref.type is not None and not (ref.is_indirect and not ref.ref):
            return ref, True
    node = locked_node(repo, name)
    if node is not None:
        return node.original_ref, False
    return None, False


def _track(ref):
    """("unstable",) / ("release", "24.05") for the branch a reference follows; None when unknown."""
    if ref is None or ref.type is None:
        return None
    if ref.rev and not ref.ref:
        return None  # pinned to a commit: no branch
    name = branch_of(ref)
    if name is None:
        if ref.type in FORGES or ref.type == "git":
            return ("unstable", "the default branch")  # master
        return None
    branch = parse_branch(name)
    if branch.track == "unstable":
        return ("unstable", name)
    if branch.track == "release":
        return ("release", branch.version, name)
    return None


class ReleaseMismatch(RepoRule):
    """home-manager or nix-darwin on a different release than nixpkgs.

    ## What it does
    Compares the branch of a release-branched companion input with the
    branch of the nixpkgs it is used with:

    - home-manager `release-YY.MM`, nix-darwin `nix-darwin-YY.MM` (the
      repository name decides, so forks count) against nixpkgs
      `nixos-XX.MM`, `nixos-XX.MM-small`, `nixpkgs-XX.MM-darwin` or
      `release-XX.MM`: reported when YY.MM differs from XX.MM;
    - a release branch paired with an unstable nixpkgs (`nixos-unstable`,
      `nixos-unstable-small`, `nixpkgs-unstable`, `master`, no branch), or
      the companion's `master` (or no branch) with a nixpkgs release.

    The nixpkgs is the root input the companion follows
    (`inputs.home-manager.inputs.nixpkgs.follows = "nixpkgs-stable"`), or the
    only nixpkgs of the flake when it follows none. Branches come from the
    urls in `flake.nix`, or from the lock when `flake.nix` does not say
    (FlakeHub versions such as `0.2505.*` count as `nixos-25.05`). Inputs
    pinned to a revision, and flakes with several nixpkgs where the pairing
    is not stated, are not judged.

    ## Why is this bad?
    home-manager and nix-darwin releases are made for one NixOS release;
    master is made for unstable. Mixed, options they set no longer exist (or
    do not exist yet) in nixpkgs, and evaluation fails or home-manager warns
    "You are using Home Manager version X and Nixpkgs version Y" on every
    switch.

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      inputs.home-manager.url = "github:nix-community/home-manager/release-24.11";
      inputs.home-manager.inputs.nixpkgs.follows = "nixpkgs";
      outputs = { nixpkgs, home-manager, ... }: { };
    }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      inputs.nixpkgs-unstable.url = "github:NixOS/nixpkgs/nixos-unstable";
      inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";
      inputs.home-manager.inputs.nixpkgs.follows = "nixpkgs";
      inputs.home-manager-unstable = {
        url = "github:nix-community/home-manager";
        inputs.nixpkgs.follows = "nixpkgs-unstable";
      };
      outputs = { nixpkgs, home-manager, ... }: { };
    }
    ```
    """

    code = "FL107"
    name = "release-mismatch"
    severity = Severity.WARNING

    def check(self, repo):
        model = repo.inputs
        if model is None:
            return
        nixpkgs = [name for name, _, _ in nixpkgs_inputs(repo)]
        for name in root_input_names(repo):
            ref, declared = _reference(repo, name)
            if ref is None:
                continue
            identity = repository(ref)
            if identity is None and not declared:
                continue
            if identity is None:
                node = locked_node(repo, name)
                identity = repository(node.locked_ref) if node is not None else None
            if identity is None or len(identity) < 5 or identity[3] not in COMPANIONS:
                continue
            companion = identity[3]
            mine = _track(ref)
            if mine is None:
                continue
            partner = self._partner(repo, name, nixpkgs)
            if partner is None:
                continue
            theirs = _track(_reference(repo, partner)[0])
            if theirs is None:
                continue
            problem = _mismatch(mine, theirs)
            if problem is None:
                continue
            wanted = (
                COMPANIONS[companion].format(version=theirs[1]) if theirs[0] == "release" else "master (its default branch)"
            )
            message = (
                f"`{name}` ({companion}) follows {_describe(mine)} but nixpkgs `{partner}` is on {_describe(theirs)}: {problem}"
            )
            hint = f"use {companion} {wanted}, or move `{partner}` to the matching nixpkgs branch"
            decl = model.inputs.get(name)
            if declared and decl is not None:
                yield at_span(self, repo, decl.source_span, message, hint)
            else:
                found = input_location(self, repo, name, message, hint)
                if found is not None:
                    yield found

    @staticmethod
    def _partner(repo, name: str, nixpkgs: list[str]) -> str | None:
        """The root nixpkgs input the companion is used with."""
        model = repo.inputs
        decl = model.inputs.get(name) if model is not None else None
        child = decl.inputs.get("nixpkgs") if decl is not None else None
        if child is not None and child.follows:
            target = child.follows.split("/", 1)[0]
            return target if target in nixpkgs else None
        if child is not None and (child.has_source or child.computed):
            return None
        lock = valid_lock(repo)
        if lock is not None:
            target = lock.root_input_target(name)
            node = lock.nodes.get(target) if target else None
            entry = node.inputs.get("nixpkgs") if node is not None else None
            if isinstance(entry, tuple) and len(entry) == 1:
                return entry[0] if entry[0] in nixpkgs else None
        return nixpkgs[0] if len(nixpkgs) == 1 else None


def _mismatch(mine, theirs) -> str | None:
    if mine[0] == "release" and theirs[0] == "release":
        if mine[1] != theirs[1]:
            return f"release {mine[1]} is made for nixpkgs {mine[1]}, not {theirs[1]}"
        return None
    if mine[0] == "release" and theirs[0] == "unstable":
        return f"release {mine[1]} is made for nixpkgs {mine[1]}, not for unstable"
    if mine[0] == "unstable" and theirs[0] == "release":
        return f"its development branch is made for nixpkgs unstable, not release {theirs[1]}"
    return None


def _describe(track) -> str:
    if track[0] == "release":
        return f"`{track[2]}`"
    return "the default branch (unstable)" if track[1] == "the default branch" else f"`{track[1]}`"
