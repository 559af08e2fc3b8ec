"""Which files each configuration uses: the module closures the layout rules ask about.

A closure starts at a configuration's module list (as :mod:`flakelint.flake`
evaluated it) and follows every path the import graph knows (``imports``,
``import``, ``home-manager.users.<u>``, values). It is *complete* only when
nothing on the way was computed (``./hosts/${name}``), unparsable, or
unknown; the layout rules decide only on complete closures and stay silent
otherwise.
"""

from __future__ import annotations

import bisect

from flakelint.facts import MODULE_USAGES
from flakelint.graph import FileIndex, directories_above, resolve_tuple

#: Usages a closure follows: module and expression imports, plus paths given
#: as values (``modules = mkHost ./hosts/x``) and loader trees.
FOLLOWED = MODULE_USAGES | {"value", "tree"}
MAX_FILES = 20_000


class Closure:
    """The repository files a configuration uses, and whether that is all of them.

    Held as the reachability bit set of those files (plus starts the graph
    does not know): on the 4k bench each of 40 hosts reaches 3,111 files,
    and naming them all for every host (0.025 CPU-s, more for their
    directories) is needed only when a finding lists them. :meth:`touches`
    and :meth:`holds` answer from the bits.
    """

    __slots__ = ("complete", "_files", "_bits", "_reach", "_loose", "_dirs")

    def __init__(self, files=None, complete: bool = True, *, bits: int = 0, reach=None, loose: frozenset = frozenset()):
        self.complete = complete
        self._files = frozenset(files) if files is not None else None
        self._bits = bits
        self._reach = reach
        self._loose = loose
        self._dirs = None

    @property
    def files(self) -> frozenset[str]:
        if self._files is None:
            self._files = self._reach.nodes(self._bits) | self._loose
        return self._files

    def with_complete(self, complete: bool) -> "Closure":
        """The same files, complete or not."""
        if self._files is not None:
            return Closure(self._files, complete)
        return Closure(None, complete, bits=self._bits, reach=self._reach, loose=self._loose)

    def holds(self, path: str) -> bool:
        """``path in self.files``."""
        if self._files is not None:
            return path in self._files
        index = self._reach._names.get(path)
        return (index is not None and self._bits >> index & 1 == 1) or path in self._loose

    def touches(self, directory: str) -> bool:
        """Does the closure hold a file under ``directory`` (``any(is_under(f, directory) for f in files)``)?"""
        if directory in (".", ""):
            return bool(self._bits or self._loose) if self._files is None else bool(self._files)
        directory = directory.rstrip("/")
        if self._files is None:
            if self._bits & self._reach.mask_under(directory):
                return True
            return any(directory in _ancestors(path) for path in self._loose)
        return directory in self._directories()

    def _directories(self) -> frozenset[str]:
        # Every directory above a file of the closure, worked out once (a
        # closure is asked about many host and home directories).
        found = self._dirs
        if found is None:
            found = self._dirs = frozenset(directories_above(self.files))
        return found


def layout_of(repo):
    """The layout the rules check against (None: no known layout, or a template)."""
    from flakelint.layout import choice_for_repo

    if repo.flake.is_template:
        return None
    return choice_for_repo(repo).layout


def model_fully_known(repo) -> bool:
    """Are all of the flake's configurations (and their module lists) known?"""
    graph = repo.graph
    model = graph.model
    if model is None or graph.autowired or model.unknown:
        return False
    return all(c.complete for c in model.configurations)


def graph_complete(repo) -> bool:
    graph = repo.graph
    return "flake.nix" in graph.roots and not graph.incomplete and not graph.autowired


def node_at(source, start: int):
    """The outermost expression that starts at byte ``start``."""
    node = source.root_node.descendant_for_byte_range(start, start)
    while node is not None and node.parent is not None and node.parent.start_byte == start and node.parent.type != "source_code":
        node = node.parent
    return node


def configuration_closure(repo, configuration) -> Closure:
    """The repository files one configuration uses (memoised per configuration)."""
    memo = repo._cache.setdefault("closures", {})
    key = (configuration.kind, configuration.name, configuration.file, configuration.start)
    if key not in memo:
        memo[key] = _configuration_closure(repo, configuration)
    return memo[key]


def _configuration_closure(repo, configuration) -> Closure:
    index = repo.file_index
    complete = configuration.complete
    starts: list[str] = []
    inline_refs = []
    for entry in configuration.modules:
        if entry.kind == "path":
            target = entry.target
            if index.is_dir(target):
                target = "default.nix" if target == "." else f"{target}/default.nix"
            starts.append(target)
        elif entry.kind == "inline":
            source = repo.sources.get(entry.file)
            node = node_at(source, entry.start) if source is not None else None
            if node is None:
                complete = False
                continue
            inline_refs += [r for r in repo.graph.refs.get(entry.file, []) if node.start_byte <= r.start < node.end_byte]
        elif entry.kind != "external":
            complete = False
    found = closure_of(repo, starts, inline_refs)
    return found.with_complete(found.complete and complete)


