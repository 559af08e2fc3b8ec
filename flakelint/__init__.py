"""flakelint: a linter and static analyzer for Nix flake repositories."""

import os

__version__ = "0.1.0"

HOMEPAGE = "https://github.com/flakelint/flakelint"
#: The package's data files (rule index, option tables), read from beside the code.
DATA_DIR = os.path.join(os.path.dirname(__file__), "data")


def __getattr__(name):
    """``flakelint.load_repo`` without importing the engine at ``import flakelint``."""
    if name in ("load_repo", "load_repos"):
        from flakelint import api

        return getattr(api, name)
    raise AttributeError(f"module 'flakelint' has no attribute {name!r}")
