from __future__ import annotations

import re

from flakelint import nixast
from flakelint.diagnostic import Severity
from flakelint.wiring import layout_of
from flakelint.overlays import ATTRSETS, is_overlay_file, strip
from flakelint.rule import RepoRule

#: Derivation builders, by the last name of the call (`stdenv.mkDerivation`,
#: `stdenvNoCC.mkDerivation`, `pkgs.buildGoModule`,
#: `python3Packages.buildPythonApplication`, `rustPlatform.buildRustPackage`, …).
BUILDERS = frozenset(
    {
        "mkDerivation",
        "buildGoModule",
        "buildGoPackage",
        "buildGoApplication",
        "buildRustPackage",
        "buildPythonApplication",
        "buildPythonPackage",
        "buildNpmPackage",
        "mkYarnPackage",
        "buildDotnetModule",
        "buildDartApplication",
        "buildNimPackage",
        "buildPerlPackage",
        "buildComposerProject",
        "buildMavenPackage",
        "buildVimPlugin",
        "buildFHSEnv",
        "buildFHSUserEnv",
        "writeShellApplication",
        "writeShellScriptBin",
    }
)
#: Formals that make a file a NixOS/home-manager/darwin module, not a package.
MODULE_FORMALS = frozenset({"config", "options", "modulesPath", "osConfig", "nixosConfig", "darwinConfig"})
#: Top-level directories (under the layout's prefix) where a derivation is a test or check, not a package.
TEST_DIRS = ("tests", "test", "checks")
#: Files a derivation may be at the layout's root: the classic project package.
ROOT_PACKAGE_FILES = ("default.nix", "package.nix")
#: Frameworks that build and export every package of their packages directory themselves.
AUTO_PACKAGES = {"snowfall": "snowfall-lib", "blueprint": "blueprint"}


