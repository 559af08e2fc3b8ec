from __future__ import annotations

from flakelint import nixast
from flakelint.diagnostic import Severity
from flakelint.rule import FileRule

MAX_STEPS = 256


def wide_scope(data: bytes, environment) -> str | None:
    """``pkgs``, ``lib`` or a ``….lib`` (``pkgs.lib``, ``nixpkgs.lib``) as written; None for anything else."""
    dotted = nixast.dotted_name(data, environment)
    if dotted is None:
        return None
    if dotted in ("pkgs", "lib") or dotted.endswith(".lib"):
        return dotted
    return None


class TopLevelWith(FileRule):
    """`with pkgs;` or `with lib;` around a whole file or module body.

    ## What it does
    Reports a `with pkgs;` or `with lib;` (also `with pkgs.lib;`,
    `with nixpkgs.lib;`) whose body is the whole file: the file's
    expression itself, or the body of the module's function (through `let …
    in`). A file whose whole body is a list (`with pkgs; [ git curl ]`, a
    package list) is fine, as is any `with` deeper inside an expression
    (`environment.systemPackages = with pkgs; [ … ];`).

    ## Why is this bad?
    Every free name in the file may then come from `pkgs` (tens of
    thousands of attributes) or `lib`: a typo or a missing argument is no
    longer an error a tool can see, names shadow each other silently
    (`with pkgs;` brings a `lib`, a `config`, a `system`), and a reader
    cannot tell where a name comes from. Scope `with` to the one list that
    needs it, or bring names in explicitly with `inherit (lib) …;`.

    ## Example
    ```nix
    { config, lib, pkgs, ... }:
    with lib;
    {
      options.my.enable = mkEnableOption "my service";
      config = mkIf config.my.enable {
        environment.systemPackages = [ pkgs.git ];
      };
    }
    ```

    ## Use instead
    ```nix
    { config, lib, pkgs, ... }:
    let
      inherit (lib) mkEnableOption mkIf;
    in
    {
      options.my.enable = mkEnableOption "my service";
      config = mkIf config.my.enable {
        environment.systemPackages = with pkgs; [ git ];
      };
    }
    ```
    """

    code = "FL506"
    name = "top-level-with"
    severity = Severity.INFO

    def check(self, source):
        data = source.data
        if b"with" not in data:
            return
        node = source.root_node.child_by_field_name("expression")
        for _ in range(MAX_STEPS):
            node = nixast.unwrap(node)
            if node is None or node.has_error:
                return
            if node.type in ("function_expression", "let_expression", "assert_expression"):
                node = node.child_by_field_name("body")
                continue
            if node.type != "with_expression":
                return
            environment = node.child_by_field_name("environment")
            body = node.child_by_field_name("body")
            name = wide_scope(data, environment) if environment is not None else None
            if name is not None and not self._is_list(body):
                yield self.diagnostic(
                    source,
                    start=node.start_byte,
                    end=environment.end_byte,
                    message=f"`with {name};` covers the whole file: any free name in it may come from `{name}`, "
                    "which hides typos and undefined names",
                    hint=f"use `inherit ({name}) …;` in a `let`, qualify names (`{name}.x`), "
                    "or scope the `with` to the list that needs it",
                )
            node = body

    @staticmethod
    def _is_list(body) -> bool:
        for _ in range(MAX_STEPS):
            body = nixast.unwrap(body)
            if body is None:
                return False
            if body.type == "with_expression":  # `with pkgs; with python3Packages; [ … ]`
                body = body.child_by_field_name("body")
                continue
            return body.type == "list_expression"
        return False
