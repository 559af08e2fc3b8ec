"""The library API: the repository model for your own scripts.

>>> import flakelint
>>> repo = flakelint.load_repo("path/to/flake")
>>> sorted(repo.graph.nodes)                    # every file reached from flake.nix
>>> repo.graph.nodes["hosts/laptop/configuration.nix"]   # its contexts, e.g. {"nixos"}
>>> [e.target for e in repo.graph.edges if e.source == "hosts/laptop/configuration.nix"]
"""

from __future__ import annotations

import time

from flakelint.config import Settings, find_config, load_settings
from flakelint.discover import discover
from flakelint.engine import read_repo
from flakelint.repo import Repo


def load_repo(path: str = ".", config: str | None = None, now: float | None = None) -> Repo:
    """The model of the flake at (or above) ``path``: files, parsed sources, import graph.

    Nested flakes are separate roots; use :func:`load_repos` for all of them.
    """
    return load_repos(path, config, now)[0]


def load_repos(path: str = ".", config: str | None = None, now: float | None = None) -> list[Repo]:
    """The models of the flake at ``path`` and of every flake nested below it."""
    target = discover(path)
    now = time.time() if now is None else now
    repos = []
    for flake in target.flakes:
        config_path = config or find_config(flake.root)
        settings = load_settings(config_path) if config_path else Settings()
        repo, _unreadable = read_repo(flake, settings, now)
        repos.append(repo)
    return repos
