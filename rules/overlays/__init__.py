"""FL4xx: overlays and nixpkgs instances (overlay shape, self-reference, argument names, re-imports).

Shared helper of the family: every overlay the repository holds, found once
per run by :mod:`flakelint.overlays` and cached on the repository model.
"""

from __future__ import annotations

from flakelint.overlays import file_sites, overlays_of_site


def repo_overlays(repo) -> list[tuple[object, object, object, bool]]:
    """(source, site, expression, shape) for every overlay expression in the repository's files."""
    if "overlays" in repo._cache:
        return repo._cache["overlays"]
    nodes = repo.graph.nodes
    found = []
    seen: set[tuple[str, int]] = set()
    for path in sorted(repo.sources):
        source = repo.sources[path]
        if b"overlay" not in source.data and b"Extensions" not in source.data and not _in_overlay_dir(path):
            continue
        for site in file_sites(source, nodes.get(path)):
            for expression, shape, _strict in overlays_of_site(source.data, site):
                key = (path, expression.start_byte)
                if key in seen:
                    continue
                seen.add(key)
                found.append((source, site, expression, shape))
    repo._cache["overlays"] = found
    return found


def _in_overlay_dir(path: str) -> bool:
    from flakelint.overlays import is_overlay_file

    return is_overlay_file(path)
