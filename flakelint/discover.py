"""Which files form the repository, and where each flake's root is.

A flake only sees what git tracks, so when the root is in a git work tree the
file list comes from ``git ls-files`` (tracked, plus untracked files that are
not ignored, which rules such as FL203 need to tell apart). Otherwise a walk
that never follows a symlinked directory and skips ``.git/`` and ``result*``
links. Directories below the root with their own ``flake.nix`` are separate
flakes, analysed as their own roots.

git is run read-only and hardened, so that a hostile repository's
configuration cannot make flakelint run anything: no fsmonitor hook, no hooks
at all, no pager, no system config, no optional locks (nothing is written to
``.git``), no prompt, no network (lazy fetches of a partial clone included).
Only the fixed commands below are ever run.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field

GIT_TIMEOUT_SECONDS = 60


class DiscoveryError(Exception):
    """PATH cannot be linted at all (does not exist): a usage error."""


@dataclass
class Flake:
    """One flake root (or a plain directory with no ``flake.nix``) and its files."""

    root: str  # absolute, normalised
    files: list[str] = field(default_factory=list)  # relative, '/'-separated, sorted
    tracked: frozenset[str] | None = None  # None when git is not available here
    is_git: bool = False
    git_problem: str | None = None
    nested: list[str] = field(default_factory=list)  # roots of nested flakes, relative
    parent: str | None = None  # absolute root of the enclosing flake, if nested
    is_template: bool = False  # declared as a template by its parent (set by the engine)
    #: Files of this (nested) flake that its parent refers to directly: roots
    #: of its import graph as much as its own flake.nix (set by the engine).
    extra_roots: list[str] = field(default_factory=list)
    #: Answers about git shared by every flake of one listing (they are in
    #: the same work tree): asked once, not once per nested flake.
    git_facts: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def has_flake_nix(self) -> bool:
        return "flake.nix" in self.files

    def is_tracked(self, relpath: str) -> bool | None:
        return None if self.tracked is None else relpath in self.tracked


@dataclass
class Target:
    """What one PATH argument asks for: flakes to analyse, maybe one file to report on."""

    flakes: list[Flake]
    only_file: str | None = None  # absolute path when PATH named a single file


def find_flake_root(start: str) -> str | None:
    """The nearest directory at or above ``start`` holding ``flake.nix``.

    As in Nix, the search stops at the top of a git repository (a directory
    holding ``.git``) and at a file-system boundary: a repository without a
    flake inside a home directory with one must not make the whole home
    directory the root.
    """
    current = os.path.abspath(start)
    device = _device(current)
    while True:
        if os.path.isfile(os.path.join(current, "flake.nix")):
            return current
        if os.path.lexists(os.path.join(current, ".git")):
            return None
        parent = os.path.dirname(current)
        if parent == current or _device(parent) != device:
            return None
        current = parent


def _device(path: str) -> int | None:
    try:
        return os.stat(path).st_dev
    except OSError:
        return None


def discover(path: str) -> Target:
    if not os.path.lexists(path):
        raise DiscoveryError(f"{path}: no such file or directory")
    absolute = os.path.abspath(path)
    only_file = None
    start = absolute
    if not os.path.isdir(absolute):
        only_file = absolute
        start = os.path.dirname(absolute)
    root = find_flake_root(start) or start
    top = _list_files(root)
    return Target(flakes=split_nested_flakes(top), only_file=only_file)


def _list_files(root: str) -> Flake:
    flake = Flake(root=os.path.normpath(root))
    listing = _git_listing(flake.root)
    if isinstance(listing, tuple):
        files, tracked, toplevel = listing
        flake.files, flake.tracked, flake.is_git = files, tracked, True
        flake.git_facts["toplevel"] = toplevel
    else:
        flake.git_problem = listing
        flake.files = _walk(flake.root)
    flake.files = [f for f in flake.files if "result" not in f or not _is_result_link(flake.root, f)]
    flake.files.sort()
    return flake


#: Options before every git command. ``-c`` on the command line beats every
#: config file, the repository's own ``.git/config`` (and what it includes)
#: too: a command it names for fsmonitor or a hook is never run.
GIT_OPTIONS = (
    "--no-pager",
    "-c", "core.fsmonitor=false",
    "-c", "core.untrackedCache=false",
    "-c", "core.hooksPath=/dev/null",
    "-c", "protocol.allow=never",
)  # fmt: skip
#: The environment git gets on top of the caller's (minus every ``GIT_*``).
GIT_ENVIRONMENT = {
    "GIT_CONFIG_NOSYSTEM": "1",  # no /etc/gitconfig
    "GIT_PAGER": "cat",  # beats core.pager, should --no-pager ever be dropped
    "GIT_OPTIONAL_LOCKS": "0",  # never refresh (write) the index
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_NO_LAZY_FETCH": "1",  # a partial clone never fetches missing objects
    "LC_ALL": "C",
}


def _git_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_ENVIRONMENT)
    return env


def _run_git(root: str, *args: str) -> subprocess.CompletedProcess | None:
    return _finish_git(_start_git(root, *args))


def _start_git(root: str, *args: str) -> subprocess.Popen | None:
    try:
        return subprocess.Popen(
            ["git", *GIT_OPTIONS, "-C", root, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_git_environment(),
        )
    except OSError:
        return None


def _finish_git(process: subprocess.Popen | None) -> subprocess.CompletedProcess | None:
    """What a started git command printed (None when it could not start or took over GIT_TIMEOUT_SECONDS)."""
    if process is None:
        return None
    try:
        stdout, stderr = process.communicate(timeout=GIT_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return None
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _git_listing(root: str) -> tuple[list[str], frozenset[str], str | None] | str | None:
    """(files, tracked, work tree top) from git, a reason string when git failed, None when not a work tree.

    One ``rev-parse`` answers both whether ``root`` is in a work tree and
    where that work tree starts (which :attr:`flakelint.repo.Repo.git_toplevel`
    would otherwise ask git for again): each git process costs 5-10 ms. The
    listings are started at the same time, and their answers used only when
    the probe says ``root`` is in a work tree: the index's files (with the
    tracked ones deleted from the work tree) and the untracked files, each
    about half of one ``ls-files`` doing both (15 ms at 4,000 files).
    """
    started = [
        _start_git(root, "rev-parse", "--is-inside-work-tree", "--show-toplevel"),
        _start_git(root, "ls-files", "-z", "-t", "--cached", "--deleted"),
        _start_git(root, "ls-files", "-z", "-t", "--others", "--exclude-standard"),
    ]
    probe, indexed, untracked = (_finish_git(process) for process in started)
    if probe is None:
        return None
    answer = probe.stdout.split(b"\n")
    if probe.returncode != 0 or answer[0].strip() != b"true":
        stderr = probe.stderr.decode("utf-8", "replace")
        if "not a git repository" in stderr or answer[0].strip() == b"false":
            return None
        return _git_reason(stderr) or "git rev-parse failed"
    toplevel = os.fsdecode(answer[1].strip()) if len(answer) > 1 else ""
    for listing in (indexed, untracked):
        if listing is None or listing.returncode != 0:
            reason = _git_reason(listing.stderr.decode("utf-8", "replace")) if listing else "git did not answer"
            return reason or "git ls-files failed"
    files: set[str] = set()
    tracked: set[str] = set()
    deleted: set[str] = set()
    # One decode for the whole listing, then split: the same names as
    # decoding each entry (a NUL never ends a multi-byte sequence).
    for entry in os.fsdecode(indexed.stdout + untracked.stdout).split("\0"):
        if len(entry) < 3:
            continue
        tag, name = entry[:1], entry[2:]
        if tag == "R":
            # Tracked but deleted in the work tree: git's --deleted is its
            # own lstat failing, so no lstat per file is needed here.
            deleted.add(name)
            continue
        if tag == "S" and not os.path.lexists(os.path.join(root, name)):
            continue  # skip-worktree (sparse checkout): git does not check those
        files.add(name)
        if tag != "?":
            tracked.add(name)
    files -= deleted
    return sorted(files), frozenset(tracked - deleted), os.path.normpath(toplevel) if toplevel else None


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _git_reason(stderr: str) -> str:
    """git's own summary: its last ``fatal:`` line (``index file corrupt``), else its first line."""
    fatal = [line.strip() for line in stderr.splitlines() if line.startswith("fatal:")]
    return fatal[-1] if fatal else _first_line(stderr)


