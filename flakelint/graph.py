"""The import graph: which files the flake reaches, how, and in which context.

Nodes are root-relative file paths; an edge says that one file refers to
another and how (the :mod:`flakelint.facts` usage). Every path in a reached
file is followed, not only ``imports``: a file referred to in any way is in
use. What flakelint cannot compute stays conservative: a computed path
becomes a glob that reaches every file it could match, and a directory handed
to an unknown function reaches everything below it. Over-reaching can only
hide an orphan, never invent one.

Contexts (NixOS, home-manager, darwin, package, overlay, expression, flake)
start at the places that decide them (``nixosSystem { modules }``,
``home-manager.users.<u>``, ``nixosModules.x``, ``callPackage``) and flow along
module ``imports``.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from flakelint.facts import FileFacts, PathRef, file_facts
from flakelint.globs import compile_glob

ROOT_FILES = ("flake.nix", "default.nix", "shell.nix")

NIXOS, HOME, DARWIN = "nixos", "home-manager", "darwin"
PACKAGE, OVERLAY, EXPRESSION, FLAKE = "package", "overlay", "expression", "flake"
BUILDER_CONTEXTS = {
    "nixosSystem": NIXOS,
    "nixosConfiguration": NIXOS,
    "homeManagerConfiguration": HOME,
    "darwinSystem": DARWIN,
    "evalModules": None,
}
OUTPUT_CONTEXTS = {
    "nixosModules": NIXOS,
    "nixosModule": NIXOS,
    "homeModules": HOME,
    "homeManagerModules": HOME,
    "homeManagerModule": HOME,
    "darwinModules": DARWIN,
    "darwinModule": DARWIN,
    "overlays": OVERLAY,
    "overlay": OVERLAY,
}
MODULE_CONTEXTS = {NIXOS, HOME, DARWIN}


@dataclass
class Edge:
    source: str
    target: str
    kind: str
    ref: PathRef


@dataclass
class ImportGraph:
    roots: list[str]
    nodes: dict[str, set[str]]  # reached file -> contexts
    edges: list[Edge]
    refs: dict[str, list[PathRef]]  # facts of every parsed file, reached or not
    incomplete: list[str] = field(default_factory=list)  # why reach may be unknown
    #: A framework that loads files by convention, not by path (blueprint…):
    #: reach is then unknown and FL201 stays silent.
    autowired: str | None = None
    #: The flake outputs model (configurations and their modules).
    model: object = None

    @property
    def reached(self) -> set[str]:
        return set(self.nodes)

    def networkx(self):
        """The graph as a networkx DiGraph (imported only when asked for)."""
        import networkx as nx

        graph = nx.MultiDiGraph()
        for node, contexts in self.nodes.items():
            graph.add_node(node, contexts=sorted(contexts), root=node in self.roots)
        for edge in self.edges:
            graph.add_edge(edge.source, edge.target, kind=edge.kind)
        return graph


class FileIndex:
    """Fast questions about the repository's file listing."""

    def __init__(self, files: list[str]):
        self.files = sorted(files)
        self.file_set = set(files)
        directories = set()
        for f in self.files:
            parts = f.split("/")[:-1]
            for depth in range(1, len(parts) + 1):
                directories.add("/".join(parts[:depth]))
        self.directories = directories

    def is_dir(self, relpath: str) -> bool:
        return relpath == "." or relpath in self.directories

    def files_under(self, directory: str) -> list[str]:
        if directory in (".", ""):
            return list(self.files)
        prefix = directory.rstrip("/") + "/"
        start = bisect.bisect_left(self.files, prefix)
        found = []
        for f in self.files[start:]:
            if not f.startswith(prefix):
                break
            found.append(f)
        return found

    def nix_under(self, directory: str, skip_underscore: bool = False) -> list[str]:
        found = [f for f in self.files_under(directory) if f.endswith(".nix")]
        if skip_underscore:
            base = 0 if directory in (".", "") else len(directory) + 1
            found = [f for f in found if not any(p.startswith("_") for p in f[base:].split("/"))]
        return found

    def matching(self, glob: str) -> tuple[list[str], list[str]]:
        """(files, directories) matching an anchored glob."""
        regex = compile_glob(glob)
        files = [f for f in self.files if regex.match(f)]
        directories = sorted(d for d in self.directories if regex.match(d))
        return files, directories


