from flakelint import nixast
from flakelint.facts import PATHS_QUERY
from flakelint.diagnostic import Severity
from flakelint.rule import RepoRule

from . import evaluated_files, exempt

IMPURE = {
    "builtins.getEnv": "reads an environment variable of whoever evaluates; in pure flake evaluation it always returns an empty string",
    "builtins.currentSystem": "is the system of the machine that evaluates; pure flake evaluation does not have it",
    "builtins.currentTime": "changes on every evaluation; pure flake evaluation does not have it",
    "builtins.storePath": "depends on what is in the local store; pure flake evaluation does not have it",
}
IMPURE_NAMES = tuple(name.rsplit(".", 1)[1].encode() for name in IMPURE)
IMPURE_SELECT_QUERY = (
    "(select_expression attrpath: (attrpath attr: (identifier) @attr"
    ' (#any-of? @attr "getEnv" "currentSystem" "currentTime" "storePath")))'
)
HINTS = {
    "builtins.getEnv": "pass the value in explicitly (a flake input, an option, a file in the repository)",
    "builtins.currentSystem": "take `system` as an argument (`forAllSystems`, `pkgs.stdenv.hostPlatform.system`)",
    "builtins.currentTime": "use `self.lastModified` (the commit time) if you need a timestamp",
    "builtins.storePath": "make the store path a flake input or a derivation instead",
}


class ImpureBuiltin(RepoRule):
    """An impure builtin or an absolute path in a file the flake evaluates.

    ## What it does
    In the files the flake evaluates (`flake.nix` and what it reaches
    through the import graph), reports:

    - `builtins.getEnv`, `builtins.currentSystem`, `builtins.currentTime`,
      `builtins.storePath` (but not `builtins.currentSystem or "x86_64-linux"`,
      which is pure with its fallback, nor `builtins ? currentSystem`);
    - absolute path literals (`/etc/nixos/hardware-configuration.nix`) and
      home paths (`~/secrets.nix`), which point outside the flake.

    A legacy `shell.nix`/`default.nix` that `flake.nix` never reaches is
    exempt, and so are the default values of function arguments
    (`{ system ? builtins.currentSystem }:`), option documentation, and code
    behind a purity check (`if builtins ? currentSystem then … else …`).
    `self + /modules/x.nix` is a path inside the flake, not an absolute one,
    and so is `/modules/x.nix` when the flake has `modules/x.nix` (a helper
    appends it to `self`); `/${pkgs.path}/…` is a store path.

    ## Why is this bad?
    Flakes evaluate purely: these builtins are missing or return empty
    values there (`getEnv` gives `""`), and absolute paths are refused with
    "access to absolute path … is forbidden in pure evaluation mode". With
    `--impure` they work, but the result depends on the machine and the
    moment, which is what the lock was meant to rule out.

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { nixpkgs, ... }: {
        nixosConfigurations.laptop = nixpkgs.lib.nixosSystem {
          system = builtins.currentSystem;
          modules = [ /etc/nixos/hardware-configuration.nix ];
        };
      };
    }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { nixpkgs, ... }: {
        nixosConfigurations.laptop = nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          modules = [ ./hardware-configuration.nix ];
        };
      };
    }
    # file: hardware-configuration.nix
    { ... }: { }
    # file: default.nix
    { system ? builtins.currentSystem }:
    (builtins.getFlake (toString ./.)).packages.${system}
    ```
    """

    code = "FL114"
    shared = (evaluated_files,)  # run with the rules that share it (Rule.shared)
    name = "impure-builtin"
    severity = Severity.ERROR

    def summarize(self, source):
        """Candidate findings of one file, in report order: (kind, start, end, text).

        Everything but the repository question (does ``/x`` name a file of
        the flake?) is decided here, per file, so that this runs where the
        file was parsed (a worker process on a large repository).
        """
        data = source.data
        found = {"path": source.captures(PATHS_QUERY).get("path", [])}
        if b"~/" in data:
            found["home"] = _home_paths(source)
        # Only selects ending in an impure builtin's name: a byte test, then
        # a query that matches on that name in C (no walk over every select).
        # Every name in IMPURE starts with `builtins` (a variable, its text).
        if b"builtins" in data and any(name in data for name in IMPURE_NAMES):
            found["select"] = [
                node.parent.parent
                for node in nixast.captures(IMPURE_SELECT_QUERY, source.root_node).get("attr", [])
                if node.parent is not None and node.parent.parent is not None
            ]
        candidates = []
        for node in found.get("select", []):
            if node.child_by_field_name("default") is not None:
                continue
            dotted = nixast.dotted_name(data, node)
            if dotted not in IMPURE or exempt(source, node):
                continue
            candidates.append(("select", node.start_byte, node.end_byte, dotted))
        for node in found.get("path", []):
            if data[node.start_byte : node.start_byte + 1] != b"/":
                continue  # not absolute (most paths): no need to decode it
            text = source.text(node)
            if not text.startswith("/") or text in ("/.", "/") or text.startswith(("/nix/store/", "/${")):
                continue
            if _is_suffix(node) or exempt(source, node):
                continue
            candidates.append(("path", node.start_byte, node.end_byte, text))
        for node in found.get("home", []):
            if exempt(source, node):
                continue
            candidates.append(("home", node.start_byte, node.end_byte, source.text(node)))
        return candidates

    def check(self, repo):
        for path in evaluated_files(repo):
            found = repo.summary(self, path)
            if not found:
                continue  # most files: no source object made for them here
            source = repo.sources[path]
            for kind, start, end, text in found:
                if kind == "select":
                    yield self.diagnostic(
                        source, start=start, end=end,
                        message=f"`{text}` is impure: it {IMPURE[text]}",
                        hint=HINTS[text],
                    )
                elif kind == "path":
                    if _names_repository_path(repo, text):
                        continue
                    yield self.diagnostic(
                        source, start=start, end=end,
                        message=f"`{text}` is an absolute path outside the flake: it differs between machines, and pure evaluation refuses to read it",
                        hint="put the file in the repository and refer to it with a relative path",
                    )
                else:
                    yield self.diagnostic(
                        source, start=start, end=end,
                        message=f"`{text}` is a path in the home directory of whoever evaluates: pure evaluation refuses it",
                        hint="put the file in the repository and refer to it with a relative path",
                    )


