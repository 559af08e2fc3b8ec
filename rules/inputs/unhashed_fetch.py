from flakelint import nixast
from flakelint.diagnostic import Severity
from flakelint.inputs import parse_flakeref
from flakelint.rule import RepoRule

from . import evaluated_files, exempt

FETCHERS = {
    "builtins.fetchTarball": "tarball",
    "builtins.fetchurl": "url",
    "builtins.fetchGit": "git",
    "builtins.fetchTree": "tree",
    "fetchTarball": "tarball",
    "fetchGit": "git",
}
HASHES = {"sha256", "hash", "narHash"}


class UnhashedFetch(RepoRule):
    """A builtin fetcher called without a hash (or, for git, a revision).

    ## What it does
    In the files the flake evaluates, reports `builtins.fetchTarball`,
    `builtins.fetchurl`, `builtins.fetchGit`, `builtins.fetchTree` (and
    `fetchTarball`/`fetchGit` without the `builtins.` prefix) called with
    only a url, or with a set that has no `sha256`, `hash` or `narHash` —
    for `fetchGit` and `fetchTree`, no `rev` either. Arguments flakelint
    cannot see into (a variable, a merged set) are not judged, and a file
    that defines its own `fetchTarball`/`fetchGit` is left alone. A legacy
    `shell.nix`/`default.nix` that `flake.nix` never reaches is exempt, as
    are defaults of function arguments.

    ## Why is this bad?
    Without a hash the fetch is not pinned: it downloads whatever the url
    serves today, so two evaluations can differ, and flakes refuse it in
    pure evaluation ("in pure evaluation mode, 'fetchTarball' requires a
    'sha256' argument"). A flake input is locked in `flake.lock` instead.

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { nixpkgs, ... }: {
        overlays.default = import (builtins.fetchTarball "https://github.com/nix-community/emacs-overlay/archive/master.tar.gz");
      };
    }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      inputs.emacs-overlay.url = "github:nix-community/emacs-overlay";
      outputs = { nixpkgs, emacs-overlay, ... }: {
        overlays.default = emacs-overlay.overlays.default;
        overlays.pinned = import (builtins.fetchTarball {
          url = "https://github.com/nix-community/emacs-overlay/archive/0123456789abcdef0123456789abcdef01234567.tar.gz";
          sha256 = "0000000000000000000000000000000000000000000000000000";
        });
      };
    }
    ```
    """

    code = "FL112"
    shared = (evaluated_files,)  # run with the rules that share it (Rule.shared)
    name = "unhashed-fetch"
    severity = Severity.ERROR

    def summarize(self, source):
        """The unpinned fetches of one file: (start, end, message, hint), in file order."""
        data = source.data
        if not _may_fetch(data):
            return []
        found_here = []
        shadowed = _defined_here(source)
        found = nixast.captures("(apply_expression function: [(variable_expression) (select_expression)] @function) @apply", source.root_node)
        for node in found.get("apply", []):
            function = node.child_by_field_name("function")
            dotted = nixast.dotted_name(data, function)
            kind = FETCHERS.get(dotted or "")
            if kind is None or ("." not in dotted and dotted in shadowed):
                continue
            argument = nixast.unwrap(node.child_by_field_name("argument"))
            problem = _problem(data, kind, argument)
            if problem is None or exempt(source, node):
                continue
            name = dotted if dotted.startswith("builtins.") else dotted
            found_here.append((
                node.start_byte,
                node.end_byte,
                f"`{name}` {problem}: the download is not pinned, and pure flake evaluation refuses it",
                _hint(kind),
            ))
        return found_here

    def check(self, repo):
        for path in evaluated_files(repo):
            findings = repo.summary(self, path)
            if findings:
                source = repo.sources[path]
                for start, end, message, hint in findings:
                    yield self.diagnostic(source, start=start, end=end, message=message, hint=hint)


def _may_fetch(data: bytes) -> bool:
    """Can a call of one of :data:`FETCHERS` be in this text?

    ``fetchurl`` and ``fetchTree`` count only as ``builtins.…`` (the name of
    a variable is its text): a file that never says ``builtins`` and only
    calls nixpkgs' ``pkgs.fetchurl`` has nothing to report.
    """
    if b"fetch" not in data:
        return False  # most files: one search instead of four
    if b"fetchTarball" in data or b"fetchGit" in data:
        return True
    return b"builtins" in data and (b"fetchurl" in data or b"fetchTree" in data)


def _problem(data, kind: str, argument) -> str | None:
    if argument is None:
        return None
    if argument.type in ("string_expression", "indented_string_expression"):
        if kind == "tree":
            value = nixast.string_value(data, argument)
            if value is None:
                return None  # an interpolated reference: cannot tell
            ref = parse_flakeref(value)
            if ref.rev or "narHash=" in value or "rev=" in value:
                return None
            return "gets only a url, with no revision or narHash"
        if kind == "git":
            return "gets only a url, with no `rev`"
        return "gets only a url, with no `sha256`"
    if argument.type not in ("attrset_expression", "rec_attrset_expression"):
        return None
    names = nixast.attrset_names(data, argument)
    if names is None:
        return None
    if names & HASHES:
        return None
    if kind in ("git", "tree") and "rev" in names:
        return None
    if kind == "git":
        return "has no `rev` (nor `narHash`)"
    if kind == "tree":
        return "has no `rev` or `narHash`"
    return "has no `sha256` (or `hash`)"


def _hint(kind: str) -> str:
    if kind == "git":
        return "add `rev = \"<commit>\";`, or better, make it a flake input"
    if kind == "tree":
        return "add `rev` or `narHash`, or better, make it a flake input"
    return "add `sha256 = \"…\";` (nix-prefetch-url tells you the hash), or better, make it a flake input"


def _defined_here(source) -> set[str]:
    """fetchTarball/fetchGit bound by this file (a let binding or a formal): not the builtins."""
    data = source.data
    names = set()
    found = nixast.captures(
        "(binding attrpath: (attrpath . (identifier) @name)) (formal name: (identifier) @name) (function_expression universal: (identifier) @name)",
        source.root_node,
    )
    for node in found.get("name", []):
        text = nixast.node_text(data, node)
        if text in ("fetchTarball", "fetchGit"):
            names.add(text)
    return names