def resolve(ref: PathRef, index: FileIndex) -> list[str]:
    """The ``.nix`` files a path reference reaches."""
    if ref.kind == "exact":
        return _resolve_one(ref.target, ref, index)
    if ref.kind == "pattern":
        files, directories = index.matching(ref.target)
        reached = [f for f in files if f.endswith(".nix")]
        for directory in directories:
            reached += _resolve_one(directory, ref, index)
        return sorted(set(reached))
    return []


def _resolve_one(target: str, ref: PathRef, index: FileIndex) -> list[str]:
    if target in index.file_set:
        return [target] if target.endswith(".nix") else []
    if not index.is_dir(target):
        return []
    if ref.usage in ("src", "guard", "read", "doc"):
        return []
    if ref.module_like:
        default = "default.nix" if target == "." else f"{target}/default.nix"
        return [default] if default in index.file_set else []
    return index.nix_under(target, ref.skip_underscore)


def initial_contexts(ref: PathRef) -> set[str]:
    """Contexts a reference gives its target by itself (before propagation).

    Only an exact path decides a context: a pattern (``./${host}``) may match
    files that are not meant (``hosts/home.nix`` as well as ``hosts/laptop/``),
    so it reaches them but says nothing about how they are evaluated.
    """
    if ref.kind != "exact":
        return set()
    if ref.scope == HOME and (ref.module_like or ref.anonymous):
        return {HOME}
    if ref.usage == "modules" and ref.builder in BUILDER_CONTEXTS:
        context = BUILDER_CONTEXTS[ref.builder]
        return {context} if context else set()
    if ref.usage == "home-module":
        return {HOME}
    if ref.usage == "callPackage":
        return {PACKAGE}
    if ref.attrpath and ref.attrpath[0] in OUTPUT_CONTEXTS and ref.source == "flake.nix":
        return {OUTPUT_CONTEXTS[ref.attrpath[0]]}
    if ref.attrpath and len(ref.attrpath) >= 2 and ref.attrpath[0] == "flake" and ref.attrpath[1] in OUTPUT_CONTEXTS:
        return {OUTPUT_CONTEXTS[ref.attrpath[1]]}  # flake-parts: flake.nixosModules.x
    return set()


#: How a path into a nested flake from its parent is resolved: like a module
#: path (a directory means its default.nix).
_EXTRA_ROOT_REF = PathRef(source="", written="", kind="exact", target="", usage="import", start=0, end=0)


def build_graph(repo) -> ImportGraph:
    index = repo.file_index
    refs: dict[str, list[PathRef]] = {}
    facts: dict[str, FileFacts] = {}
    known = getattr(repo, "file_facts", {})
    for path in repo.sources:
        found = known.get(path)
        facts[path] = found if found is not None else file_facts(repo.sources[path])
        refs[path] = facts[path].refs
    roots = [f for f in ROOT_FILES if f in index.file_set]
    for extra in getattr(repo.flake, "extra_roots", []):
        for path in _resolve_one(extra, _EXTRA_ROOT_REF, index):
            if path not in roots:
                roots.append(path)
    nodes: dict[str, set[str]] = {root: set() for root in roots}
    if "flake.nix" in nodes:
        nodes["flake.nix"].add(FLAKE)
    edges: list[Edge] = []
    incomplete: list[str] = []
    queue = list(roots)
    position = 0
    while position < len(queue):
        current = queue[position]
        position += 1
        if current not in facts:
            incomplete.append(f"{current} could not be analysed")
            continue
        if facts[current].has_errors:
            incomplete.append(f"{current} has syntax errors")
        for ref in facts[current].refs:
            for target in resolve(ref, index):
                edges.append(Edge(current, target, ref.usage, ref))
                if target not in nodes:
                    nodes[target] = set()
                    queue.append(target)
    from flakelint.flake import build_model

    model = build_model(repo, index) if "flake.nix" in repo.sources else None
    _propagate_contexts(nodes, edges, configuration_seeds(model, index, nodes))
    # The first file of the graph (in path order) naming a framework that
    # loads files by convention; each file's marker comes with its facts.
    autowired = next((facts[path].autowiring for path in sorted(nodes) if path in facts and facts[path].autowiring), None)
    return ImportGraph(
        roots=roots, nodes=nodes, edges=edges, refs=refs, incomplete=incomplete, autowired=autowired, model=model
    )


