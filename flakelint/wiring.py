"""Which files each configuration uses: the module closures the layout rules ask about.

A closure starts at a configuration's module list (as :mod:`flakelint.flake`
evaluated it) and follows every path the import graph knows (``imports``,
``import``, ``home-manager.users.<u>``, values). It is *complete* only when
nothing on the way was computed (``./hosts/${name}``), unparsable, or
unknown; the layout rules decide only on complete closures and stay silent
otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from flakelint.facts import MODULE_USAGES
from flakelint.graph import FileIndex, resolve

#: Usages a closure follows: module and expression imports, plus paths given
#: as values (``modules = mkHost ./hosts/x``) and loader trees.
FOLLOWED = MODULE_USAGES | {"value", "tree"}
MAX_FILES = 20_000


@dataclass(frozen=True)
class Closure:
    files: frozenset[str]
    complete: bool


def layout_of(repo):
    """The layout the rules check against (None: no known layout, or a template)."""
    from flakelint.layout import choice_for_repo

    if repo.flake.is_template:
        return None
    return choice_for_repo(repo).layout


def index_of(repo) -> FileIndex:
    if "file_index" not in repo._cache:
        repo._cache["file_index"] = FileIndex(repo.files)
    return repo._cache["file_index"]


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
    index = index_of(repo)
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
    return Closure(found.files, found.complete and complete)


def closure_of(repo, starts: list[str], extra_refs=()) -> Closure:
    """Every repository file reachable from ``starts`` (and ``extra_refs``)."""
    index = index_of(repo)
    refs_of = repo.graph.refs
    seen: set[str] = set()
    complete = True
    queue = list(starts)

    def follow(refs) -> None:
        nonlocal complete
        for ref in refs:
            if ref.usage not in FOLLOWED:
                continue
            if ref.kind == "pattern":
                complete = False
            elif ref.kind == "exact":
                queue.extend(resolve(ref, index))

    follow(extra_refs)
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        if len(seen) > MAX_FILES:
            return Closure(frozenset(seen), False)
        source_refs = refs_of.get(path)
        if source_refs is None:
            if path.endswith(".nix"):
                complete = False  # not parsed: what it imports is unknown
            continue
        source = repo.sources.get(path)
        if source is None or source.has_error:
            complete = False
        follow(source_refs)
    return Closure(frozenset(seen), complete)


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