def _home_paths(source) -> list:
    """The ``~/…`` paths of a file, in file order.

    Each begins with a ``~/…`` fragment, so the smallest node over a ``~/``
    of the text is that fragment (or the path itself) when the ``~/`` starts
    a path: a look at the few places the text says ``~/`` instead of a query
    over the whole tree (``~/`` is common in comments and strings).
    """
    data = source.data
    root = source.root_node
    found = {}
    at = data.find(b"~/")
    while at != -1:
        node = root.descendant_for_byte_range(at, at + 2)
        for _ in range(2):
            if node is None:
                break
            if node.type == "hpath_expression":
                found.setdefault((node.start_byte, node.end_byte), node)
                break
            node = node.parent
        at = data.find(b"~/", at + 1)
    return [found[key] for key in sorted(found)]


def _names_repository_path(repo, text: str) -> bool:
    """`/modules/x` when the flake has `modules/x`: a root-relative path a helper appends to `self`."""
    relative = text.strip("/")
    if not relative or "${" in relative:
        return False
    if relative in repo.flake.files:
        return True
    prefix = relative + "/"
    return any(f.startswith(prefix) for f in repo.flake.files)


def _is_suffix(node) -> bool:
    """``self + /modules/x.nix`` / ``./. + /x``: the absolute-looking path is appended to another."""
    expression = nixast.outer(node)
    parent = expression.parent
    if parent is None or parent.type != "binary_expression" or parent.child_by_field_name("right") != expression:
        return False
    operator = parent.child_by_field_name("operator")
    return operator is not None and operator.type == "+"
