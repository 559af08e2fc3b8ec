"""flakelint: a linter and static analyzer for Nix flake repositories."""

__version__ = "0.1.0"

HOMEPAGE = "https://github.com/flakelint/flakelint"


def __getattr__(name):
    """``flakelint.load_repo`` without importing the engine at ``import flakelint``."""
    if name in ("load_repo", "load_repos"):
        from flakelint import api

        return getattr(api, name)
    raise AttributeError(f"module 'flakelint' has no attribute {name!r}")
