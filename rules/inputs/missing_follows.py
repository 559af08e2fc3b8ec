from flakelint.diagnostic import Severity
from flakelint.inputs import FORGES, branch_of, repository
from flakelint.releases import parse_branch
from flakelint.rule import RepoRule

from . import input_location, valid_lock

MAX_DEPTH = 8


class MissingFollows(RepoRule):
    """An input that brings its own copy of an input the root already has.

    ## What it does
    Walks the lock from each root input and reports when a node below it
    (not one of the root's own inputs) locks the same repository as a root
    input: typically a second nixpkgs (`nixpkgs_2`) brought in by
    home-manager, or a second flake-utils or flake-parts. The finding is on
    the `flake.nix` declaration of the root input that brings the copy, and
    names the duplicated input and the `follows` that removes it.

    To be sure the root could make it follow, a copy only counts when it
    locks the same repository (forge, owner and name, case-insensitively;
    the same `dir`) as a root input that is a flake exactly when the copy is
    one, and neither pins an exact revision or version (a dependency that
    pins one commit asks for exactly that). When the root has several
    inputs of that repository, the one on the same branch track is named
    (development head — `master`, `nixos-unstable`, `nixpkgs-unstable`, no
    branch — or the same release); the message says so when the copy
    follows another branch than the input it should follow.
    Inputs the root itself declares twice on purpose (`nixpkgs` and
    `nixpkgs-unstable`) are never duplicates, and nothing is said when
    `flake.nix` already overrides that input (the lock is then stale:
    FL103).

    ## Why is this bad?
    Each copy is fetched, evaluated and (for nixpkgs) instantiated
    separately: more downloads, more memory, slower evaluation, and two
    package sets that drift apart — home-manager built against a different
    nixpkgs than your system, with version mismatch warnings or subtle
    breakage.

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";
      outputs = { nixpkgs, home-manager, ... }: { };
    }
    # file: flake.lock
    {
      "nodes": {
        "home-manager": {
          "inputs": { "nixpkgs": "nixpkgs" },
          "locked": { "lastModified": 1763000000, "narHash": "sha256-BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=", "owner": "nix-community", "repo": "home-manager", "rev": "1111111111111111111111111111111111111111", "type": "github" },
          "original": { "owner": "nix-community", "ref": "release-25.05", "repo": "home-manager", "type": "github" }
        },
        "nixpkgs": {
          "locked": { "lastModified": 1762000000, "narHash": "sha256-CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC=", "owner": "NixOS", "repo": "nixpkgs", "rev": "2222222222222222222222222222222222222222", "type": "github" },
          "original": { "owner": "NixOS", "ref": "nixos-25.05", "repo": "nixpkgs", "type": "github" }
        },
        "nixpkgs_2": {
          "locked": { "lastModified": 1763000000, "narHash": "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "owner": "NixOS", "repo": "nixpkgs", "rev": "0123456789abcdef0123456789abcdef01234567", "type": "github" },
          "original": { "owner": "NixOS", "ref": "nixos-25.05", "repo": "nixpkgs", "type": "github" }
        },
        "root": { "inputs": { "home-manager": "home-manager", "nixpkgs": "nixpkgs_2" } }
      },
      "root": "root",
      "version": 7
    }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      inputs.home-manager = {
        url = "github:nix-community/home-manager/release-25.05";
        inputs.nixpkgs.follows = "nixpkgs";
      };
      outputs = { nixpkgs, home-manager, ... }: { };
    }
    # file: flake.lock
    {
      "nodes": {
        "home-manager": {
          "inputs": { "nixpkgs": [ "nixpkgs" ] },
          "locked": { "lastModified": 1763000000, "narHash": "sha256-BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=", "owner": "nix-community", "repo": "home-manager", "rev": "1111111111111111111111111111111111111111", "type": "github" },
          "original": { "owner": "nix-community", "ref": "release-25.05", "repo": "home-manager", "type": "github" }
        },
        "nixpkgs": {
          "locked": { "lastModified": 1763000000, "narHash": "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "owner": "NixOS", "repo": "nixpkgs", "rev": "0123456789abcdef0123456789abcdef01234567", "type": "github" },
          "original": { "owner": "NixOS", "ref": "nixos-25.05", "repo": "nixpkgs", "type": "github" }
        },
        "root": { "inputs": { "home-manager": "home-manager", "nixpkgs": "nixpkgs" } }
      },
      "root": "root",
      "version": 7
    }
    ```
    """

    code = "FL106"
    name = "missing-follows"
    severity = Severity.WARNING

    def check(self, repo):
        lock = valid_lock(repo)
        if lock is None:
            return
        model = repo.inputs
        root_inputs = lock.root_inputs
        root_nodes: dict[str, str] = {}
        for name in root_inputs:
            target = lock.root_input_target(name)
            if target is not None and target != lock.root and target in lock.nodes:
                root_nodes[name] = target
        own = set(root_nodes.values())
        # Root inputs by the repository they lock: the follows targets a copy could use.
        by_repository: dict[tuple, list[str]] = {}
        for name, node_id in root_nodes.items():
            if isinstance(root_inputs[name], tuple):
                continue  # the input it follows is listed under its own name
            node = lock.nodes[node_id]
            identity = _identity(node)
            if identity is not None:
                by_repository.setdefault(identity + (node.flake,), []).append(name)
        order = list(model.inputs) if model is not None else []
        for carrier, node_id in root_nodes.items():
            if isinstance(root_inputs[carrier], tuple):
                continue  # it follows another root input, reported there
            decl = model.inputs.get(carrier) if model is not None else None
            if decl is not None and decl.computed:
                continue
            found: dict[str, list[tuple[tuple[str, ...], str]]] = {}
            queue = [(node_id, ())]
            seen = {node_id}
            while queue:
                current, path = queue.pop(0)
                for key, entry in sorted(lock.nodes[current].inputs.items()):
                    if not isinstance(entry, str) or entry in own:
                        continue  # a follows, or the root's own node: shared already
                    child = lock.nodes.get(entry)
                    if child is None:
                        continue
                    child_path = path + (key,)
                    identity = _identity(child)
                    targets = by_repository.get(identity + (child.flake,)) if identity is not None else None
                    if targets and not _pinned(child) and not _overridden(decl, child_path):
                        target = _choose(targets, child, key, lock, order)
                        if target is not None:
                            found.setdefault(target, []).append((child_path, entry))
                            continue  # its own inputs go away with it
                    if entry not in seen and len(child_path) < MAX_DEPTH:
                        seen.add(entry)
                        queue.append((entry, child_path))
            for target, copies in found.items():
                path, node = copies[0]
                follows = "".join(f".inputs.{part}" for part in path)
                more = f" (and {len(copies) - 1} more)" if len(copies) > 1 else ""
                branch = _branch_note(lock.nodes[node], lock.nodes[root_nodes[target]])
                diagnostic = input_location(
                    self, repo, carrier,
                    f"`{carrier}` brings its own copy of `{target}` (lock node `{_clip(node)}`{branch}){more} "
                    f"instead of following the root's: two copies to fetch, evaluate and keep in step",
                    hint=f'add `inputs.{carrier}{follows}.follows = "{target}";` and run `nix flake lock`',
                )
                if diagnostic is not None:
                    yield diagnostic


