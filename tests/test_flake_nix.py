"""flakelint's own flake (flake.nix, nix/*.nix): it parses, its outputs are wired, its hashes are real.

Nothing here builds or fetches with Nix (that needs network access to GitHub
for nixpkgs). Instead:

- every file parses with `nix-instantiate --parse` (Nix's own parser);
- the outputs are evaluated with `nix-instantiate --eval` against a stub
  nixpkgs (a few attributes standing in for lib and the package set), which
  checks what the flake exposes and what it passes to the Python builders;
- the one hash in the flake, of tree-sitter-nix 0.1.0's sdist, is recomputed
  from the file `pip download` brings (SHA-256, in SRI form: `sha256-` and the
  base64 digest), and its URL is the one pip found on PyPI. That check needs
  PyPI and is marked `network`; the offline tests check that no other hash
  exists in the flake and that this one is well formed.

flake.lock is not committed: only `nix flake lock` with access to GitHub
can write it (README.md, "Nix"); flakelint.toml turns FL101 off for that
reason.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib

import pytest

import flakelint
from conftest import REPO_ROOT

FLAKE_FILES = [REPO_ROOT / "flake.nix", REPO_ROOT / "nix" / "package.nix", REPO_ROOT / "nix" / "tree-sitter-nix.nix"]
GRAMMAR = REPO_ROOT / "nix" / "tree-sitter-nix.nix"
SRI = re.compile(r"sha256-[A-Za-z0-9+/]{43}=")
# Anything that looks like a hash: SRI strings, `sha256 = "…"`/`hash = "…"`, long hex or Nix base32.
HASH_LIKE = re.compile(r"(sha(?:1|256|512)-[A-Za-z0-9+/=]+|\b(?:sha256|hash|narHash|outputHash)\s*=\s*\"[^\"]*\"|\b[0-9a-f]{40,}\b|\b[0-9a-df-np-sv-z]{52}\b)")

STUB_EVAL = r"""
# flake.nix's outputs against a stub nixpkgs: nothing is built or fetched.
root:
let
  flake = import (root + "/flake.nix");
  lib = {
    genAttrs = names: f: builtins.listToAttrs (map (name: { inherit name; value = f name; }) names);
    getExe = drv: "/nix/store/stub-${drv.pname}/bin/${drv.meta.mainProgram}";
    fileset = {
      toSource = { root, fileset }: { inherit root fileset; };
      unions = paths: paths;
    };
    licenses.mit = "MIT";
  };
  derivation' = kind: args: args // { type = "derivation"; inherit kind; };
  pkgsFor = system: {
    stdenv.hostPlatform.system = system;
    python3 = "python3"; git = "git"; nix = "nix"; graphviz = "graphviz";
    pre-commit = "pre-commit"; actionlint = "actionlint"; shellcheck = "shellcheck";
    runCommand = name: env: script: derivation' "runCommand" { inherit name env; };
    mkShell = derivation' "mkShell";
    python3Packages = rec {
      auto = {
        inherit lib;
        buildPythonApplication = derivation' "application";
        buildPythonPackage = derivation' "package";
        pythonOlder = version: false;
        fetchurl = args: args;
        setuptools = "setuptools"; wheel = "wheel"; click = "click"; networkx = "networkx";
        sarif-om = "sarif-om"; tree-sitter = "tree-sitter";
      };
      callPackage = path: overrides:
        let f = import path; in f (builtins.intersectAttrs (builtins.functionArgs f) auto // overrides);
    };
  };
  nixpkgs = {
    inherit lib;
    legacyPackages = lib.genAttrs [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ] pkgsFor;
  };
  self = flake.outputs { inherit self nixpkgs; };
  describe = system: let package = self.packages.${system}.default; in {
    packages = builtins.attrNames self.packages.${system};
    inherit (package) kind pname version pyproject pythonImportsCheck build-system;
    mainProgram = package.meta.mainProgram;
    dependencies = map (d: if builtins.isAttrs d then d.pname else d) package.dependencies;
    grammar = builtins.head (builtins.filter builtins.isAttrs package.dependencies);
    src = map toString package.src.fileset;
    app = self.apps.${system}.default;
    checks = builtins.attrNames self.checks.${system};
    devShell = self.devShells.${system}.default.kind;
    overlay = (self.overlays.default nixpkgs.legacyPackages.${system} { }).flakelint.pname;
  };
in
{
  outputs = builtins.attrNames self;
  inputs = flake.inputs;
  systems = builtins.attrNames self.packages;
  x86_64-linux = describe "x86_64-linux";
  aarch64-darwin = describe "aarch64-darwin";
}
"""


def nix_instantiate() -> str:
    found = shutil.which("nix-instantiate")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nix-instantiate is missing (Debian package nix-bin; .ci/run installs it)")
        pytest.skip("nix-instantiate is not installed (Debian package nix-bin)")
    return found


def flake_hashes() -> dict[str, list[str]]:
    return {path.relative_to(REPO_ROOT).as_posix(): HASH_LIKE.findall(path.read_text(encoding="utf-8")) for path in FLAKE_FILES}


def grammar_source() -> tuple[str, str]:
    text = GRAMMAR.read_text(encoding="utf-8")
    (url,) = re.findall(r'url = "([^"]+)";', text)
    (sri,) = re.findall(r'hash = "([^"]+)";', text)
    return url, sri


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    stub = tmp_path_factory.mktemp("stub") / "eval.nix"
    stub.write_text(STUB_EVAL, encoding="utf-8")
    result = subprocess.run(
        [nix_instantiate(), "--eval", "--strict", "--json", "-E", f"import {stub} {REPO_ROOT}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("path", FLAKE_FILES, ids=lambda p: p.relative_to(REPO_ROOT).as_posix())
def test_parses_with_nix(path):
    result = subprocess.run([nix_instantiate(), "--parse", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_outputs(evaluated):
    assert evaluated["outputs"] == ["apps", "checks", "devShells", "overlays", "packages"]
    assert evaluated["inputs"] == {"nixpkgs": {"url": "github:NixOS/nixpkgs/nixos-unstable"}}
    assert evaluated["systems"] == ["aarch64-darwin", "aarch64-linux", "x86_64-darwin", "x86_64-linux"]
    for system in ("x86_64-linux", "aarch64-darwin"):
        described = evaluated[system]
        assert described["packages"] == ["default", "flakelint"]
        assert described["kind"] == "application" and described["pyproject"] is True
        assert described["app"] == {
            "type": "app",
            "program": "/nix/store/stub-flakelint/bin/flakelint",
            "meta": {"description": "Lint a Nix flake repository"},
        }
        assert described["checks"] == ["examples", "package"]
        assert described["devShell"] == "mkShell"
        assert described["overlay"] == "flakelint"


def test_package_matches_the_python_project(evaluated):
    described = evaluated["x86_64-linux"]
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert described["pname"] == project["project"]["name"]
    assert described["version"] == flakelint.__version__  # read from flakelint/__init__.py
    assert described["mainProgram"] in project["project"]["scripts"]
    required = {re.split(r"[<>=!~ \[]", spec, maxsplit=1)[0] for spec in project["project"]["dependencies"]}
    assert set(described["dependencies"]) == required
    assert described["build-system"] == ["setuptools"]
    assert described["pythonImportsCheck"] == ["flakelint", "flakelint.rules"]
    # The source is what setup.py and pyproject.toml need, and all of it exists.
    sources = [os.path.relpath(path, REPO_ROOT) for path in described["src"]]
    assert sources == ["pyproject.toml", "setup.py", "README.md", "flakelint", "rules"]
    assert project["project"]["readme"] in sources


def test_grammar_is_the_pinned_version(evaluated):
    grammar = evaluated["x86_64-linux"]["grammar"]
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert f"tree-sitter-nix=={grammar['version']}" in project["project"]["dependencies"]
    url, sri = grammar_source()
    assert grammar["src"] == {"url": url, "hash": sri}
    assert url.startswith("https://files.pythonhosted.org/packages/")
    assert url.endswith(f"/tree_sitter_nix-{grammar['version']}.tar.gz")


def test_the_only_hash_is_the_grammar_sdist():
    """No invented hash can hide in the flake: every hash-like string is accounted for."""
    found = flake_hashes()
    url, sri = grammar_source()
    # The SRI hash, and the directory name PyPI gives the file (a BLAKE2 digest it chose).
    pypi_directory = url.split("/")[-2]
    assert found == {"flake.nix": [], "nix/package.nix": [], "nix/tree-sitter-nix.nix": [pypi_directory, f'hash = "{sri}"']}
    assert SRI.fullmatch(sri)
    assert len(base64.b64decode(sri.removeprefix("sha256-"), validate=True)) == 32


def test_no_lock_is_committed_and_fl101_is_ignored_for_that_reason():
    tracked = subprocess.run(["git", "-C", str(REPO_ROOT), "ls-files", "flake.lock"], capture_output=True, text=True).stdout
    config = (REPO_ROOT / "flakelint.toml").read_text(encoding="utf-8")
    if tracked.strip():
        pytest.skip("a flake.lock is committed now: drop the FL101 ignore from flakelint.toml")
    assert '"/flake.nix" = ["FL101"]' in config and "nix flake lock" in config
    assert "nix flake lock" in (REPO_ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.network
def test_grammar_hash_is_the_sdist_pip_downloads(tmp_path):
    """The SRI hash in nix/tree-sitter-nix.nix, recomputed from the sdist `pip download` brings."""
    url, sri = grammar_source()
    version = re.search(r'version = "([^"]+)";', GRAMMAR.read_text(encoding="utf-8")).group(1)
    result = subprocess.run(
        [
            sys.executable, "-m", "pip", "download", f"tree-sitter-nix=={version}", "--no-deps",
            "--no-binary", "tree-sitter-nix", "--no-cache-dir", "-d", str(tmp_path), "-vv",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0 and any(word in result.stdout + result.stderr for word in ("NewConnectionError", "Network is unreachable", "Temporary failure in name resolution", "ConnectTimeout")):
        pytest.skip("PyPI is unreachable")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (sdist,) = tmp_path.glob("*.tar.gz")
    assert sdist.name == url.rsplit("/", 1)[1]
    digest = hashlib.sha256(sdist.read_bytes()).digest()
    assert "sha256-" + base64.b64encode(digest).decode("ascii") == sri
    # And the URL is where pip found that file on PyPI.
    assert f"Found link {url} " in result.stdout