def _walk(root: str) -> list[str]:
    """Every file below ``root`` without git: no ``.git/``, no symlinked directories.

    A symlinked directory is listed as an entry itself (never entered), so a
    ``*.nix`` link to a directory or outside the root is still reported.
    """
    found = []
    for directory, dirnames, filenames in os.walk(root, followlinks=False, onerror=lambda _err: None):
        relative_dir = os.path.relpath(directory, root)
        prefix = "" if relative_dir == "." else relative_dir.replace(os.sep, "/") + "/"
        linked = [d for d in dirnames if os.path.islink(os.path.join(directory, d))]
        dirnames[:] = sorted(d for d in dirnames if d != ".git" and d not in linked)
        found.extend(prefix + name for name in filenames)
        found.extend(prefix + name for name in linked)
    return found


def _is_result_link(root: str, relpath: str) -> bool:
    name = relpath.rsplit("/", 1)[-1]
    if not (name == "result" or name.startswith("result-")):
        return False
    return os.path.islink(os.path.join(root, relpath))


def looks_like_flake(path: str) -> bool:
    """Is this ``flake.nix`` a flake (a set with ``outputs``/``inputs``), not a module named so?

    Some repositories keep a NixOS module called ``flake.nix`` in a
    subdirectory; only a real flake starts a separate root. When the file
    cannot be read or parsed, it is taken to be a flake, as before.
    """
    from flakelint import nixast
    from flakelint.parse import parse_source, read_source

    data = read_source(path, "flake.nix", os.path.dirname(path), 1024 * 1024)
    if not isinstance(data, bytes):
        return True
    try:
        source = parse_source(data, "flake.nix")
    except Exception:  # noqa: BLE001 - discovery must never fail on content
        return True
    body = nixast.unwrap(source.root_node.child_by_field_name("expression"))
    if body is None or body.type not in ("attrset_expression", "rec_attrset_expression"):
        return body is None
    names = {
        (nixast.binding_path(data, b) or [None])[0]
        for binding_set in body.named_children
        if binding_set.type == "binding_set"
        for b in binding_set.named_children
        if b.type == "binding"
    }
    return bool(names & {"outputs", "inputs", "description", "nixConfig"})