class PackageOutsidePkgs(RepoRule):
    """A package definition outside the packages directory (`pkgs/`).

    ## What it does
    In a repository that follows a layout flakelint knows, finds `.nix`
    files whose whole value is a package written for `callPackage`: a
    function taking a set of dependencies (`{ lib, stdenv, fetchFromGitHub,
    ... }:`) whose body — through `let … in`, `with`, `assert` and
    parentheses — is a call of a derivation builder. It reports the file
    when it lies outside the layout's packages directory (`pkgs/` in the
    seed and starter layouts, `packages/` in snowfall-lib, blueprint,
    nixos-unified and ez-configs).

    The builders are: `mkDerivation` (`stdenv.`, `stdenvNoCC.`, any
    `…stdenv.mkDerivation`, also `mkDerivation (finalAttrs: { … })`),
    `buildGoModule`, `buildGoPackage`, `buildGoApplication`,
    `buildRustPackage`, `buildPythonApplication`, `buildPythonPackage`,
    `buildNpmPackage`, `mkYarnPackage`, `buildDotnetModule`,
    `buildDartApplication`, `buildNimPackage`, `buildPerlPackage`,
    `buildComposerProject`, `buildMavenPackage`, `buildVimPlugin`,
    `buildFHSEnv`, `buildFHSUserEnv`, `writeShellApplication` and
    `writeShellScriptBin`, under any attribute path
    (`pkgs.python3Packages.buildPythonApplication`).

    Not reported: `flake.nix`; any `shell.nix` (a development shell is not
    a package, nor is `mkShell`); `default.nix` and `package.nix` at the
    layout's root (the project's own package, built by
    `callPackage ./default.nix { }` — a common and valid style); files in
    the packages or overlays directory, or in any directory named
    `overlays`; files under `tests/`, `test/` or `checks/`; files outside the
    layout's prefix; functions whose formals show a module (`config`,
    `options`, `modulesPath`, `osConfig`); overlays (`final: prev: …`) and
    any function of a single argument.

    ## Why is this bad?
    A package hidden in `hosts/laptop/` or `modules/` can only be built by
    the module that imports it: it is not a flake output (`nix build
    .#name` does not find it), CI does not build it, and the next host that
    needs it copies it. The layout keeps packages in `pkgs/<name>/`, built
    with `callPackage` in one place and exported as `packages.<system>`.

    ## Example
    ```nix
    # file: flake.nix
    {
      outputs = { nixpkgs, ... }: {
        nixosConfigurations.laptop = nixpkgs.lib.nixosSystem {
          modules = [ ./hosts/laptop/configuration.nix ];
        };
      };
    }
    # file: hosts/laptop/configuration.nix
    { pkgs, ... }:
    {
      imports = [ ./hardware-configuration.nix ../../modules/services/ssh.nix ];
      environment.systemPackages = [ (pkgs.callPackage ./hello-fast.nix { }) ];
    }
    # file: hosts/laptop/hello-fast.nix
    { lib, stdenv, fetchurl }:
    stdenv.mkDerivation {
      pname = "hello-fast";
      version = "2.12";
      src = fetchurl {
        url = "mirror://gnu/hello/hello-2.12.tar.gz";
        hash = "sha256-zwSo1PmZ3y+cjYk8/BXVvnG9ZXMv2L0DvvYQlChR+E0=";
      };
      meta.license = lib.licenses.gpl3Plus;
    }
    # file: hosts/laptop/hardware-configuration.nix
    { ... }: { fileSystems."/".device = "/dev/sda1"; }
    # file: modules/services/ssh.nix
    { ... }: { services.openssh.enable = true; }
    ```

    ## Use instead
    ```nix
    # file: flake.nix
    {
      outputs = { nixpkgs, ... }: {
        nixosConfigurations.laptop = nixpkgs.lib.nixosSystem {
          modules = [ ./hosts/laptop/configuration.nix ];
        };
      };
    }
    # file: hosts/laptop/configuration.nix
    { pkgs, ... }:
    {
      imports = [ ./hardware-configuration.nix ../../modules/services/ssh.nix ];
      environment.systemPackages = [ (pkgs.callPackage ../../pkgs/hello-fast { }) ];
    }
    # file: pkgs/hello-fast/default.nix
    { lib, stdenv, fetchurl }:
    stdenv.mkDerivation {
      pname = "hello-fast";
      version = "2.12";
      src = fetchurl {
        url = "mirror://gnu/hello/hello-2.12.tar.gz";
        hash = "sha256-zwSo1PmZ3y+cjYk8/BXVvnG9ZXMv2L0DvvYQlChR+E0=";
      };
      meta.license = lib.licenses.gpl3Plus;
    }
    # file: hosts/laptop/hardware-configuration.nix
    { ... }: { fileSystems."/".device = "/dev/sda1"; }
    # file: modules/services/ssh.nix
    { ... }: { services.openssh.enable = true; }
    ```

    ## Known limitations
    Only a file whose value *is* the package is recognised: a derivation
    built inside a module (`environment.systemPackages = [
    (pkgs.stdenv.mkDerivation { … }) ]`), a file returning a set of
    packages, or one built by the repository's own helper function is not
    reported. Builders outside the list above are not recognised. Like every
    layout rule, it is silent in a repository whose layout flakelint does not
    recognise.
    """

    code = "FL308"
    name = "package-outside-pkgs"
    severity = Severity.INFO

    def check(self, repo):
        layout = layout_of(repo)
        if layout is None:
            return
        packages_dir = layout.full(layout.packages_dir).strip("/")
        overlays_dir = layout.full(layout.overlays_dir).strip("/")
        for path in sorted(repo.sources):
            relative = layout.under_prefix(path)
            if relative is None or not path.endswith(".nix") or _skipped(path, relative, packages_dir, overlays_dir):
                continue
            source = repo.sources.get(path)
            if source is None or not any(name.encode() in source.data for name in BUILDERS):
                continue
            if source.has_error:
                continue
            found = package_call(source.data, source.root_node)
            if found is None:
                continue
            call, builder = found
            name = _package_name(source.data, call, path)
            directory = f"{packages_dir}/{name}" if packages_dir else name
            if layout.preset in AUTO_PACKAGES:
                how = f"{AUTO_PACKAGES[layout.preset]} builds every package there and exports it as `packages.<system>.{name}`"
            else:
                how = (
                    f"build it with `callPackage` from there (`pkgs.callPackage ./{directory} {{ }}` in flake.nix, "
                    f"exported as `packages.<system>.{name}`, or in an overlay)"
                )
            yield self.diagnostic(
                source,
                _head(call),
                f"package definition (`{builder}`) outside `{packages_dir}/`: move it to `{directory}/default.nix`",
                hint=how,
            )


