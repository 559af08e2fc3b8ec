"""The result cache: an unchanged flake is not parsed or analysed twice.

One entry per flake root, in the user's cache directory (``$FLAKELINT_CACHE_DIR``,
else ``$XDG_CACHE_HOME/flakelint``, else ``~/.cache/flakelint``) — never in the
linted repository. An entry holds the raw findings of every rule that does
not read the clock, before suppressions and selection are applied, plus the
few facts the engine carries from one flake to its nested flakes.

The key is a SHA-256 over everything those findings depend on:

- flakelint's version and a fingerprint of its installed code and data
  (size and modification time of every file of the package, so an edited
  checkout never reuses a stale entry);
- the effective settings (selection, per-file ignores, excludes, size
  limit, rule options);
- the flake's context: its root, the files git lists and which of them are
  tracked, nested flakes, template status, paths its parent refers to;
- the bytes of every ``.nix`` file and of ``flake.lock`` (or why a file could
  not be read), and size and modification time of every other file (rules
  such as FL501 read them) but the run's own untracked report file, which
  no rule reads (:func:`flakelint.engine.own_reports`). A ``.nix`` file whose ``lstat`` matches the one
  remembered with its hash is not read again: its remembered hash stands in
  (see "file stamps" below).

Rules that read the clock (FL108, FL109) are not in the entry: their
findings are kept apart, with the interval of time in which they stay the
same ("clock findings" below), so a warm run returns exactly what a cold
one would at any "now".
Entries are written to a temporary file and renamed into place, so two
concurrent runs (two pre-commit hooks) never see a torn entry; any entry
that cannot be read or parsed is treated as a miss.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import NamedTuple

from flakelint import __version__
from flakelint.diagnostic import Diagnostic, Position

FORMAT = 1


def cache_dir() -> str:
    """The cache directory, as a string (``pathlib`` would cost a warm run 4 ms of imports)."""
    explicit = os.environ.get("FLAKELINT_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "flakelint")


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Size and mtime of every file of the installed package (engine, rules, data)."""
    import flakelint
    import flakelint.rules

    digest = hashlib.sha256(__version__.encode())
    roots = sorted({os.path.dirname(flakelint.__file__), *flakelint.rules.__path__})
    for root in roots:
        for directory, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if name.endswith((".py", ".toml")):
                    path = os.path.join(directory, name)
                    try:
                        info = os.stat(path)
                    except OSError:
                        continue
                    digest.update(f"{path}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def settings_fingerprint(settings) -> str:
    data = {key: value for key, value in vars(settings).items() if key != "source"}
    return json.dumps(data, sort_keys=True, default=sorted)


def flake_key(
    flake,
    settings,
    contents: dict[str, object],
    lock_bytes: bytes | None,
    toplevel: str | None,
    digest_of=None,
    unstamped: frozenset[str] = frozenset(),
) -> str:
    """The cache key of one flake's analysis (see the module docstring).

    ``digest_of(path)``: a readable file's content hash when the caller has
    it (an unchanged file's is the cache's own, :func:`known_files`).
    ``unstamped``: files no rule reads whose stamps are left out (the run's
    own report, :func:`flakelint.engine.own_reports`); their names count.
    """
    digest = hashlib.sha256()

    def add(*parts: object) -> None:
        for part in parts:
            digest.update(str(part).encode("utf-8", "surrogateescape"))
            digest.update(b"\0")

    add(FORMAT, code_fingerprint(), settings_fingerprint(settings))
    add(flake.root, flake.is_git, flake.git_problem, flake.parent, flake.is_template, toplevel)
    add(*flake.nested, "|", *flake.extra_roots, "|")
    tracked = flake.tracked
    # One update for all the files, of the bytes ``add`` would feed one part
    # at a time (the same key): a warm run computes this for every file.
    chunks: list[bytes] = []
    chunk = chunks.append

    def part(*parts: object) -> None:
        for item in parts:
            chunk(str(item).encode("utf-8", "surrogateescape") + b"\0")

    for relpath in flake.files:
        chunk(relpath.encode("utf-8", "surrogateescape"))
        chunk(b"\0T\0" if tracked is not None and relpath in tracked else b"\0U\0")
        content = contents.get(relpath)
        readable = _readable_digest(relpath, content, digest_of)
        if readable is not None:
            chunk(readable)
        elif content is not None:
            part(repr(content))
        elif relpath == "flake.lock" and lock_bytes is not None:
            chunk(hashlib.sha256(lock_bytes).digest())
        elif relpath in unstamped:
            part("report")
        else:
            try:
                info = os.lstat(os.path.join(flake.root, relpath))
                part(info.st_mode, info.st_size, info.st_mtime_ns)
            except OSError as exc:
                part("missing", exc.errno)
    digest.update(b"".join(chunks))
    listed = set(flake.files)
    for relpath, content in sorted(contents.items()):
        if relpath not in listed:  # directories named *.nix
            add(relpath, repr(content) if not isinstance(content, bytes) else hashlib.sha256(content).hexdigest())
    return digest.hexdigest()


def _readable_digest(relpath: str, content: object, digest_of) -> bytes | None:
    """The content hash of a file that was read as Nix text, or of one the stamps say is unchanged; else None.

    An unchanged file is the engine's ``Unchanged`` (not read, its hash
    remembered with its stamp): anything else but bytes is a reason the file
    could not be read, or None.
    """
    if isinstance(content, bytes):
        return digest_of(relpath) if digest_of is not None else content_digest(content)
    remembered = getattr(content, "digest", None)
    return remembered if isinstance(remembered, bytes) else None


# ---------------------------------------------------------------- file stamps
#
# A warm run must still know that every file is unchanged, but need not read
# and hash each one to know it: like git's index, an entry remembers for
# each ``.nix`` file the ``lstat`` taken just before it was read (device,
# inode, size, mode, modification and change times, in nanoseconds) with
# the hash of the bytes read. When a file's ``lstat`` is the same next time,
# its remembered hash stands in for reading it. The change time cannot be
# set from user space (any write or chmod moves it), and the stamp is taken
# before the read, so a file changed during or after the read no longer
# matches. A file changed within the same tick of the file system's clock
# as it was stamped could keep its times; so files changed less than
# ``RACY_SECONDS`` before the run began are not stamped (read again next
# time), as git does with "racily clean" entries. Stamps are used only by
# the same flakelint code with the same read settings (the size limit
# decides what is readable), and every stamped file must still be a regular
# file inside the flake (not a symlink): the checks made before reading it.

RACY_SECONDS = 2


class Known(NamedTuple):
    """A file's stamp, content hash, and whether its bytes hold ``flakelint:``.

    A named tuple rather than a frozen dataclass: a warm run makes one per
    file of the flake, and a tuple costs a third as much to make.
    """

    stamp: tuple
    digest: bytes
    has_directive: bool

    def matches(self, info: os.stat_result) -> bool:
        return _stamp(info) == self.stamp


def _stamp(info: os.stat_result) -> tuple:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mode, info.st_mtime_ns, info.st_ctime_ns)