def split_nested_flakes(top: Flake) -> list[Flake]:
    """Split one listing into the top flake and every nested flake below it."""
    roots = sorted(
        (
            f[: -len("/flake.nix")]
            for f in top.files
            if f.endswith("/flake.nix") and looks_like_flake(os.path.join(top.root, f))
        ),
        key=lambda r: (-r.count("/"), r),
    )
    if not roots:
        return [top]
    buckets: dict[str, list[str]] = {r: [] for r in roots}
    # A file outside the first directory of every nested root (most files)
    # is the top flake's after one lookup.
    firsts = {r.partition("/")[0] for r in roots}
    remaining = []
    for relpath in top.files:
        owner = next(_roots_above(relpath, buckets), None) if relpath.partition("/")[0] in firsts else None
        if owner is None:
            remaining.append(relpath)
        else:
            buckets[owner].append(relpath[len(owner) + 1 :])
    tracked_under: dict[str, set[str]] = {r: set() for r in roots}
    for path in top.tracked or ():
        if path.partition("/")[0] in firsts:
            for root in _roots_above(path, tracked_under):
                tracked_under[root].add(path[len(root) + 1 :])
    result = [
        Flake(
            root=top.root,
            files=remaining,
            tracked=top.tracked,
            is_git=top.is_git,
            git_problem=top.git_problem,
            nested=sorted(roots),
            git_facts=top.git_facts,
        )
    ]
    for r in sorted(roots):
        tracked = frozenset(tracked_under[r]) if top.tracked is not None else None
        children = sorted(other for other in roots if other.startswith(r + "/"))
        result.append(
            Flake(
                root=os.path.join(top.root, r),
                files=sorted(buckets[r]),
                tracked=tracked,
                is_git=top.is_git,
                git_problem=top.git_problem,
                nested=[c[len(r) + 1 :] for c in children],
                parent=top.root,
                git_facts=top.git_facts,
            )
        )
    return result


def _roots_above(relpath: str, roots):
    """The members of ``roots`` that are directories above ``relpath``, deepest first.

    One set lookup per directory level of the path, instead of testing every
    root against every file (home-manager lists 4,600 files and 4 nested flakes).
    """
    cut = relpath.rfind("/")
    while cut > 0:
        prefix = relpath[:cut]
        if prefix in roots:
            yield prefix
        cut = relpath.rfind("/", 0, cut)


def git_toplevel(root: str) -> str | None:
    """The top of the git work tree holding ``root`` (None outside git)."""
    result = _run_git(root, "rev-parse", "--show-toplevel")
    if result is None or result.returncode != 0:
        return None
    top = os.fsdecode(result.stdout.strip())
    return os.path.normpath(top) if top else None
