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
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

from flakelint.facts import FileFacts, PathRef, file_facts
from flakelint.globs import compile_glob, files_below

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


class Link(NamedTuple):
    """One reference of a reached file with every file it reaches: that reference's edges, grouped.

    A reference to a directory handed to an unknown function (``src = ./.``)
    reaches every ``.nix`` file below it: on home-manager twenty such
    references make 70,000 edges. The graph is built, and its contexts
    worked out, per reference; :attr:`ImportGraph.edges` lists the same
    edges one by one, built only when something asks for them.
    """

    source: str
    kind: str
    ref: PathRef
    targets: tuple[str, ...]


class ImportGraph:
    """The import graph of one flake (see the module docstring)."""

    def __init__(
        self,
        roots: list[str],
        nodes: dict[str, set[str]],  # reached file -> contexts
        edges: list[Edge] | None = None,
        refs: dict[str, list[PathRef]] | None = None,  # facts of every parsed file, reached or not
        incomplete: list[str] | None = None,  # why reach may be unknown
        autowired: str | None = None,
        model: object = None,
        *,
        links: list[Link] | None = None,
    ):
        self.roots = roots
        self.nodes = nodes
        self.refs = refs if refs is not None else {}
        self.incomplete = incomplete if incomplete is not None else []
        #: A framework that loads files by convention, not by path (blueprint…):
        #: reach is then unknown and FL201 stays silent.
        self.autowired = autowired
        #: The flake outputs model (configurations and their modules).
        self.model = model
        self._edges = edges
        #: The edges grouped by the reference that makes them, in edge order.
        self.links: list[Link] = links if links is not None else _links_of(edges or [])

    @property
    def edges(self) -> list[Edge]:
        """Every edge, in the order the graph was built (one per reference and file it reaches).

        Built on first use from :attr:`links`: 70,000 ``Edge`` objects on
        home-manager cost 0.03 CPU-s, and the linter's own rules read the
        links instead.
        """
        if self._edges is None:
            self._edges = [Edge(link.source, target, link.kind, link.ref) for link in self.links for target in link.targets]
        return self._edges

    @edges.setter
    def edges(self, value: list[Edge]) -> None:
        self._edges = value
        self.links = _links_of(value)

    @property
    def reached(self) -> set[str]:
        return set(self.nodes)

    def targets_where(self, keep) -> set[str]:
        """Every file reached by a reference ``keep(ref)`` accepts (``{e.target for e in edges if keep(e.ref)}``)."""
        found: set[str] = set()
        for link in self.links:
            if keep(link.ref):
                found.update(link.targets)
        return found

    def networkx(self):
        """The graph as a networkx DiGraph (imported only when asked for)."""
        import networkx as nx

        graph = nx.MultiDiGraph()
        for node, contexts in self.nodes.items():
            graph.add_node(node, contexts=sorted(contexts), root=node in self.roots)
        for edge in self.edges:
            graph.add_edge(edge.source, edge.target, kind=edge.kind)
        return graph


_as_link = partial(tuple.__new__, Link)


def _links_of(edges: list[Edge]) -> list[Link]:
    """Consecutive edges of one source, kind and reference as links (for a graph given its edges)."""
    links: list[Link] = []
    for edge in edges:
        last = links[-1] if links else None
        if last is not None and last.source == edge.source and last.kind == edge.kind and last.ref is edge.ref:
            links[-1] = last._replace(targets=last.targets + (edge.target,))
        else:
            links.append(Link(edge.source, edge.kind, edge.ref, (edge.target,)))
    return links


def directories_above(paths) -> set[str]:
    """Every directory above one of ``paths`` (relative, ``/``-separated), ``.`` left out."""
    directories: set[str] = set()
    for path in paths:
        # Up from the file; stop at a directory already known (its parents are known too).
        end = path.rfind("/")
        while end > 0:
            directory = path[:end]
            if directory in directories:
                break
            directories.add(directory)
            end = path.rfind("/", 0, end)
    return directories