def closure_of(repo, starts: list[str], extra_refs=()) -> Closure:
    """Every repository file reachable from ``starts`` (and ``extra_refs``)."""
    reach = reachability(repo)
    index = repo.file_index
    complete = True
    starts = list(starts)
    for ref in extra_refs:
        targets, certain = _follow(ref, index)
        starts += targets
        complete = complete and certain
    bits, loose, certain = reach.closure_bits(starts)
    complete = complete and certain
    count = bits.bit_count() + len(loose)  # the known nodes and the others are apart
    return Closure(None, complete and count <= MAX_FILES, bits=bits, reach=reach, loose=loose)


class Reachability:
    """What each node of a directed graph reaches, for all nodes at once, as bit sets.

    Computed once from the strongly connected components of the graph
    (Tarjan's algorithm, iteratively, so a deep chain of imports cannot
    overflow the stack): a component reaches itself plus what its successors
    reach, and is *certain* when all of that is. Forty host closures over the
    same shared modules then cost forty ORs of integers, not forty walks.
    ``successors`` maps a node to the nodes it leads to; ``certain`` says
    whether a node's successors are all known (default: a node with an
    entry in ``successors`` is certain, any other is ``leaf_certain(node)``).
    """

    def __init__(self, successors: dict, certain: dict | None = None, leaf_certain=lambda node: True):
        self._leaf_certain = leaf_certain
        names: dict = {}
        for node, targets in successors.items():
            names.setdefault(node, len(names))
            for target in targets:
                names.setdefault(target, len(names))
        self._names = names
        self._nodes = list(names)
        graph = [[] for _ in self._nodes]
        sure = [leaf_certain(node) for node in self._nodes]
        for node, targets in successors.items():
            index = names[node]
            graph[index] = [names[t] for t in targets]
            sure[index] = True if certain is None else certain[node]
        self._reach, self._complete = _close(graph, sure)
        self._sorted: tuple[list[str], list[int]] | None = None  # the paths in order, and their indices
        self._masks: dict[str, int] = {}

    def of(self, node) -> tuple[int, bool] | None:
        """(bit set, certain) of what ``node`` reaches; None for a node the graph does not know."""
        index = self._names.get(node)
        if index is None:
            return None
        return self._reach[index], self._complete[index]

    def reached(self, starts) -> frozenset:
        """Every node reachable from ``starts``, the starts included."""
        return self.closure(starts)[0]

    def closure(self, starts) -> tuple[frozenset, bool]:
        """(every node reachable from ``starts``, whether all of them are certain).

        A start the graph does not know is a leaf of its own (``leaf_certain``).
        """
        bits, loose, certain = self.closure_bits(starts)
        return self.nodes(bits) | loose, certain

    def closure_bits(self, starts) -> tuple[int, frozenset, bool]:
        """:meth:`closure` as (bit set of the known nodes, the starts the graph does not know, certain)."""
        bits = 0
        loose = set()
        certain = True
        for node in starts:
            found = self.of(node)
            if found is None:
                loose.add(node)
                certain = certain and self._leaf_certain(node)
            else:
                bits |= found[0]
                certain = certain and found[1]
        return bits, frozenset(loose), certain

    def mask_under(self, directory: str) -> int:
        """The bit set of the nodes (paths) below ``directory`` (memoised)."""
        masks = self._masks
        if directory not in masks:
            if self._sorted is None:
                pairs = sorted((name, index) for index, name in enumerate(self._nodes) if isinstance(name, str))
                self._sorted = ([name for name, _ in pairs], [index for _, index in pairs])
            names, indices = self._sorted
            mask = 0
            if directory:
                # The paths that start with "<directory>/": "0" sorts right after "/".
                start = bisect.bisect_left(names, directory + "/")
                for index in indices[start : bisect.bisect_left(names, directory + "0", start)]:
                    mask |= 1 << index
            masks[directory] = mask
        return masks[directory]

    def nodes(self, bits: int) -> frozenset:
        names = self._nodes
        found = []
        for index, byte in enumerate(bits.to_bytes((bits.bit_length() + 7) // 8, "little")):
            if byte:
                base = index * 8
                found += [names[base + bit] for bit in _BITS_OF_BYTE[byte]]
        return frozenset(found)


def _ancestors(path: str) -> list[str]:
    """The directories above a path, deepest first (``a/b/c.nix``: ``a/b``, ``a``)."""
    found = []
    end = path.rfind("/")
    while end > 0:
        found.append(path[:end])
        end = path.rfind("/", 0, end)
    return found


#: The positions of the set bits of each byte value (bit sets to names, a byte at a time).
_BITS_OF_BYTE = tuple(tuple(bit for bit in range(8) if value >> bit & 1) for value in range(256))


def _close(successors: list[list[int]], certain: list[bool]) -> tuple[list[int], list[bool]]:
    """Per node: the bit set of nodes it reaches (itself included), and whether all of them are certain."""
    count = len(successors)
    reach = [0] * count
    complete = [True] * count
    order = [-1] * count  # Tarjan's discovery index
    low = [0] * count
    on_stack = [False] * count
    stack: list[int] = []
    counter = 0
    for root in range(count):
        if order[root] != -1:
            continue
        work = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                order[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack[node] = True
            descended = False
            children = successors[node]
            while position < len(children):
                child = children[position]
                position += 1
                if order[child] == -1:
                    work.append((node, position))
                    work.append((child, 0))
                    descended = True
                    break
                if on_stack[child]:
                    low[node] = min(low[node], order[child])
            if descended:
                continue
            if work:  # the entry below is the parent this node was reached from
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == order[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    members.append(member)
                    if member == node:
                        break
                inside = set(members)
                bits = 0
                sure = True
                for member in members:
                    bits |= 1 << member
                    sure = sure and certain[member]
                # Successors outside the component were finished before it (Tarjan's order).
                for member in members:
                    for child in successors[member]:
                        if child not in inside:
                            bits |= reach[child]
                            sure = sure and complete[child]
                for member in members:
                    reach[member] = bits
                    complete[member] = sure
    return reach, complete


def reachability(repo) -> Reachability:
    """Which files each file of the graph reaches (memoised on the repository)."""
    if "reachability" not in repo._cache:
        steps = _steps(repo)
        repo._cache["reachability"] = Reachability(
            {path: targets for path, (targets, _certain) in steps.items()},
            {path: certain for path, (_targets, certain) in steps.items()},
            # A file with no facts was not parsed: what it imports is unknown.
            leaf_certain=lambda path: not path.endswith(".nix"),
        )
    return repo._cache["reachability"]


def _follow(ref, index: FileIndex) -> tuple[list[str], bool]:
    """(files one reference leads a closure to, whether that is certain)."""
    if ref.usage not in FOLLOWED:
        return [], True
    if ref.kind == "pattern":
        return [], False
    if ref.kind == "exact":
        return resolve_tuple(ref, index), True  # shared tuple: read, never changed
    return [], True


def _steps(repo) -> dict[str, tuple[tuple[str, ...], bool]]:
    """Per parsed file: (files its references lead to, whether that is all of them).

    Worked out once per repository, so that forty host closures over the
    same shared modules resolve each reference once, not forty times.
    """
    if "closure_steps" in repo._cache:
        return repo._cache["closure_steps"]
    index = repo.file_index
    sources = repo.sources
    steps = {}
    for path, refs in repo.graph.refs.items():
        source = sources.get(path)
        certain = source is not None and not source.has_error
        targets: list[str] = []
        for ref in refs:
            found, sure = _follow(ref, index)
            targets += found
            certain = certain and sure
        steps[path] = (tuple(targets), certain)
    repo._cache["closure_steps"] = steps
    return steps


def host_closures(repo, kinds=("nixos", "darwin")) -> list[tuple[object, Closure]]:
    """(configuration, closure) for every system configuration the model knows."""
    model = repo.graph.model
    if model is None:
        return []
    return [(c, configuration_closure(repo, c)) for c in model.configurations if c.kind in kinds]


def output_name(configuration) -> str:
    return {"nixos": "nixosConfigurations", "darwin": "darwinConfigurations", "home-manager": "homeConfigurations"}.get(
        configuration.kind, configuration.kind
    )


def dir_of(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else "."


def is_under(path: str, directory: str) -> bool:
    return directory in (".", "") or path.startswith(directory.rstrip("/") + "/")


def directories_without_entry(repo, locate, entries: tuple[str, ...]) -> list[tuple[str, str]]:
    """(directory, its first ``.nix`` file) for each directory ``locate`` finds that lacks every entry file.

    ``locate(path)`` gives (name, directory) for a path inside one (a host or
    home directory of the layout). Frameworks that build one configuration
    per directory skip such a directory silently. Dot-named directories are
    switched off on purpose; a directory with ``.nix`` files only further
    down (blueprint's ``hosts/<h>/users/``) is not reported.
    """
    directories: dict[str, list[str]] = {}
    for path in repo.files:
        found = locate(path)
        if found is not None and found[0] and not found[0].startswith("."):
            directories.setdefault(found[1], []).append(path)
    missing = []
    for directory, paths in sorted(directories.items()):
        direct = sorted(p for p in paths if "/" not in p[len(directory) + 1 :])
        if any(p.rsplit("/", 1)[-1] in entries for p in direct):
            continue
        nix_files = [p for p in direct if p.endswith(".nix")]
        if nix_files:
            missing.append((directory, nix_files[0]))
    return missing