def _skipped(path: str, relative: str, packages_dir: str, overlays_dir: str) -> bool:
    base = relative.rsplit("/", 1)[-1]
    if base in ("flake.nix", "shell.nix"):
        return True
    if "/" not in relative and base in ROOT_PACKAGE_FILES:
        return True
    if "/" not in path and base in ROOT_PACKAGE_FILES:
        return True
    for directory in (packages_dir, overlays_dir):
        if directory and path.startswith(directory + "/"):
            return True
    if is_overlay_file(path):
        return True
    top = relative.split("/", 1)[0]
    return "/" in relative and top in TEST_DIRS


def _head(call):
    head, _args = nixast.apply_head(call)
    return head if head is not None else call


def package_call(data: bytes, root):
    """(builder call, builder name) when the file's value is a callPackage-style package."""
    function = nixast.unwrap(root.child_by_field_name("expression"))
    if function is None or function.type != "function_expression":
        return None
    formals = function.child_by_field_name("formals")
    if formals is None:
        return None  # `final: prev:`, `pkgs:` — not callPackage style
    names = set()
    for formal in formals.named_children:
        if formal.type == "formal":
            ident = formal.child_by_field_name("name")
            if ident is not None:
                names.add(nixast.node_text(data, ident))
    if names & MODULE_FORMALS:
        return None
    body = strip(function.child_by_field_name("body"))
    if body is None or body.type != "apply_expression":
        return None
    head, args = nixast.apply_head(body)
    name = nixast.call_name(data, head)
    if name not in BUILDERS or not args:
        return None
    dotted = nixast.dotted_name(data, head) or name
    return body, dotted


def _package_name(data: bytes, call, path: str) -> str:
    """`pname`/`name` of the builder's argument set, else the file's name."""
    _head_node, args = nixast.apply_head(call)
    candidates = []
    first = nixast.unwrap(args[0]) if args else None
    named = nixast.string_value(data, first) if first is not None else None
    if named:  # writeShellScriptBin "name" ''…''
        candidates.append(("pname", named))
    for arg in args:
        arg = nixast.unwrap(arg)
        if arg is not None and arg.type == "function_expression":  # finalAttrs: { … }
            arg = strip(arg.child_by_field_name("body"))
        if arg is None or arg.type not in ATTRSETS:
            continue
        binding_set = next((c for c in arg.named_children if c.type == "binding_set"), None)
        for binding in binding_set.named_children if binding_set is not None else []:
            if binding.type == "binding" and nixast.binding_path(data, binding) in (["pname"], ["name"]):
                value = nixast.unwrap(binding.child_by_field_name("expression"))
                text = nixast.string_value(data, value) if value is not None else None
                if text:
                    candidates.append((nixast.binding_path(data, binding)[0], text))
    for key in ("pname", "name"):
        for found_key, text in candidates:
            if found_key == key:
                cleaned = re.sub(r"[^A-Za-z0-9_+.-]+", "-", text).strip("-.")
                if key == "name":
                    cleaned = re.sub(r"-[0-9][^-]*$", "", cleaned)  # hello-2.12 -> hello
                if cleaned:
                    return cleaned
    parts = path[: -len(".nix")].split("/")
    stem = parts[-1]
    if stem in ("default", "package") and len(parts) > 1:
        stem = parts[-2]
    return re.sub(r"[^A-Za-z0-9_+.-]+", "-", stem).strip("-.") or "<name>"