class FileIndex:
    """Fast questions about the repository's file listing.

    Listings below a directory and the files each path reference reaches are
    memoised: a handful of references to the repository root (``src = ./.``,
    ``../.``) each asked for all 3,488 ``.nix`` files of home-manager, one
    scan of the whole listing per reference.
    """

    def __init__(self, files: list[str]):
        self.files = sorted(files)
        self.file_set = set(self.files)
        self.directories = directories_above(self.files)
        self._nix_files = [f for f in self.files if f.endswith(".nix")]
        self._nix_memo: dict[tuple[str, bool], tuple[str, ...]] = {}
        self._resolve_memo: dict[tuple, tuple[str, ...]] = {}

    def is_dir(self, relpath: str) -> bool:
        return relpath == "." or relpath in self.directories

    def files_under(self, directory: str) -> list[str]:
        return files_below(self.files, directory)

    def nix_under(self, directory: str, skip_underscore: bool = False) -> list[str]:
        return list(self.nix_under_tuple(directory, skip_underscore))

    def nix_under_tuple(self, directory: str, skip_underscore: bool = False) -> tuple[str, ...]:
        """:meth:`nix_under` as a shared, memoised tuple."""
        key = (directory, skip_underscore)
        found = self._nix_memo.get(key)
        if found is None:
            listed = files_below(self._nix_files, directory)
            if skip_underscore:
                base = 0 if directory in (".", "") else len(directory) + 1
                listed = [f for f in listed if not any(p.startswith("_") for p in f[base:].split("/"))]
            found = self._nix_memo[key] = tuple(listed)
        return found

    def matching(self, glob: str) -> tuple[list[str], list[str]]:
        """(files, directories) matching an anchored glob."""
        regex = compile_glob(glob)
        files = [f for f in self.files if regex.match(f)]
        directories = sorted(d for d in self.directories if regex.match(d))
        return files, directories


def resolve(ref: PathRef, index: FileIndex) -> list[str]:
    """The ``.nix`` files a path reference reaches."""
    return list(resolve_tuple(ref, index))


def resolve_tuple(ref: PathRef, index: FileIndex) -> tuple[str, ...]:
    """:func:`resolve` as a shared tuple, memoised on the index (what decides it: kind, target, usage)."""
    key = (ref.kind, ref.target, ref.usage, ref.skip_underscore)
    found = index._resolve_memo.get(key)
    if found is None:
        found = index._resolve_memo[key] = _resolve(ref, index)
    return found


def _resolve(ref: PathRef, index: FileIndex) -> tuple[str, ...]:
    if ref.kind == "exact":
        return tuple(_resolve_one(ref.target, ref, index))
    if ref.kind == "pattern":
        files, directories = index.matching(ref.target)
        reached = [f for f in files if f.endswith(".nix")]
        for directory in directories:
            reached += _resolve_one(directory, ref, index)
        return tuple(sorted(set(reached)))
    return ()