def _read_context(settings) -> str:
    return f"{code_fingerprint()}:{settings.max_file_size}"


def known_files(entry: dict | None, settings) -> dict[str, Known]:
    """The stamped files of a stored entry, when they were read as this run would read them."""
    stamps = entry.get("stamps") if entry is not None else None
    if not isinstance(stamps, dict) or stamps.get("read") != _read_context(settings):
        return {}
    known: dict[str, Known] = {}
    try:
        for path, (stamp, digest, has_directive) in stamps["files"].items():
            known[path] = Known(tuple(stamp), bytes.fromhex(digest), bool(has_directive))
    except (KeyError, TypeError, ValueError, AttributeError):
        return {}
    return known


def file_stamps(seen: dict, sources, started_ns: int) -> dict[str, list]:
    """Stamps worth remembering: readable files not changed within RACY_SECONDS of the run's start."""
    newest = started_ns - RACY_SECONDS * 1_000_000_000
    stamps: dict[str, list] = {}
    for path, info in seen.items():
        if path not in sources or max(info.st_mtime_ns, info.st_ctime_ns) >= newest:
            continue
        stamps[path] = [list(_stamp(info)), sources.digest(path).hex(), sources.has_directive(path)]
    return stamps


def _flake_file(root: str, suffix: str) -> str:
    """A file of the cache directory for one flake root (its entry, clock findings, outcome pack)."""
    return os.path.join(cache_dir(), hashlib.sha256(root.encode("utf-8", "surrogateescape")).hexdigest()[:32] + suffix)


