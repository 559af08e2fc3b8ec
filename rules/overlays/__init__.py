"""FL4xx: overlays and nixpkgs instances (overlay shape, self-reference, argument names, re-imports).

Shared helpers of FL401-FL404: every overlay of one file, found by
:mod:`flakelint.overlays` where the file is parsed (the per-file stage, in
worker processes on large repositories), and summarised by each rule into
the few positions and names its check needs. Before, the repository stage
parsed again every file that mentions an overlay (108 files and 0.15 CPU-s
on home-manager) to walk trees that the workers had already had.
"""

from __future__ import annotations

from flakelint.overlays import file_sites, is_overlay_file, overlays_of_site

#: Graph contexts in which a file of an overlays directory is not an overlay
#: (it is a package or a module): its value is then no overlay site.
NOT_OVERLAY_CONTEXTS = frozenset({"package", "nixos", "home-manager", "darwin"})


def file_overlays(source) -> tuple[list, list] | None:
    """(expression, shape, site) of every overlay in one parsed file, in the order the sites list them.

    Two lists: the overlays of the sites found in the file's text, and
    those of the file's value as an overlay site (a file of an overlays
    directory, later in order and without the overlays already listed). The
    second list counts only when the import graph does not also use the
    file as a package or a module, which the per-file stage cannot know:
    :func:`overlay_summaries` keeps or drops it. None for a file that cannot
    hold an overlay (the bytes say so, no tree walked). Remembered on the
    source: FL401-FL404 each summarise the same overlays.
    """
    derived = source.derived
    if "overlays" not in derived:
        data = source.data
        if b"overlay" not in data and b"Extensions" not in data and not is_overlay_file(source.path):
            derived["overlays"] = None
        else:
            derived["overlays"] = _file_overlays(source)
    return derived["overlays"]


def _file_overlays(source) -> tuple[list, list]:
    in_text: list = []
    as_file: list = []
    seen: set[int] = set()
    for site in file_sites(source):  # no graph contexts: the file's own site is listed when it may count
        for expression, shape, _strict in overlays_of_site(source.data, site):
            if expression.start_byte in seen:
                continue
            seen.add(expression.start_byte)
            (as_file if site.where == "file" else in_text).append((expression, shape, site))
    return in_text, as_file


def summarize_overlays(source, findings) -> tuple[tuple, tuple] | None:
    """A rule's summary of one file's overlays: what ``findings(expression, shape, site)`` returns for each, flattened.

    (findings in the sites of the text, findings in the file's own site):
    small tuples of offsets and strings, never nodes. None when there are
    none (most files: a small pickle).
    """
    found = file_overlays(source)
    if found is None:
        return None
    in_text, as_file = found
    summary = tuple(f for o in in_text for f in findings(*o)), tuple(f for o in as_file for f in findings(*o))
    return summary if summary[0] or summary[1] else None


def overlay_layout(repo) -> tuple[list[str], frozenset[str]]:
    """The repository's paths in order, and the files of an overlays directory whose value is not an overlay site.

    Read by FL401-FL404 (memoised on the repository): a file of an overlays
    directory that the import graph also uses as a package or a module
    (its contexts) is not an overlay file.
    """
    if "overlay_layout" not in repo._cache:
        nodes = repo.graph.nodes
        excluded = frozenset(path for path, contexts in nodes.items() if contexts & NOT_OVERLAY_CONTEXTS and is_overlay_file(path))
        repo._cache["overlay_layout"] = (sorted(repo.sources), excluded)
    return repo._cache["overlay_layout"]


def overlay_summaries(rule, repo):
    """(source, findings) of ``rule``'s per-file summaries, in path order, each file's findings in overlay order."""
    paths, excluded = overlay_layout(repo)
    for path in paths:
        summary = repo.summary(rule, path)
        if not summary:
            continue
        in_text, as_file = summary
        found = in_text + as_file if as_file and path not in excluded else in_text
        if found:
            yield repo.sources[path], found
