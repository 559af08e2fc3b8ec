# The Nix grammar for tree-sitter, Python bindings, version 0.1.0 from PyPI:
# the exact version flakelint pins (pyproject.toml). The hash is the SHA-256
# of that sdist in SRI form; tests/test_flake_nix.py recomputes it from the
# file `pip download tree-sitter-nix==0.1.0 --no-binary :all:` brings.
{
  lib,
  buildPythonPackage,
  fetchurl,
  setuptools,
  wheel,
}:

buildPythonPackage {
  pname = "tree-sitter-nix";
  version = "0.1.0";
  pyproject = true;

  src = fetchurl {
    url = "https://files.pythonhosted.org/packages/4d/c2/10d8983cfaf9c336befe77bb0ef4e058b05ca2208589288e84cb83691e15/tree_sitter_nix-0.1.0.tar.gz";
    hash = "sha256-tVH9APu6yS8wD6lB88QbZh8pDBQVWd4PaQ1VCdmsPLA=";
  };

  build-system = [
    setuptools
    wheel
  ];

  pythonImportsCheck = [ "tree_sitter_nix" ];

  meta = {
    description = "Nix grammar for tree-sitter (Python bindings)";
    homepage = "https://github.com/tree-sitter/tree-sitter-nix";
    license = lib.licenses.mit;
  };
}