def _entry_path(root: str) -> str:
    return _flake_file(root, ".json")


def load(root: str, key: str) -> dict | None:
    """The cached entry for this flake when its key matches, else None."""
    return entry_for(read_entry(root), key)


def read_entry(root: str) -> dict | None:
    """The flake's entry as stored, whatever its key (None when absent or unreadable)."""
    try:
        with open(_entry_path(root), encoding="utf-8") as handle:
            entry = json.load(handle)
    except (OSError, ValueError):
        return None
    return entry if isinstance(entry, dict) and entry.get("format") == FORMAT else None


def entry_for(entry: dict | None, key: str) -> dict | None:
    """``entry`` with its findings, when it was stored under ``key``; else None."""
    if entry is None or entry.get("key") != key:
        return None
    try:
        entry["diagnostics"] = [_diagnostic(item) for item in entry["diagnostics"]]
    except (KeyError, TypeError, ValueError):
        return None
    return entry


# ------------------------------------------------------------ clock findings
#
# The rules that read the clock (FL108, FL109) give the same findings for a
# while: until an input's age crosses its limit or its next whole day, until
# the date changes. Each says for how long (``Rule.steady_between``), and
# their findings are kept in a small file of their own per flake with that
# interval and the flake's key: a later run whose key is the same and whose
# "now" lies in the interval reuses them (without importing those rules,
# parsing flake.nix or reading flake.lock: 0.02 s of a warm run of
# home-manager); any other run computes them again and keeps the new ones.


def _clock_path(root: str) -> str:
    return _flake_file(root, ".clock.json")


