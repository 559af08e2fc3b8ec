"""Glob patterns over repository-relative paths.

``*`` and ``?`` stay within one path component, ``**`` crosses components,
``[abc]``/``[a-z]``/``[!abc]`` are character classes. Used for config globs
(gitignore-like: a pattern without a slash matches at any depth, and a
directory pattern matches everything below it) and for the import graph's
path patterns (anchored at the flake root). :func:`files_below` answers the
plainest such question, "everything below this directory", from a sorted
listing without looking at the rest of it.
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache


@lru_cache(maxsize=1024)
def compile_glob(pattern: str, anchored: bool = True, match_below: bool = False) -> re.Pattern:
    out = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
            continue
        if pattern.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        char = pattern[index]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            # A `]` right after the opening (or after `!`) is a literal member.
            negate = pattern.startswith("[!", index)
            first = index + (2 if negate else 1)
            close = pattern.find("]", first + 1)
            if close == -1:
                out.append(re.escape(char))
            else:
                members = "".join(
                    c if c == "-" and 0 < i < close - first - 1 else re.escape(c)
                    for i, c in enumerate(pattern[first:close])
                )
                out.append(f"[{'^/' if negate else ''}{members}]")
                index = close + 1
                continue
        else:
            out.append(re.escape(char))
        index += 1
    prefix = "" if anchored else "(?:.*/)?"
    below = "(?:/.*)?" if match_below else ""
    return re.compile(f"^{prefix}{''.join(out)}{below}$", re.S)



def path_glob_regex(pattern: str) -> re.Pattern:
    """The gitignore-like regex of a config glob (raises re.error when invalid)."""
    anchored = "/" in pattern.rstrip("/")
    body = pattern.strip("/") if anchored else pattern.rstrip("/")
    return compile_glob(body, anchored=anchored, match_below=True)


def path_glob_match(pattern: str, path: str) -> bool:
    """gitignore-like: a pattern without a slash matches at any depth; a directory matches below it."""
    return bool(path_glob_regex(pattern).match(path))


def files_below(files: list[str], directory: str) -> list[str]:
    """The paths of the sorted list ``files`` below ``directory`` (all of them for ``.``), by bisection."""
    if directory in (".", ""):
        return list(files)
    prefix = directory.rstrip("/") + "/"
    start = bisect.bisect_left(files, prefix)
    end = bisect.bisect_left(files, prefix[:-1] + "0", start)  # "0" sorts right after "/"
    return files[start:end]
