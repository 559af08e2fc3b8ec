"""The repository model that repo-level rules read.

One :class:`Repo` per flake root: its files, the parsed ``.nix`` sources, and
(filled in by later layers) the flake, lock and import-graph models. Parsing
happens once, in the engine; repo rules never re-parse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flakelint.config import Settings
    from flakelint.discover import Flake
    from flakelint.parse import SourceFile


@dataclass
class Repo:
    flake: "Flake"
    settings: "Settings"
    now: float
    sources: dict[str, "SourceFile"] = field(default_factory=dict)
    #: .nix files that could not be parsed (FL002) or were skipped on purpose.
    unreadable: set[str] = field(default_factory=set)

    @property
    def root(self) -> str:
        return self.flake.root

    @property
    def files(self) -> list[str]:
        return self.flake.files