def _resolve_one(target: str, ref: PathRef, index: FileIndex) -> tuple[str, ...] | list[str]:
    if target in index.file_set:
        return [target] if target.endswith(".nix") else []
    if not index.is_dir(target):
        return []
    if ref.usage in ("src", "guard", "read", "doc"):
        return []
    if ref.module_like:
        default = "default.nix" if target == "." else f"{target}/default.nix"
        return [default] if default in index.file_set else []
    return index.nix_under_tuple(target, ref.skip_underscore)


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
    found_links: list[tuple] = []
    incomplete: list[str] = []
    queue = list(roots)
    position = 0
    memo = index._resolve_memo
    while position < len(queue):
        current = queue[position]
        position += 1
        if current not in facts:
            incomplete.append(f"{current} could not be analysed")
            continue
        if facts[current].has_errors:
            incomplete.append(f"{current} has syntax errors")
        for ref in facts[current].refs:
            targets = memo.get((ref.kind, ref.target, ref.usage, ref.skip_underscore))  # resolve_tuple, inlined
            if targets is None:
                targets = resolve_tuple(ref, index)
            if not targets:
                continue
            found_links.append((current, ref.usage, ref, targets))
            for target in targets:
                if target not in nodes:
                    nodes[target] = set()
                    queue.append(target)
    # Plain tuples made Link objects in one pass (a NamedTuple's own
    # constructor is a Python call: a third of this loop on the 4k bench).
    links = list(map(_as_link, found_links))
    from flakelint.flake import build_model

    model = build_model(repo, index) if "flake.nix" in repo.sources else None
    _propagate_contexts(nodes, links, configuration_seeds(model, index, nodes))
    # The first file of the graph (in path order) naming a framework that
    # loads files by convention; each file's marker comes with its facts.
    marked = [path for path in nodes if path in facts and facts[path].autowiring]
    autowired = facts[min(marked)].autowiring if marked else None
    return ImportGraph(
        roots=roots, nodes=nodes, refs=refs, incomplete=incomplete, autowired=autowired, model=model, links=links
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


def _propagate_contexts(nodes: dict[str, set[str]], links: list[Link], seeds: dict[str, set[str]]) -> None:
    # Only module imports pass a context on: the walk below follows those
    # edges alone (a pattern reaching every file of a directory adds many
    # edges that pass nothing). A reference's own contexts are worked out
    # once, not once per file it reaches (the links group the edges so).
    passing: dict[str, list[str]] = {}
    for path, contexts in seeds.items():
        nodes[path] |= contexts
    for link in links:
        ref = link.ref
        contexts = initial_contexts(ref)
        if contexts:
            for target in link.targets:
                nodes[target] |= contexts
        # home-manager.users.<u> scope is set by initial_contexts; patterns decide nothing
        if ref.scope is None and ref.kind == "exact" and (link.kind == "imports" or (link.kind == "import" and ref.anonymous)):
            passing.setdefault(link.source, []).extend(link.targets)
    work = [n for n, contexts in nodes.items() if contexts]
    while work:
        current = work.pop()
        for target in passing.get(current, ()):
            inherited = nodes[current] & MODULE_CONTEXTS
            if inherited - nodes[target]:
                nodes[target] |= inherited
                work.append(target)
    for link in links:
        if link.kind == "import" and not link.ref.anonymous:
            for target in link.targets:
                if not nodes[target]:
                    nodes[target].add(EXPRESSION)


def path_statuses(repo) -> list[tuple[PathRef, str, str]]:
    """(reference, status, path shown) of every checkable reference, files in path order (memoised on the repository).

    FL202 and FL203 ask the same question of every path: they share the answers
    (and run in one process, through ``Rule.shared``).
    """
    found = repo._cache.get("path_statuses")
    if found is None:
        checker = repo.path_checker
        found = repo._cache["path_statuses"] = [
            (ref, *checker.status(ref)) for _path, refs in sorted(repo.graph.refs.items()) for ref in checker.checkable(refs)
        ]
    return found


class PathChecker:
    """Does a path's target exist, and does git track it?

    Answers are memoised per target: home-manager refers to the repository
    root twenty times, and each answer about a directory scans every file
    below it.
    """

    def __init__(self, repo, index: FileIndex | None = None):
        import os

        self._lexists = os.path.lexists
        self._join = os.path.join
        self.root = repo.root
        self.index = index or FileIndex(repo.files)
        self.tracked = repo.flake.tracked
        self.nested = list(repo.flake.nested)
        self._memo: dict[tuple[str, bool], tuple[str, str]] = {}
        self._sorted_tracked: list[str] | None = None

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
        module_like = ref.module_like
        if ref.literal is not None and ref.usage not in ("import",) and not module_like:
            target = ref.literal
        key = (target, module_like)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._status(target, module_like)
        return found

    def _status(self, target: str, module_like: bool) -> tuple[str, str]:
        index = self.index
        nested = self._nested_root(target)
        if nested is not None:
            return self._nested_status(target), target
        if index.is_dir(target) and module_like:
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
        if self.tracked is not None and self._tracked_below(target + "/"):
            return "ok", target  # tracked content, not checked out in this work tree
        if self._lexists(self._join(self.root, target)):
            return "ignored", target
        return "missing", target

    def _tracked_below(self, prefix: str) -> bool:
        """``any(t.startswith(prefix) for t in self.tracked)``, by bisection of the sorted tracked paths."""
        if self._sorted_tracked is None:
            self._sorted_tracked = sorted(self.tracked)
        tracked = self._sorted_tracked
        at = bisect.bisect_left(tracked, prefix)
        return at < len(tracked) and tracked[at].startswith(prefix)

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
        if target in self.tracked or self._tracked_below(target + "/"):
            return "ok"
        return "untracked"

    def _tracked_status(self, path: str) -> str:
        if self.tracked is None or path in self.tracked:
            return "ok"
        return "untracked"
