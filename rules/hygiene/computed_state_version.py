from __future__ import annotations

from flakelint import nixast
from flakelint.diagnostic import Severity
from flakelint.rule import FileRule
from flakelint.secrets import DOCUMENTATION_CALLS, documents_an_option, in_test_tree

from . import bindings_named, definition_value, name_spans
from .missing_state_version import STATE_VERSION_ESCAPE

#: Dotted-name endings that evaluate to the release of the nixpkgs (or
#: home-manager) being evaluated, not a fixed one.
CURRENT_RELEASE = (
    ("system", "nixos", "release"),
    ("system", "nixos", "version"),
    ("lib", "trivial", "release"),
    ("lib", "trivial", "version"),
    ("lib", "version"),
    ("home", "version", "release"),
    ("home", "version", "full"),
)
QUERY = "(select_expression) @s"


def _state_version_bindings(source) -> list:
    """The bindings whose attribute path may end in ``stateVersion``: a superset of those the rule looks at.

    In a tree without errors, those near where the text says
    ``stateVersion`` (or every binding where an escape could spell it), as
    FL502 finds them: a descent in C per occurrence instead of a query over
    every binding of the file (about 0.3 ms per file that names
    ``stateVersion``). A tree with errors is queried, as before.
    """
    root = source.root_node
    if root.has_error:
        return source.captures("(binding) @b").get("b", [])
    return bindings_named(source.data, root, name_spans(source.data, root, b"stateVersion"), STATE_VERSION_ESCAPE, source.captures)


def current_release(data: bytes, value) -> str | None:
    """The current-release expression used in ``value`` (``config.system.nixos.release``), if any."""
    for node in [value, *nixast.captures(QUERY, value).get("s", [])]:
        if node.type != "select_expression":
            continue
        dotted = nixast.dotted_name(data, node)
        if dotted is None:
            continue
        parts = tuple(dotted.split("."))
        for ending in CURRENT_RELEASE:
            if parts[-len(ending) :] == ending:
                return dotted
    return None


class ComputedStateVersion(FileRule):
    """`stateVersion` computed from the release being evaluated.

    ## What it does
    Reports `system.stateVersion` and `home.stateVersion` (and any other
    `stateVersion` setting) whose value uses the release of the nixpkgs or
    home-manager being evaluated: `config.system.nixos.release`,
    `config.system.nixos.version`, `lib.trivial.release`,
    `lib.trivial.version`, `lib.version` (also through
    `lib.versions.majorMinor lib.version`, `pkgs.lib.version`,
    `inputs.nixpkgs.lib.version`) and `config.home.version.release`.
    Option declarations (`mkOption { default = …; }`) are not settings and
    are not reported, nor are files under a `test`/`tests` directory
    (throwaway test machines).

    ## Why is this bad?
    `stateVersion` records the release the machine's (or home's) state was
    first created with, so that modules keep stateful data (database
    formats, directory layouts) compatible. Computing it from the current
    release changes it on every upgrade: the safety net is silently removed
    and data migrations that need the old value are skipped. Set it once, to
    a literal, and leave it.

    ## Example
    ```nix
    { config, lib, ... }:
    {
      system.stateVersion = config.system.nixos.release;
      home-manager.users.alice.home.stateVersion = lib.versions.majorMinor lib.version;
    }
    ```

    ## Use instead
    ```nix
    { config, lib, ... }:
    {
      system.stateVersion = "24.05";
      home-manager.users.alice.home.stateVersion = "24.05";
    }
    ```
    """

    code = "FL503"
    name = "computed-state-version"
    severity = Severity.WARNING

    def check(self, source):
        data = source.data
        if b"stateVersion" not in data or in_test_tree(source.path):
            return
        for binding in _state_version_bindings(source):
            path = nixast.binding_path(data, binding)
            if not path or path[-1] != "stateVersion" or binding.has_error:
                continue
            value = definition_value(data, binding.child_by_field_name("expression"))
            if value is None or path[0] == "options":
                continue
            if value.type == "apply_expression":
                head, _args = nixast.apply_head(value)
                if nixast.call_name(data, head) in DOCUMENTATION_CALLS:
                    continue  # an option declaration: its default is not a setting
            found = current_release(data, value)
            if found is None or documents_an_option(data, binding):
                continue
            option = ".".join(p or "<name>" for p in nixast.full_attrpath(data, binding))
            yield self.diagnostic(
                source,
                value,
                f"`{option}` is computed from `{found}`, the release being evaluated: it changes on every "
                "upgrade, which defeats the purpose of stateVersion",
                hint="set it once to the release the system (or home) was installed with, e.g. \"24.05\", and never bump it blindly",
            )
