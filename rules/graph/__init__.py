"""FL2xx: the import graph (orphans, missing/untracked/escaping paths, duplicates, cycles, contexts)."""
