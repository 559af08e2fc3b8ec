from flakelint.diagnostic import Severity
from flakelint.inputs import differences
from flakelint.rule import RepoRule

from . import at_lock, at_span, valid_lock

MAX_DEPTH = 16


def _follows_path(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split("/") if part)


def _shown_path(path: tuple) -> str:
    return "/".join(path) if path else '"" (the root flake)'


class StaleLockEntry(RepoRule):
    """flake.lock records an input that flake.nix no longer declares, or declares differently.

    ## What it does
    Compares the lock's root node with `flake.nix` and reports:

    - a root input in `flake.lock` that `flake.nix` no longer declares
      (neither in `inputs` nor as a formal of `outputs`), at its lock entry;
    - an input whose url no longer matches the `original` the lock recorded
      for it (type, owner, repo, host, url, path, registry id, ref, rev or
      dir), at the url;
    - a `follows` in `flake.nix` (`inputs.x.follows`,
      `inputs.x.inputs.y.follows`) that the lock does not record, or records
      with another target.

    The comparison is the one Nix makes, not a string comparison: GitHub
    owners and repositories are case-insensitive, `?ref=x` is the same as
    `/x`, `refs/heads/x` is `x`, a trailing `.git` or a query parameter Nix
    consumes does not matter. When `flake.nix` computes an input (or its
    url), nothing is said about it; no lock or an invalid one is left to
    FL101 and FL115.

    ## Why is this bad?
    The lock no longer describes `flake.nix`. Nix quietly re-locks on the
    next command, so the commit that changed the url does not say what it
    now builds, and CI with `--no-write-lock-file` fails.

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { nixpkgs, ... }: {
        formatter.x86_64-linux = nixpkgs.legacyPackages.x86_64-linux.nixfmt-rfc-style;
      };
    }
    # file: flake.lock
    {
      "nodes": {
        "nixpkgs": {
          "locked": { "lastModified": 1763000000, "narHash": "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "owner": "NixOS", "repo": "nixpkgs", "rev": "0123456789abcdef0123456789abcdef01234567", "type": "github" },
          "original": { "owner": "NixOS", "ref": "nixos-24.11", "repo": "nixpkgs", "type": "github" }
        },
        "root": { "inputs": { "nixpkgs": "nixpkgs" } }
      },
      "root": "root",
      "version": 7
    }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:nixos/nixpkgs?ref=nixos-25.05";
      outputs = { nixpkgs, ... }: {
        formatter.x86_64-linux = nixpkgs.legacyPackages.x86_64-linux.nixfmt-rfc-style;
      };
    }
    # file: flake.lock
    {
      "nodes": {
        "nixpkgs": {
          "locked": { "lastModified": 1763000000, "narHash": "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "owner": "NixOS", "repo": "nixpkgs", "rev": "0123456789abcdef0123456789abcdef01234567", "type": "github" },
          "original": { "owner": "NixOS", "ref": "nixos-25.05", "repo": "nixpkgs", "type": "github" }
        },
        "root": { "inputs": { "nixpkgs": "nixpkgs" } }
      },
      "root": "root",
      "version": 7
    }
    ```
    Run `nix flake lock` after changing inputs, and commit both files.
    """

    code = "FL103"
    name = "stale-lock-entry"
    severity = Severity.WARNING

    def check(self, repo):
        lock = valid_lock(repo)
        model = repo.inputs
        if lock is None or model is None:
            return
        root_inputs = lock.root_inputs
        # Extra root inputs: only when every input flake.nix could declare is known.
        if model.complete and model.outputs is not None and model.outputs.known:
            declared = model.names
            for name in root_inputs:
                if name not in declared:
                    yield at_lock(
                        self, repo, ("nodes", lock.root, "inputs", name),
                        f"flake.lock still locks input `{_clip(name)}`, which flake.nix no longer declares",
                        hint="run `nix flake lock` to drop it, and commit flake.lock",
                    )
        for name, decl in model.inputs.items():
            entry = root_inputs.get(name)
            if entry is None:
                continue  # FL102
            yield from self._compare(repo, lock, decl, entry, (name,), 0)

    def _compare(self, repo, lock, decl, entry, path: tuple, depth: int):
        where = ".inputs.".join(path)
        if decl.follows is not None and decl.url is None and not decl.attrs and not decl.url_computed:
            wanted = _follows_path(decl.follows)
            span = decl.follows_span or (decl.start, decl.end)
            if isinstance(entry, str):
                yield at_span(
                    self, repo, span,
                    f"`inputs.{where}` follows {_shown_path(wanted)} in flake.nix, but flake.lock locks it separately (node `{_clip(entry)}`)",
                    hint="run `nix flake lock` to record the follows, and commit flake.lock",
                )
            elif tuple(entry) != wanted:
                yield at_span(
                    self, repo, span,
                    f"`inputs.{where}` follows {_shown_path(wanted)} in flake.nix, but flake.lock has it follow {_shown_path(tuple(entry))}",
                    hint="run `nix flake lock` to record the follows, and commit flake.lock",
                )
            return
        if isinstance(entry, tuple):
            ref = decl.flakeref
            if decl.url is not None and ref is not None and ref.type is not None:
                yield at_span(
                    self, repo, decl.source_span,
                    f"input `{where}` has its own url in flake.nix, but flake.lock has it follow {_shown_path(entry)}",
                    hint="run `nix flake lock` to lock it, and commit flake.lock",
                )
            return
        node = lock.nodes.get(entry)
        if node is None:
            return
        if decl.has_source and decl.known:
            ref = decl.flakeref
            if ref is not None and ref.type is not None:
                found = differences(ref, node.original_ref)
                if found:
                    yield at_span(
                        self, repo, decl.source_span,
                        f"input `{where}` is `{_clip(ref.describe())}` in flake.nix, but flake.lock locked "
                        f"`{_clip(node.original_ref.describe())}` (the {', '.join(found)} differ{'s' if len(found) == 1 else ''})",
                        hint=f"run `nix flake lock` (or `nix flake update {path[0]}`), and commit flake.lock",
                    )
        if depth >= MAX_DEPTH:
            return
        for child_name, child in decl.inputs.items():
            child_entry = node.inputs.get(child_name)
            if child_entry is None:
                continue  # the dependency has no such input (Nix only warns)
            yield from self._compare(repo, lock, child, child_entry, path + (child_name,), depth + 1)


def _clip(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