def _identity(node) -> tuple | None:
    identity = repository(node.locked_ref)
    if identity is None:
        identity = repository(node.original_ref)
    if identity is None or identity[0] == "url" and not identity[1]:
        return None
    return identity


def _pinned(node) -> bool:
    """The dependency asks for one exact version (a revision, a versioned tarball): following something else may break it."""
    original = node.original_ref
    if original.rev and not original.ref:
        return True
    if original.type in FORGES or original.type in ("git", "hg", "indirect"):
        return False
    return branch_of(original) is None


def _track(node) -> tuple:
    """What a node follows: the head of the default branch, one release, or a named ref.

    `nixos-unstable`, `nixpkgs-unstable`, `master`, `main` and no ref at all
    are the same track (development head); `nixos-25.05`, `release-25.05`
    and `nixpkgs-25.05-darwin` are release 25.05.
    """
    ref = node.original_ref
    name = branch_of(ref) if ref.type not in FORGES else ref.ref
    branch = parse_branch(name)
    if branch is None or branch.track == "unstable":
        return ("head",)
    if branch.track == "release":
        return ("release", branch.version)
    return ("ref", branch.name)


def _overridden(decl, path: tuple[str, ...]) -> bool:
    """Does flake.nix already override this input of an input (follows or url)?"""
    current = decl
    for part in path:
        if current is None:
            return False
        current = current.inputs.get(part)
    return current is not None and (current.follows is not None or current.has_source or current.computed)


def _choose(targets: list[str], child, key: str, lock, order: list[str]) -> str | None:
    """The root input the copy should follow; None when every candidate is pinned.

    A root input pinned to a revision is never a follows target. Among
    several, the one on the same track as the copy (both on the development
    head, or the same release), else the one named like the dependency's
    input (`nixpkgs`), else the first declared.
    """
    nodes = {t: lock.nodes[lock.root_input_target(t)] for t in targets}
    pool = [t for t in targets if not _pinned(nodes[t])]
    if not pool:
        return None
    track = _track(child)
    same = [t for t in pool if _track(nodes[t]) == track]
    if len(same) == 1:
        return same[0]
    pool = same or pool
    if key in pool:
        return key
    return sorted(pool, key=lambda t: (order.index(t) if t in order else len(order), t))[0]


def _branch_note(copy, root) -> str:
    """`, on nixos-24.11` when the copy follows another branch than the root's input."""
    if _track(copy) == _track(root):
        return ""
    ref = copy.original_ref
    name = branch_of(ref) if ref.type not in FORGES else ref.ref
    return f", on `{_clip(name)}`" if name else ", on its default branch"


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
