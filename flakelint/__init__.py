"""flakelint: a linter and static analyzer for Nix flake repositories."""

__version__ = "0.1.0"

HOMEPAGE = "https://github.com/flakelint/flakelint"
