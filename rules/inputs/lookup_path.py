import re

from flakelint import nixast
from flakelint.diagnostic import Severity
from flakelint.rule import RepoRule

from . import evaluated_files, exempt


class LookupPath(RepoRule):
    """A `<nixpkgs>`-style lookup path in a file the flake evaluates.

    ## What it does
    Reports `<nixpkgs>`, `<home-manager/nixos>` and every other `<…>`
    search path in the files the flake evaluates: `flake.nix` and what it
    reaches through the import graph. A legacy `shell.nix` or `default.nix`
    that `flake.nix` never reaches is not evaluated by the flake and is
    exempt, as is the default value of a function argument
    (`{ pkgs ? import <nixpkgs> { } }:`, only used when the caller omits it)
    and option documentation (`example`, `literalExpression`).

    ## Why is this bad?
    A lookup path is resolved through `NIX_PATH`, which flakes ignore: in
    pure evaluation (the default for flakes) it fails with "cannot look up
    '<nixpkgs>' in pure evaluation mode", and with `--impure` it silently
    uses whatever channel the machine has instead of the locked input.

    ## Example
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      outputs = { nixpkgs, ... }: {
        nixosConfigurations.laptop = nixpkgs.lib.nixosSystem {
          modules = [ ./configuration.nix ];
        };
      };
    }
    # file: configuration.nix
    { ... }:
    {
      imports = [ <home-manager/nixos> ];
    }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
      inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";
      outputs = { nixpkgs, home-manager, ... }: {
        nixosConfigurations.laptop = nixpkgs.lib.nixosSystem {
          modules = [ ./configuration.nix home-manager.nixosModules.home-manager ];
        };
      };
    }
    # file: configuration.nix
    { ... }:
    {
      home-manager.useGlobalPkgs = true;
    }
    # file: shell.nix
    { pkgs ? import <nixpkgs> { } }:
    pkgs.mkShell { }
    ```
    """

    code = "FL113"
    shared = (evaluated_files,)  # run with the rules that share it (Rule.shared)
    name = "lookup-path"
    severity = Severity.ERROR

    def summarize(self, source):
        """One file's lookup paths that would be evaluated as written: (start, end, message, hint).

        Computed where the file was parsed (a worker), so that the check
        needs no tree: whether a path is exempt depends on the file alone.
        """
        if _LOOKUP_PATH.search(source.data) is None:
            return []  # no `<name>` token anywhere: skip the query
        found = []
        for node in _lookup_paths(source):
            if exempt(source, node):
                continue
            text = source.text(node)
            name = text.strip("<>").split("/", 1)[0]
            hint = (
                "use the flake input instead (`inputs.nixpkgs`, or `pkgs.path` for nixpkgs' own tree)"
                if name == "nixpkgs"
                else f"add `{name}` as a flake input and use `inputs.{name}` instead"
            )
            message = f"`{text}` is looked up in NIX_PATH: it fails in pure flake evaluation, and with --impure it is whatever the machine has"
            found.append((node.start_byte, node.end_byte, message, hint))
        return found

    def check(self, repo):
        for path in evaluated_files(repo):
            findings = repo.summary(self, path)
            if findings:
                source = repo.sources[path]
                for start, end, message, hint in findings:
                    yield self.diagnostic(source, start=start, end=end, message=message, hint=hint)


#: A lookup path token as the grammar reads it (``<nixpkgs>``, ``<nixpkgs/lib>``):
#: a file without one has no ``spath_expression``.
_LOOKUP_PATH = re.compile(rb"<[A-Za-z0-9._+-]+(?:/[A-Za-z0-9._+-]+)*>")


def _lookup_paths(source) -> list:
    """The file's ``spath_expression`` nodes, in file order.

    Each is one token that :data:`_LOOKUP_PATH` matches from its start, and
    no match holds another's ``<``, so in a tree without errors the token at
    each match's start is all there is to look at: a descent in C per
    ``<…>`` of the text (most are in comments and strings) instead of a
    query over the whole tree (which cost home-manager's ``<…>`` files
    about 0.3 ms each). A tree with errors is queried, as before.
    """
    root = source.root_node
    if root.has_error:
        nodes = nixast.captures("(spath_expression) @path", root).get("path", [])
        return sorted(nodes, key=lambda n: n.start_byte)
    found = []
    for match in _LOOKUP_PATH.finditer(source.data):
        start = match.start()
        node = root.descendant_for_byte_range(start, start + 1)
        if node is not None and node.type == "spath_expression" and node.start_byte == start:
            found.append(node)
    return found