def load_clock(root: str, key: str, codes: list[str], now: float) -> list[Diagnostic] | None:
    """The clock rules' findings kept for this key and these rules, when ``now`` lies in their interval; else None."""
    try:
        with open(_clock_path(root), encoding="utf-8") as handle:
            kept = json.load(handle)
        if not isinstance(kept, dict) or kept.get("format") != FORMAT or kept.get("key") != key or kept.get("codes") != codes:
            return None
        start, end = kept["start"], kept["end"]
        if not ((start is None or start <= now) and (end is None or now < end)):
            return None
        return [_diagnostic(item) for item in kept["diagnostics"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def store_clock(root: str, key: str, codes: list[str], window: tuple[float, float], diagnostics: list[Diagnostic]) -> None:
    """Keep the clock rules' findings for ``window`` (start inclusive, end exclusive; infinite bounds allowed)."""
    start, end = window
    kept = {
        "format": FORMAT,
        "key": key,
        "codes": codes,
        "start": None if start == -math.inf else start,
        "end": None if end == math.inf else end,
        "diagnostics": [_plain(d) for d in diagnostics],
    }
    write_atomically(_clock_path(root), json.dumps(kept).encode("utf-8"))


def store(
    root: str,
    key: str,
    diagnostics: list[Diagnostic],
    analysed: int,
    templates: list[str],
    nested_refs: dict,
    stamps: dict | None = None,
    settings=None,
    layout: tuple[str, str] | None = None,
) -> None:
    """Write an entry atomically; a failure to write is not an error (no cache, same result)."""
    entry = {
        "format": FORMAT,
        "key": key,
        "analysed": analysed,
        "templates": templates,
        "nested_refs": {root_: sorted(paths) for root_, paths in nested_refs.items()},
        "diagnostics": [_plain(d) for d in diagnostics],
    }
    if stamps and settings is not None:
        entry["stamps"] = {"read": _read_context(settings), "files": stamps}
    if layout is not None:
        entry["layout"] = list(layout)
    write_atomically(_entry_path(root), json.dumps(entry).encode("utf-8"))


def stored_layout(entry: dict) -> tuple[str, str] | None:
    """The (preset, why) an entry keeps for the report, if it keeps one (it depends only on what the key covers)."""
    found = entry.get("layout")
    if isinstance(found, list) and len(found) == 2 and all(isinstance(part, str) for part in found):
        return found[0], found[1]
    return None


def write_atomically(path, data: bytes) -> None:
    """Write a file of the cache directory whole or not at all; a failure to write is not an error.

    The bytes go to a temporary file in the same directory (created private)
    that is then renamed into place: two runs at once (two pre-commit hooks)
    each see a complete file, the old one or the new one.
    """
    import tempfile  # only to write: a warm run never needs it (6 ms of imports)

    directory = os.path.dirname(path)
    temporary = None
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".write-", suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except OSError:
        if temporary is not None:
            try:
                os.unlink(temporary)
            except OSError:
                pass


def _plain(d: Diagnostic) -> dict:
    data = asdict(d)
    data["severity"] = int(d.severity)
    data["level"] = int(d.level) if d.level is not None else None
    data["redact"] = [list(pair) for pair in d.redact]
    return data


def _diagnostic(item: dict) -> Diagnostic:
    from flakelint.diagnostic import Severity

    end = item.get("end")
    return Diagnostic(
        code=item["code"],
        message=item["message"],
        path=item["path"],
        start=Position(**item["start"]),
        end=Position(**end) if end else None,
        hint=item.get("hint"),
        root=item.get("root", ""),
        name=item.get("name", ""),
        severity=Severity(item.get("severity", int(Severity.WARNING))),
        snippet=item.get("snippet"),
        level=Severity(item["level"]) if item.get("level") is not None else None,
        redact=tuple(tuple(pair) for pair in item.get("redact", [])),
    )


# ---------------------------------------------------------------- per-file outcomes
#
# When a flake's entry misses (a file was edited), the per-file stage still
# need not run on every file: the outcome of one file (its file rules'
# findings, path facts, rule summaries, suppressions) depends only on its
# path, its bytes, the settings and flakelint's code. The outcomes of a
# flake's files are kept in one pack per flake, next to its entry, so that
# a run after editing one file parses and analyses that one file; the
# repository rules then run as usual on the combined outcomes.
#
# The pack is a pickle (outcomes hold dataclasses of many kinds). Loading a
# pickle runs code named in it, so a pack is read only when it and its
# directory belong to the current user and nobody else may write them; the
# directory is created private (0700) and the pack written 0600.

FILES_FORMAT = 2  # 2: path facts carry the file's autowiring marker


def files_context(settings) -> str:
    """What every per-file outcome of a pack depends on besides the file itself."""
    digest = hashlib.sha256()
    for part in (FILES_FORMAT, code_fingerprint(), settings_fingerprint(settings)):
        digest.update(str(part).encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()


def content_digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _pack_path(root: str) -> str:
    return _flake_file(root, ".files.pickle")


def _private(info: os.stat_result) -> bool:
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


def load_outcomes(root: str, context: str) -> dict[str, tuple[bytes, object]]:
    """{path: (content digest, outcome)} from the flake's pack, when its context matches; else {}."""
    import pickle
    import stat

    path = _pack_path(root)
    try:
        if not _private(os.stat(os.path.dirname(path))):
            return {}
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return {}
    try:
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) or not _private(info):
                return {}
            pack = pickle.load(handle)
    except Exception:  # noqa: BLE001 - a torn or foreign pack is a miss, never an error
        return {}
    if not isinstance(pack, dict) or pack.get("context") != context or not isinstance(pack.get("files"), dict):
        return {}
    return pack["files"]


def store_outcomes(root: str, context: str, files: dict[str, tuple[bytes, object]]) -> None:
    """Write the flake's pack atomically; a failure to write is not an error."""
    import pickle

    try:
        data = pickle.dumps({"context": context, "files": files}, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - no pack, same results: never an error
        return
    write_atomically(_pack_path(root), data)
