# flakelint, built from this checkout. The flake at the root calls it with
# python3Packages.callPackage (and its own tree-sitter-nix).
{
  lib,
  buildPythonApplication,
  pythonOlder,
  setuptools,
  click,
  networkx,
  sarif-om,
  tree-sitter,
  tree-sitter-nix,
}:

let
  # The version is the one in flakelint/__init__.py, so the two never drift.
  lines = builtins.filter builtins.isString (builtins.split "\n" (builtins.readFile ../flakelint/__init__.py));
  versions = builtins.filter (found: found != null) (map (builtins.match ''__version__ = "([^"]+)"'') lines);
in
buildPythonApplication {
  pname = "flakelint";
  version = builtins.head (builtins.head versions);
  pyproject = true;
  disabled = pythonOlder "3.11";

  # Only what the package is built from: editing the tests or the docs does
  # not rebuild it.
  src = lib.fileset.toSource {
    root = ../.;
    fileset = lib.fileset.unions [
      ../pyproject.toml
      ../setup.py
      ../README.md
      ../flakelint
      ../rules
    ];
  };

  build-system = [ setuptools ];

  dependencies = [
    click
    networkx
    sarif-om
    tree-sitter
    tree-sitter-nix
  ];

  pythonImportsCheck = [
    "flakelint"
    "flakelint.rules"
  ];

  meta = {
    description = "Linter and static analyzer for Nix flake repositories (NixOS, home-manager)";
    homepage = "https://github.com/flakelint/flakelint";
    license = lib.licenses.mit;
    mainProgram = "flakelint";
  };
}
