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

    #: Results of the per-file stage (maybe computed in worker processes):
    #: path facts, repo rules' per-file summaries by code, suppressions.
    file_facts: dict = field(default_factory=dict, repr=False)
    summaries: dict = field(default_factory=dict, repr=False)
    suppressions: dict = field(default_factory=dict, repr=False)

    _graph: object = field(default=None, repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def graph(self):
        """The import graph (:class:`flakelint.graph.ImportGraph`), built on first use."""
        if self._graph is None:
            from flakelint.graph import build_graph

            self._graph = build_graph(self)
        return self._graph

    @property
    def inputs(self):
        """The inputs ``flake.nix`` declares (:class:`flakelint.inputs.FlakeInputs`); None without a parsed flake.nix."""
        if "inputs" not in self._cache:
            from flakelint.inputs import read_inputs

            source = self.sources.get("flake.nix")
            self._cache["inputs"] = read_inputs(source) if source is not None else None
        return self._cache["inputs"]

    @property
    def lock(self):
        """The flake's ``flake.lock`` (:class:`flakelint.lock.LockFile`, maybe invalid); None when absent."""
        if "lock" not in self._cache:
            from flakelint.lock import read_lock

            self._cache["lock"] = read_lock(self.root) if self.flake.has_flake_nix else None
        return self._cache["lock"]

    @property
    def file_index(self):
        """The listing as a :class:`flakelint.graph.FileIndex` (built once; the graph and several rules ask it)."""
        if "file_index" not in self._cache:
            from flakelint.graph import FileIndex

            self._cache["file_index"] = FileIndex(self.files)
        return self._cache["file_index"]

    _path_checker: object = field(default=None, repr=False)

    @property
    def path_checker(self):
        if self._path_checker is None:
            from flakelint.graph import PathChecker

            self._path_checker = PathChecker(self, self.file_index)
        return self._path_checker

    @property
    def git_toplevel(self) -> str | None:
        """The git work tree holding the flake (None outside git)."""
        if not self.flake.is_git:
            return None
        shared = self.flake.git_facts  # nested flakes of one listing share the work tree
        if "toplevel" not in shared:
            from flakelint.discover import git_toplevel

            shared["toplevel"] = git_toplevel(self.root)
        return shared["toplevel"]

    def summary(self, rule, path: str):
        """``rule.summarize`` of the file at ``path``: from the per-file stage, else computed here."""
        found = self.summaries.get(rule.code)
        if found is not None and path in found:
            return found[path]
        return rule.summarize(self.sources[path])

    @property
    def root(self) -> str:
        return self.flake.root

    @property
    def files(self) -> list[str]:
        return self.flake.files