def configuration_seeds(model, index: FileIndex, nodes: dict[str, set[str]]) -> dict[str, set[str]]:
    """Contexts the evaluated configurations give the files in their module lists."""
    seeds: dict[str, set[str]] = {}
    if model is None:
        return seeds
    for configuration in model.configurations:
        for entry in configuration.modules:
            if entry.kind == "path":
                target = entry.target
                if index.is_dir(target):
                    target = "default.nix" if target == "." else f"{target}/default.nix"
                targets = [target]
            else:  # patterns and unknown entries decide no context
                continue
            for target in targets:
                if target in nodes:
                    seeds.setdefault(target, set()).add(configuration.kind)
    return seeds


def _propagate_contexts(nodes: dict[str, set[str]], edges: list[Edge], seeds: dict[str, set[str]]) -> None:
    # Only module imports pass a context on: the walk below follows those
    # edges alone (a pattern reaching every file of a directory adds many
    # edges that pass nothing). A reference's own contexts are worked out
    # once, not once per file it reaches.
    passing: dict[str, list[str]] = {}
    own: dict[int, set[str]] = {}
    for path, contexts in seeds.items():
        nodes[path] |= contexts
    for edge in edges:
        ref = edge.ref
        contexts = own.get(id(ref))
        if contexts is None:
            contexts = own[id(ref)] = initial_contexts(ref)
        if contexts:
            nodes[edge.target] |= contexts
        # home-manager.users.<u> scope is set by initial_contexts; patterns decide nothing
        if ref.scope is None and ref.kind == "exact" and (edge.kind == "imports" or (edge.kind == "import" and ref.anonymous)):
            passing.setdefault(edge.source, []).append(edge.target)
    work = [n for n, contexts in nodes.items() if contexts]
    while work:
        current = work.pop()
        for target in passing.get(current, ()):
            inherited = nodes[current] & MODULE_CONTEXTS
            if inherited - nodes[target]:
                nodes[target] |= inherited
                work.append(target)
    for edge in edges:
        if edge.kind == "import" and not edge.ref.anonymous and not nodes[edge.target]:
            nodes[edge.target].add(EXPRESSION)


class PathChecker:
    """Does a path's target exist, and does git track it?"""

    def __init__(self, repo, index: FileIndex | None = None):
        import os

        self._lexists = os.path.lexists
        self._join = os.path.join
        self.root = repo.root
        self.index = index or FileIndex(repo.files)
        self.tracked = repo.flake.tracked
        self.nested = list(repo.flake.nested)

    @staticmethod
    def checkable(refs: list[PathRef]) -> list[PathRef]:
        """Exact path references whose target must exist.

        A target the same file tests with ``builtins.pathExists`` is optional.
        """
        guarded = {ref.target for ref in refs if ref.usage == "guard"}
        return [
            ref
            for ref in refs
            if ref.kind == "exact" and ref.usage not in ("guard", "doc") and ref.target not in guarded
        ]

    def status(self, ref: PathRef) -> tuple[str, str]:
        """("ok" | "missing" | "no-default" | "untracked" | "ignored", the path shown)."""
        target = ref.target
        if ref.literal is not None and ref.usage not in ("import",) and not ref.module_like:
            target = ref.literal
        index = self.index
        nested = self._nested_root(target)
        if nested is not None:
            return self._nested_status(target), target
        if index.is_dir(target) and ref.module_like:
            default = "default.nix" if target == "." else f"{target}/default.nix"
            if default in index.file_set:
                return self._tracked_status(default), default
            if self._lexists(self._join(self.root, default)):
                return "ignored", default
            return "no-default", target
        if target in index.file_set:
            return self._tracked_status(target), target
        if index.is_dir(target):
            if self.tracked is not None and not any(
                f in self.tracked for f in index.files_under(target)
            ):
                return "untracked", target + "/"
            return "ok", target
        if self.tracked is not None and any(t.startswith(target + "/") for t in self.tracked):
            return "ok", target  # tracked content, not checked out in this work tree
        if self._lexists(self._join(self.root, target)):
            return "ignored", target
        return "missing", target

    def _nested_root(self, target: str) -> str | None:
        for root in self.nested:
            if target == root or target.startswith(root + "/"):
                return root
        return None

    def _nested_status(self, target: str) -> str:
        """A path into a nested flake: its files belong to that flake's listing."""
        if not self._lexists(self._join(self.root, target)):
            return "missing"
        if self.tracked is None:
            return "ok"
        prefix = target + "/"
        if target in self.tracked or any(t.startswith(prefix) for t in self.tracked):
            return "ok"
        return "untracked"

    def _tracked_status(self, path: str) -> str:
        if self.tracked is None or path in self.tracked:
            return "ok"
        return "untracked"
