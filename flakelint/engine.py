"""Runs the rules over every flake a PATH names and gathers the findings.

Fault isolation is the point of this module: a file that cannot be read
becomes FL002, a rule that raises becomes FL004 for that rule and file, and
everything else still runs. The order of the returned findings is stable
(path, line, column, code), so every report is byte-identical for identical
input.

A flake is linted in two stages. The per-file stage (:func:`analyse_files`:
parse, file rules, suppressions, path facts, the per-file summaries of
repository rules) sees each file on its own (a few at a time, step by step)
and returns small picklable results; on large flakes it runs in worker
processes (:mod:`flakelint.pool`).
The repository stage then runs the repository rules in this process on
those results, parsing again only the files a rule looks into
(:class:`LazySources`). Both paths give the same findings in the same order.
"""

from __future__ import annotations

import gc
import math
import os
import time
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from flakelint.config import Settings, find_config, load_settings
from flakelint.diagnostic import Diagnostic, Position, Severity
from flakelint.discover import Flake, discover
from flakelint.parse import (
    DEFAULT_MAX_FILE_SIZE,
    LazySourceFile,
    ParseTimeout,
    SourceFile,
    Unreadable,
    parse_source,
    parse_time_limit,
    is_within,
    nix_language,
    read_source,
    read_text,
    regular_inside,
)
from flakelint.registry import rule_index
from flakelint.repo import Repo
from flakelint.rule import FileRule, RepoRule
from flakelint.suppress import apply_suppressions, find_suppressions, unused_suppressions


@dataclass
class Overrides:
    """What the command line says on top of the config file."""

    select: list[str] | None = None
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    config_path: str | None = None
    #: Worker processes for the per-file stage (``--jobs``): None decides by
    #: the file count, 0 or 1 analyses in-process.
    jobs: int | None = None
    #: Work for this process while it would otherwise only wait: the
    #: per-file stage's workers analysing the files, or the repository
    #: stage's child finishing its rules (the CLI imports the report format).
    #: It may be called twice and must be harmless the second time.
    idle: Callable[[], None] | None = None
    #: Absolute paths of the files this run writes its reports to
    #: (``--output-file``, ``--summary-file``): see :func:`own_reports`.
    reports: tuple[str, ...] = ()
    #: Whether the report names each flake's layout (the ``full`` header,
    #: SARIF run properties): :attr:`Result.layouts`, kept with the cache.
    layouts: bool = False


@dataclass
class Result:
    diagnostics: list[Diagnostic]
    files_analysed: int
    flakes: list[Flake]
    warnings: list[str] = field(default_factory=list)
    #: The repository model of every flake linted, when ``lint(keep_repos=True)``
    #: (the Markdown summary draws the import graph from it).
    repos: list[Repo] = field(default_factory=list)
    #: Flake root -> (layout preset, why), when :attr:`Overrides.layouts`.
    layouts: dict[str, tuple[str, str]] = field(default_factory=dict)


def settings_for(flake: Flake, overrides: Overrides, inherited: Settings | None) -> Settings:
    if overrides.config_path:
        settings = load_settings(overrides.config_path)
    else:
        path = find_config(flake.root)
        settings = load_settings(path) if path else (inherited or Settings())
        if path is None and inherited is not None:
            settings = replace(inherited)
    settings.apply_cli(overrides.select, list(overrides.extend_select), list(overrides.ignore))
    return settings


def excluded_by_parent(flake: Flake, parent_settings: Settings | None) -> bool:
    """Does the enclosing flake's ``exclude`` cover this nested flake's directory?

    ``exclude = ["tests/fixtures"]`` in the top flake's config means the flakes
    nested below ``tests/fixtures/`` are not linted with it (lint one directly,
    ``flakelint tests/fixtures/x``, to check it on its own).
    """
    if flake.parent is None or parent_settings is None:
        return False
    relative = os.path.relpath(flake.root, flake.parent).replace(os.sep, "/")
    return parent_settings.is_excluded(relative)


def lint(
    paths: list[str],
    overrides: Overrides | None = None,
    now: float | None = None,
    keep_repos: bool = False,
    use_cache: bool = False,
) -> Result:
    """Lint every PATH; the public entry point the CLI uses (which turns the cache on)."""
    with collector_paused():
        return _lint(paths, overrides, now, keep_repos, use_cache)


@contextmanager
def collector_paused():
    """Python's cycle collector off for the run (and in the workers it forks).

    A run allocates millions of small objects (path facts, summaries, the
    results unpickled from the workers) and none of them form cycles the
    run needs collected: tree-sitter's nodes and trees hold no references
    back, and every structure is a tree of dicts, lists and tuples. With the
    collector on, its generations are scanned over and over as those
    objects arrive (0.1 s of a 4,000-file run, 0.5 s at 8,000); peak RSS is
    the same either way (bench/RESULTS.md). Reference counting still frees
    everything as usual; the collector's state is restored afterwards, so
    a caller embedding flakelint keeps its own setting.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _lint(paths, overrides, now, keep_repos, use_cache) -> Result:
    overrides = overrides or Overrides()
    now = time.time() if now is None else now
    diagnostics: list[Diagnostic] = []
    flakes_done: dict[str, Flake] = {}
    warnings: list[str] = []
    files_analysed = 0
    targets = [discover(path) for path in paths]
    settings_by_root: dict[str, Settings] = {}
    template_roots: set[str] = set()
    parent_references: dict[str, set[str]] = {}
    repos: list[Repo] = []
    layouts: dict[str, tuple[str, str]] = {}
    for target in targets:
        for flake in target.flakes:
            if flake.root in flakes_done:
                continue
            if excluded_by_parent(flake, settings_by_root.get(flake.parent or "")):
                continue
            settings = settings_for(flake, overrides, settings_by_root.get(flake.parent or ""))
            settings_by_root[flake.root] = settings
            if flake.git_problem:
                warnings.append(
                    f"{_display_dir(flake.root)}: git could not list the files ({flake.git_problem}); "
                    "listed them from the file system instead, so git-based checks are off"
                )
            flake.is_template = flake.root in template_roots
            flake.extra_roots = sorted(set(flake.extra_roots) | parent_references.get(flake.root, set()))
            outcome = lint_flake(
                flake, settings, now, use_cache, jobs=overrides.jobs, idle=overrides.idle, reports=overrides.reports,
                layout=overrides.layouts,
            )
            if outcome.layout is not None:
                layouts[flake.root] = outcome.layout
            found_diagnostics, count, repo = outcome.diagnostics, outcome.analysed, outcome.repo
            template_roots |= outcome.templates
            for root, paths in outcome.nested_refs.items():
                parent_references.setdefault(root, set()).update(paths)
            files_analysed += count
            flakes_done[flake.root] = flake
            diagnostics.extend(found_diagnostics)
            if keep_repos:
                repos.append(repo)
    only_files = {t.only_file for t in targets if t.only_file}
    if only_files and all(t.only_file for t in targets):
        diagnostics = [d for d in diagnostics if os.path.join(d.root, d.path) in only_files]
    unique = {(_identity(d)): d for d in diagnostics}
    ordered = sorted((_for_display(d) for d in unique.values()), key=lambda d: d.sort_key)
    return Result(
        diagnostics=ordered, files_analysed=files_analysed, flakes=list(flakes_done.values()), warnings=warnings, repos=repos,
        layouts=layouts,
    )


def _identity(d: Diagnostic) -> tuple:
    return (d.root, d.path, d.start, d.end, d.code, d.message)


def declared_templates(repo: Repo) -> set[str]:
    """Absolute roots of the directories a flake declares as ``templates``.

    A template is a skeleton to copy (``nix flake init -t``): its flake may
    refer to files the user is meant to create, so path rules stay silent in it.
    """
    if not repo.flake.nested or "flake.nix" not in repo.sources:
        return set()
    roots = set()
    for refs in repo.graph.refs.values():
        for ref in refs:
            names = [n for n in ref.attrpath if n is not None]
            if ref.kind == "exact" and ("templates" in names or "defaultTemplate" in names):
                roots.add(os.path.normpath(os.path.join(repo.root, ref.target)))
    return roots


class Unchanged(NamedTuple):
    """A file the result cache knows, whose ``lstat`` still matches the one taken when it was hashed.

    Its bytes are not read unless something asks for them
    (:meth:`LazySources.data`): its hash, and whether it holds a
    suppression directive, are the cache's (:func:`flakelint.cache.known_files`).
    A named tuple: a warm run makes one per file.
    """

    digest: bytes
    has_directive: bool


class Unread:
    """A ``.nix`` file left for the per-file stage to read (:data:`UNREAD`).

    A run without the cache does not need every file's bytes before the
    per-file stage (no key to compute): when that stage runs in workers,
    each worker reads its own files, with the same checks, instead of this
    process reading them all first, one after another.
    """

    def __repr__(self) -> str:
        return "UNREAD"


UNREAD = Unread()


def read_contents(
    flake: Flake, settings: Settings, known: dict | None = None, seen: dict | None = None
) -> dict[str, bytes | Unreadable | Unchanged | None]:
    """The bytes of every ``.nix`` file of a flake, or why it cannot be read (None: skipped on purpose).

    ``known`` (path -> :class:`flakelint.cache.Known`): files whose stamp
    still matches come back as :class:`Unchanged`, unread. ``seen``
    receives the stamp (``lstat``) of every regular file read or matched.
    """
    contents: dict[str, bytes | Unreadable | Unchanged | None] = {}
    real_dirs: dict[str, str] = {}
    inside: dict[str, bool] = {}
    # os.path.join(root, relpath) for a listed (relative) path, without its
    # checks: a warm run does this for every file of the flake.
    prefix = flake.root if flake.root.endswith(os.sep) else flake.root + os.sep
    for relpath in nix_candidates(flake.files):
        abspath = prefix + relpath
        remembered = known.get(relpath) if known else None
        if remembered is not None:
            info = regular_inside(abspath, flake.root, real_dirs, inside)
            if info is not None and remembered.matches(info):
                contents[relpath] = Unchanged(remembered.digest, remembered.has_directive)
                if seen is not None:
                    seen[relpath] = info
                continue
        data = read_text(abspath, relpath, flake.root, settings.max_file_size, real_dirs, seen)
        contents[relpath] = data if isinstance(data, (bytes, Unreadable)) else None
    return contents


def unreadable_diagnostic(outcome: Unreadable) -> Diagnostic:
    return Diagnostic(
        code="FL002",
        message=f"cannot analyse this file: it {outcome.reason}",
        path=outcome.path,
        start=outcome.position,
    )


def read_repo(flake: Flake, settings: Settings, now: float) -> tuple[Repo, list[Diagnostic]]:
    """Read and parse every ``.nix`` file of a flake once: the repository model.

    Excluded files are parsed too, because the import graph needs their
    paths (or the files they import would look orphaned); their findings are
    dropped later. Files that cannot be read come back as FL002 findings.
    """
    contents = read_contents(flake, settings)
    repo = Repo(flake=flake, settings=settings, now=now, sources=LazySources(flake.root, contents))
    unreadable = [unreadable_diagnostic(c) for c in contents.values() if isinstance(c, Unreadable)]
    repo.unreadable.update(path for path, c in contents.items() if not isinstance(c, bytes))
    unreadable += repo.sources.parse_all(repo.unreadable)
    return repo, unreadable


class LazySources(Mapping):
    """``repo.sources``: parsed files by path, each parsed on first use.

    A run whose results come from the cache parses only what it still needs
    (flake.nix for the clock rules, files with findings for their snippets).
    :meth:`parse_all` parses everything up front and reports files that take
    too long to parse, which then leave the mapping. After the per-file
    stage ran in worker processes, a file the workers parsed is handed out as
    a :class:`~flakelint.parse.LazySourceFile`: its bytes at once, its tree
    only when a repository rule really looks at it.
    """

    def __init__(self, root: str, contents: dict[str, object], max_size: int = DEFAULT_MAX_FILE_SIZE):
        self._root = root
        self._max_size = max_size
        # bytes, Unchanged (read on first use: a warm run reads few files),
        # or Unread (the per-file stage reads it: fill() hands the bytes over)
        self._data: dict[str, bytes | Unchanged | Unread] = {
            path: c for path, c in contents.items() if isinstance(c, (bytes, Unchanged, Unread))
        }
        self._parsed: dict[str, SourceFile] = {}
        self._known_good: dict[str, bool] = {}  # path -> has_error, for files a worker parsed
        self._digests: dict[str, bytes] = {}

    def _parse(self, path: str) -> SourceFile | None:
        source = self._parsed.get(path)
        if source is None and path in self._data:
            abspath = os.path.join(self._root, path)
            unchanged = isinstance(self._data[path], Unchanged)
            data = self.data(path)
            if path in self._known_good or unchanged:
                # A worker parsed it within its budget, or the cached run did
                # (a file whose parse timed out is not stamped, so never
                # Unchanged): a generous budget here, as this process may be
                # busier. Parsed only if a tree is asked for: a warm run
                # needs most files' bytes alone (snippets, no directive).
                limit = 4 * parse_time_limit(len(data))
                source = LazySourceFile(path, abspath, data, time_limit=limit, has_error=self._known_good.get(path))
            else:
                try:
                    source = parse_source(data, path, abspath)
                except ParseTimeout:
                    del self._data[path]
                    return None
            self._parsed[path] = source
        return source

    def parse_all(self, unreadable: set[str]) -> list[Diagnostic]:
        problems = []
        for path in sorted(self._data):
            data = self.data(path)
            try:
                self._parsed.setdefault(path, parse_source(data, path, os.path.join(self._root, path)))
            except ParseTimeout as exc:
                problems.append(unreadable_diagnostic(Unreadable(path, str(exc))))
                unreadable.add(path)
        for problem in problems:
            del self._data[problem.path]
        return problems

    def adopt(self, path: str, source: SourceFile | None, has_error: bool = False) -> None:
        """The per-file stage parsed ``path``: keep its tree (in-process) or parse again on demand (workers)."""
        if source is not None:
            self._parsed[path] = source
        else:
            self._known_good[path] = has_error

    def drop(self, path: str) -> None:
        """``path`` cannot be analysed (parse timeout, a worker died on it)."""
        self._data.pop(path, None)
        self._parsed.pop(path, None)

    def parsed_paths(self) -> list[str]:
        """Files whose tree this process holds (for tests and profiling)."""
        return sorted(p for p, s in self._parsed.items() if not isinstance(s, LazySourceFile) or s.is_parsed)

    def __getitem__(self, path: str) -> SourceFile:
        source = self._parsed.get(path) or self._parse(path)
        if source is None:
            raise KeyError(path)
        return source

    def get(self, path: str, default=None):
        # Repository rules ask for sources tens of thousands of times on a large
        # repository; Mapping.get's try/except around __getitem__ costs more than this.
        source = self._parsed.get(path) or self._parse(path)
        return default if source is None else source

    def __contains__(self, path: object) -> bool:
        return path in self._data

    def __iter__(self):
        return iter(list(self._data))

    def __len__(self) -> int:
        return len(self._data)

    def data(self, path: str) -> bytes | None:
        """The bytes of a file without parsing it."""
        found = self._data.get(path)
        if isinstance(found, (Unchanged, Unread)):
            found = self._data[path] = self._read(path)
        return found

    def read_yet(self, path: str) -> bytes | None:
        """The bytes of a file this process already holds; None for one the per-file stage is to read."""
        found = self._data.get(path)
        return None if isinstance(found, Unread) else self.data(path)

    def fill(self, path: str, data: bytes) -> None:
        """The per-file stage read a file: keep its bytes."""
        if path in self._data:
            self._data[path] = data

    def _read(self, path: str) -> bytes:
        """An :class:`Unchanged` file's bytes, read now.

        Its results already stand (the cache's, for its remembered hash);
        should it have changed or vanished since its stamp was taken, a
        snippet may show the new text or none (b"").
        """
        data = read_text(os.path.join(self._root, path), path, self._root, self._max_size)
        return data if isinstance(data, bytes) else b""

    def has_directive(self, path: str) -> bool:
        """Whether the file may hold a suppression directive (``flakelint:``), without reading an unchanged one."""
        found = self._data.get(path)
        if isinstance(found, Unchanged):
            return found.has_directive
        return found is not None and b"flakelint:" in found

    def with_directive(self) -> list[str]:
        """Every path :meth:`has_directive` says yes for, in one pass (a run asks this of every file)."""
        return [
            path
            for path, found in self._data.items()
            if (found.has_directive if isinstance(found, Unchanged) else found is not None and b"flakelint:" in found)
        ]

    def digest(self, path: str) -> bytes:
        """The file's content hash (the cache's for an unchanged file; computed once otherwise)."""
        found = self._data.get(path)
        if isinstance(found, Unchanged):
            return found.digest
        if path not in self._digests:
            from flakelint.cache import content_digest

            self._digests[path] = content_digest(found or b"")
        return self._digests[path]


@dataclass
class FileOutcome:
    """What the per-file stage found in one file: small and picklable, never a tree."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: The file's path facts (:class:`flakelint.facts.FileFacts`) for the import graph.
    facts: object = None
    #: Per-file summaries of repository rules, by rule code.
    summaries: dict = field(default_factory=dict)
    #: The suppression directives of the file (None: none looked for).
    suppressions: list | None = None
    #: Why the file cannot be analysed (a parse timeout: FL002).
    problem: Unreadable | None = None
    #: The worker analysing it died twice or hung (FL004).
    lost: Diagnostic | None = None
    #: ``root_node.has_error`` of its tree.
    has_error: bool = False
    #: The bytes, when the per-file stage read the file itself (handed over
    #: to :class:`LazySources`, then dropped from the outcome).
    data: bytes | None = None
    #: Skipped on purpose when read (git-crypt): no finding, no analysis.
    skipped: bool = False


@dataclass
class MapContext:
    """What the per-file stage needs to know, the same in every worker."""

    root: str
    settings: Settings
    file_rules: list
    summary_rules: list
    facts: bool
    #: Directories' real paths for the files read in the per-file stage (one
    #: run's: a directory swapped for a symlink later is resolved again).
    real_dirs: dict = field(default_factory=dict)


def analyse_files(context: MapContext, items: list[tuple[str, bytes | None]]) -> list[tuple[str, object]]:
    """The per-file stage for a few files (a worker's chunk): (path, outcome) in item order.

    The outcome is a :class:`FileOutcome`, or a :class:`flakelint.pool.Failed`
    for a file whose analysis raised (the other files are not affected).
    """
    return [(entry.path, entry.outcome) for entry in _analyse_chunk(context, items)]


class _Entry:
    """One file going through :func:`_analyse_chunk`."""

    __slots__ = ("path", "outcome", "source", "data")

    def __init__(self, path: str):
        self.path = path
        self.outcome: object = FileOutcome()
        self.source: SourceFile | None = None
        self.data = b""

    def fail(self, exc: BaseException) -> None:
        from flakelint.pool import Failed

        self.outcome = Failed.of(exc)
        self.source = None


def _analyse_chunk(context: MapContext, items: list[tuple[str, bytes | None]]) -> list[_Entry]:
    """The per-file stage for a few files, one step at a time over all of them.

    Every file is read and parsed first; then each file rule runs over every
    file, then the path facts, then each summary: the same calls, per file in
    the same order, as running every step on one file before the next, so
    each file's outcome is the same. Why: measured, a quarter less CPU
    outside the parse on the 4,000-file benchmark and a sixth on
    home-manager (bench/RESULTS.md); most likely because a step's code and
    data stay in the CPU's caches from one file to the next, where a parse
    in between would evict them. A step that raises for one file fails that
    file alone (:meth:`_Entry.fail`).
    """
    entries = [_Entry(path) for path, _data in items]
    for entry, (_path, data) in zip(entries, items):
        try:
            _read_and_parse(context, entry, data)
        except Exception as exc:  # noqa: BLE001 - the file's analysis failed (FL004), not the others'
            entry.fail(exc)
    live = [entry for entry in entries if entry.source is not None]
    checked = [entry for entry in live if not context.settings.is_excluded(entry.path)]
    for rule in context.file_rules:
        for entry in checked:
            if entry.source is not None:
                try:
                    entry.outcome.diagnostics.extend(run_file_rule(rule, entry.source))
                except Exception as exc:  # noqa: BLE001 - run_file_rule reports a rule's crash itself
                    entry.fail(exc)
    if context.facts:
        from flakelint.facts import file_facts

        for entry in live:
            if entry.source is not None:
                try:
                    entry.outcome.facts = file_facts(entry.source)
                except Exception:  # noqa: BLE001 - left out: the repository stage computes it again and reports the crash
                    pass
    for rule in context.summary_rules:
        for entry in live:
            if entry.source is not None:
                try:
                    entry.outcome.summaries[rule.code] = rule.summarize(entry.source)
                except Exception:  # noqa: BLE001 - same: the rule crashes again in its check, as FL004
                    pass
    for entry in live:
        if entry.source is not None and b"flakelint:" in entry.data:
            try:
                entry.outcome.suppressions = find_suppressions(entry.source)
            except Exception as exc:  # noqa: BLE001 - the file's analysis failed (FL004)
                entry.fail(exc)
    return entries


def _read_and_parse(context: MapContext, entry: _Entry, data: bytes | None) -> None:
    """Read (when the stage is to read it) and parse one file: ``entry.source``, or why not in its outcome."""
    outcome = entry.outcome
    path = entry.path
    if data is None:  # left for this stage to read (Unread)
        read = read_text(os.path.join(context.root, path), path, context.root, context.settings.max_file_size, context.real_dirs)
        if not isinstance(read, bytes):
            outcome.problem = read if isinstance(read, Unreadable) else None
            outcome.skipped = not isinstance(read, Unreadable)
            return
        data = outcome.data = read
    entry.data = data
    try:
        entry.source = parse_source(data, path, os.path.join(context.root, path))
    except ParseTimeout as exc:
        outcome.problem = Unreadable(path, str(exc))
        return
    outcome.has_error = entry.source.root_node.has_error


def _lost_file(path: str, reason: str) -> FileOutcome:
    return FileOutcome(
        lost=Diagnostic(
            code="FL004",
            message=f"flakelint could not analyse this file: {reason}",
            path=path,
            hint="a bug in flakelint; run `flakelint --jobs 1 --debug` on this file and report it",
        )
    )


def references_into_nested(repo: Repo) -> dict[str, set[str]]:
    """Paths of a flake that point into its nested flakes, by nested root.

    ``import ./dev/private/flake-compat.nix`` from the parent reaches that
    file although the nested flake's own ``flake.nix`` does not.
    """
    if not repo.flake.nested:
        return {}
    found: dict[str, set[str]] = {}
    nested = sorted(repo.flake.nested, key=lambda r: -r.count("/"))
    # One test for "inside any nested flake" before looking for which (most
    # references point elsewhere; home-manager has 3,000 of them).
    roots = frozenset(nested)
    below = tuple(r + "/" for r in nested)
    for refs in repo.graph.refs.values():
        for ref in refs:
            if ref.kind != "exact" or ref.usage in ("src", "guard", "read", "doc"):
                continue
            if ref.target not in roots and not ref.target.startswith(below):
                continue
            owner = next((r for r in nested if ref.target == r or ref.target.startswith(r + "/")), None)
            if owner is None:
                continue
            inner = "." if ref.target == owner else ref.target[len(owner) + 1 :]
            found.setdefault(os.path.normpath(os.path.join(repo.root, owner)), set()).add(inner)
    return found


@dataclass
class FlakeOutcome:
    diagnostics: list[Diagnostic]
    analysed: int
    repo: Repo
    templates: set[str]
    nested_refs: dict[str, set[str]]
    #: (layout preset, why), when asked for.
    layout: tuple[str, str] | None = None


def lint_flake(
    flake: Flake,
    settings: Settings,
    now: float,
    use_cache: bool = False,
    jobs: int | None = None,
    idle=None,
    reports: tuple[str, ...] = (),
    layout: bool = False,
) -> FlakeOutcome:
    """Lint one flake. With ``use_cache``, an unchanged flake's results come from the cache.

    With ``layout``, also the layout the flake follows (:func:`layout_of`),
    kept with the cache entry: a warm run need not detect it again.
    """
    index = rule_index()
    enabled = settings.enabled_codes()

    def instances(clock: bool) -> list:
        """The enabled rules that do (or do not) read the clock: only those modules are imported.

        A flake whose findings come from the cache runs its clock rules
        alone, so it never imports the rest (:func:`flakelint.registry.rule_index`).
        """
        return [
            index[code].load()(settings.rule_options.get(code), now)
            for code in sorted(enabled)
            if code in index and index[code].uses_clock == clock
        ]

    caching = use_cache and cache_outside(flake.root)
    previous = known = None
    if caching:
        from flakelint import cache

        previous = cache.read_entry(flake.root)
        known = cache.known_files(previous, settings)
    started_ns = time.time_ns()
    seen: dict[str, os.stat_result] = {}
    candidates = nix_candidates(flake.files) if not caching else []
    if candidates and _workers_read(len(candidates), jobs):
        contents: dict = {path: UNREAD for path in candidates}
    else:
        contents = read_contents(flake, settings, known, seen)
    sources = LazySources(flake.root, contents, settings.max_file_size)
    repo = Repo(flake=flake, settings=settings, now=now, sources=sources)
    repo.unreadable.update(path for path, c in contents.items() if not isinstance(c, (bytes, Unchanged, Unread)))
    key = entry = pack = None
    if caching:
        key = cache.flake_key(
            flake,
            settings,
            contents,
            _lock_bytes(flake, settings),
            repo.git_toplevel,
            sources.digest,
            unstamped=own_reports(flake, reports),
        )
        entry = cache.entry_for(previous, key)
        if entry is None:
            pack = OutcomePack(flake.root, settings)
    chosen = None
    if entry is None:
        raw = [unreadable_diagnostic(c) for c in contents.values() if isinstance(c, Unreadable)]
        analysed = _run_rules(instances(clock=False), repo, raw, jobs, pack, idle)
        templates, nested_refs = declared_templates(repo), references_into_nested(repo)
        chosen = layout_of(flake, settings) if layout else None
        if key is not None:
            stamps = cache.file_stamps(seen, sources, started_ns)
            cache.store(flake.root, key, raw, analysed, sorted(templates), nested_refs, stamps, settings, chosen)
    else:
        raw, analysed = list(entry["diagnostics"]), entry["analysed"]
        templates = set(entry["templates"])
        nested_refs = {root: set(paths) for root, paths in entry["nested_refs"].items()}
        if layout:
            chosen = cache.stored_layout(entry) or layout_of(flake, settings)
    clock_codes = sorted(code for code in enabled if code in index and index[code].uses_clock)
    raw = raw + _clock_findings(repo, lambda: instances(clock=True), clock_codes, key, now)
    return FlakeOutcome(finish(raw, repo, enabled), analysed, repo, templates, nested_refs, chosen)


def layout_of(flake: Flake, settings: Settings) -> tuple[str, str]:
    """(preset, why) of the layout a flake is checked against, for the report (:func:`flakelint.layout.choice_for_flake`)."""
    from flakelint.layout import choice_for_flake

    choice = choice_for_flake(flake, settings)
    return choice.name, choice.reason


def own_reports(flake: Flake, reports: tuple[str, ...]) -> frozenset[str]:
    """This run's report files that no rule reads: their stamps stay out of the cache key.

    ``flakelint --output-file report.sarif .`` writes into the flake, and a
    file's size and modification time are part of the key (FL501 reads
    files other than ``.nix``): every run would change the key for the
    next, and no run would ever find its results cached. A report that
    git does not track is read by no rule (FL501 scans tracked files only;
    every other rule reads ``.nix`` files and ``flake.lock``), so only its
    name counts. A tracked one, a ``.nix`` one, or any in a flake outside
    git (where FL501 scans every file) keeps its stamp.
    """
    if not reports or flake.tracked is None:
        return frozenset()
    root = flake.root
    found = set()
    for report in reports:
        if not is_within(report, root):
            continue
        relpath = os.path.relpath(report, root).replace(os.sep, "/")
        if not relpath.endswith(".nix") and relpath not in flake.tracked:
            found.add(relpath)
    return frozenset(found)


def _workers_read(files: int, jobs: int | None) -> bool:
    """Whether the per-file stage will run in workers, which then read the files themselves."""
    from flakelint.pool import jobs_for

    return jobs_for(files, jobs) > 0


def cache_outside(root: str) -> bool:
    """Caching only where it cannot write into the linted repository (a home-directory flake, say)."""
    from flakelint.cache import cache_dir

    directory = os.path.realpath(cache_dir())
    real_root = os.path.realpath(root)
    return not is_within(directory, real_root)


class OutcomePack:
    """The per-file outcomes of a flake's last cached run, reused for files whose bytes did not change."""

    def __init__(self, root: str, settings: Settings):
        from flakelint import cache

        self.root = root
        self.context = cache.files_context(settings)
        self.previous = cache.load_outcomes(root, self.context)

    def reusable(self, sources: LazySources, paths: list[str]) -> dict[str, FileOutcome]:
        found = {}
        for path in paths:
            known = self.previous.get(path)
            if known is not None and known[0] == sources.digest(path) and isinstance(known[1], FileOutcome):
                found[path] = known[1]
        return found

    def store(self, sources: LazySources, outcomes: dict[str, FileOutcome]) -> None:
        """Keep the outcomes worth reusing: not a parse timeout or a lost worker, which depend on load."""
        from flakelint import cache

        files = {
            path: (sources.digest(path), outcome)
            for path, outcome in outcomes.items()
            if outcome.problem is None and outcome.lost is None and path in sources
        }
        cache.store_outcomes(self.root, self.context, files)


def _run_rules(
    rules, repo: Repo, raw: list[Diagnostic], jobs: int | None = None, pack: OutcomePack | None = None, idle=None
) -> int:
    """The per-file stage on every file, then repo rules; the count of files analysed.

    The per-file stage (parse, file rules, suppressions, path facts, repo
    rules' per-file summaries) runs in worker processes when the flake has
    enough files (:func:`flakelint.pool.jobs_for`), in-process otherwise;
    the findings are the same either way, in the same order.
    """
    settings = repo.settings
    sources = repo.sources
    assert isinstance(sources, LazySources)
    context = MapContext(
        root=repo.root,
        settings=settings,
        file_rules=[rule for rule in rules if isinstance(rule, FileRule)],
        summary_rules=[rule for rule in rules if isinstance(rule, RepoRule) and rule.has_summary()],
        facts=any(isinstance(rule, RepoRule) for rule in rules),
    )
    paths = sorted(sources)
    reused = pack.reusable(sources, paths) if pack is not None else {}
    outcomes = _map_stage(context, sources, [p for p in paths if p not in reused], jobs, _head_start(idle))
    for path, outcome in reused.items():
        sources.adopt(path, None, outcome.has_error)  # its tree only if a repository rule asks
    outcomes.update(reused)
    if pack is not None:
        pack.store(sources, outcomes)
    problems = []
    for path in paths:
        outcome = outcomes[path]
        if outcome.problem is not None or outcome.lost is not None or outcome.skipped:
            if not outcome.skipped:
                problems.append(unreadable_diagnostic(outcome.problem) if outcome.problem else outcome.lost)
            repo.unreadable.add(path)
            sources.drop(path)
    raw.extend(problems)
    analysed = 0
    for path in paths:
        outcome = outcomes[path]
        if outcome.problem is not None or outcome.lost is not None or outcome.skipped:
            continue
        if outcome.facts is not None:
            repo.file_facts[path] = outcome.facts
        for code, summary in outcome.summaries.items():
            repo.summaries.setdefault(code, {})[path] = summary
        if outcome.suppressions is not None:
            repo.suppressions[path] = outcome.suppressions
        if settings.is_excluded(path):
            continue
        analysed += 1
        raw.extend(outcome.diagnostics)
    from flakelint.pool import can_fork, jobs_for
    from flakelint.repo_stage import run_repo_rules

    parallel = jobs_for(len(paths), jobs) > 1 and can_fork()
    repo_rules = [rule for rule in rules if isinstance(rule, RepoRule)]
    raw.extend(run_repo_rules(repo_rules, repo, run_repo_rule, parallel, idle=idle))
    return analysed


def _head_start(idle):
    """What this process does while the workers analyse the files: then ``idle`` (the caller's).

    The modules the repository stage imports are imported now, once, and
    not after the per-file stage, when this process and the repository
    stage's child would each import them (0.015 s of the 4,000-file
    benchmark).
    """

    def head_start() -> None:
        import flakelint.flake  # noqa: F401
        import flakelint.layout  # noqa: F401
        import flakelint.lock  # noqa: F401
        import flakelint.repo_stage  # noqa: F401

        if idle is not None:
            idle()

    return head_start


def _map_stage(
    context: MapContext, sources: LazySources, paths: list[str], jobs: int | None, idle=None
) -> dict[str, FileOutcome]:
    from flakelint.pool import jobs_for

    workers = jobs_for(len(paths), jobs)
    if workers:
        from flakelint import pool

        items = [(path, sources.read_yet(path)) for path in paths]
        nix_language()  # tree-sitter's grammar loaded here once, not in every worker after the fork
        try:
            outcomes = pool.run(analyse_files, context, items, workers, _lost_file, idle)
        except OSError:  # no processes to be had (a process limit, no /dev/shm): in-process instead
            return _map_stage(context, sources, paths, 1)
        for path in paths:
            outcome = outcomes[path]
            _hand_over(sources, path, outcome)
            if outcome.problem is None and outcome.lost is None and not outcome.skipped:
                sources.adopt(path, None, outcome.has_error)
        return outcomes
    from flakelint.pool import CHUNK_FILES, Failed

    outcomes = {}
    for start in range(0, len(paths), CHUNK_FILES):
        chunk = [(path, sources.read_yet(path)) for path in paths[start : start + CHUNK_FILES]]
        for entry in _analyse_chunk(context, chunk):
            outcome = entry.outcome
            if isinstance(outcome, Failed):  # as the pool reports it
                outcome = _lost_file(entry.path, f"its analysis failed: {outcome.reason}")
            outcomes[entry.path] = outcome
            _hand_over(sources, entry.path, outcome)
            if entry.source is not None:
                sources.adopt(entry.path, entry.source)
    return outcomes


def _hand_over(sources: LazySources, path: str, outcome: FileOutcome) -> None:
    """Bytes the per-file stage read go to the sources (not on with the outcome: it may be cached)."""
    if outcome.data is not None:
        sources.fill(path, outcome.data)
        outcome.data = None


def _clock_findings(repo: Repo, make_rules, codes: list[str], key: str | None, now: float) -> list[Diagnostic]:
    """The findings of the rules that read the clock, at ``now``.

    With the cache (``key``), those kept for this flake's key when ``now``
    lies in the interval they hold for (:func:`flakelint.cache.load_clock`;
    the rules are then not even imported); otherwise computed, and kept
    when every rule says how long they hold (:meth:`flakelint.rule.Rule.steady_between`).
    """
    if key is None or not codes:
        return _run_clock_rules(make_rules(), repo)
    from flakelint import cache

    kept = cache.load_clock(repo.root, key, codes, now)
    if kept is not None:
        return kept
    rules = make_rules()
    raw = _run_clock_rules(rules, repo)
    window = _steady_window(rules, repo, now)
    if window is not None:
        cache.store_clock(repo.root, key, codes, window, raw)
    return raw


def _steady_window(rules, repo: Repo, now: float) -> tuple[float, float] | None:
    """The interval around ``now`` in which every rule's findings stay the same; None when one cannot say (or fails to)."""
    start, end = -math.inf, math.inf
    for rule in rules:
        try:
            window = rule.steady_between(repo)
            if window is None:
                return None
            start, end = max(start, float(window[0])), min(end, float(window[1]))
        except Exception:  # noqa: BLE001 - only the keeping is lost; the findings stand
            return None
    return (start, end) if start <= now < end else None


def _run_clock_rules(rules, repo: Repo) -> list[Diagnostic]:
    """Rules that read the clock, at this run's "now" (:func:`_clock_findings` keeps their findings for as long as they hold)."""
    raw: list[Diagnostic] = []
    for rule in rules:
        if isinstance(rule, RepoRule):
            raw.extend(run_repo_rule(rule, repo))
        elif isinstance(rule, FileRule):
            for relpath in list(repo.sources):
                source = repo.sources.get(relpath)
                if source is not None and not repo.settings.is_excluded(relpath):
                    raw.extend(run_file_rule(rule, source))
    return raw


def _file_bytes(repo: Repo, path: str) -> bytes:
    """A file's bytes without parsing it (lazy sources), or from its parsed source."""
    sources = repo.sources
    data = sources.data(path) if isinstance(sources, LazySources) else None
    if data is None:
        source = sources.get(path)
        data = source.data if source is not None else b""
    return data


def _paths_with_directive(repo: Repo) -> list[str]:
    """The files that may hold a suppression directive (``flakelint:`` in their bytes), in one pass."""
    sources = repo.sources
    if isinstance(sources, LazySources):
        return sources.with_directive()
    return [path for path in sources if b"flakelint:" in _file_bytes(repo, path)]


def _lock_bytes(flake: Flake, settings: Settings) -> bytes | None:
    if "flake.lock" not in flake.files:
        return None
    data = read_source(os.path.join(flake.root, "flake.lock"), "flake.lock", flake.root, 256 * 1024 * 1024)
    return data if isinstance(data, bytes) else None


def nix_candidates(files: list[str]) -> list[str]:
    """``.nix`` entries of the listing, plus directories named ``*.nix`` (FL002)."""
    found = set()
    for relpath in files:
        if relpath.endswith(".nix"):
            found.add(relpath)
        if ".nix/" not in relpath:
            continue  # no directory of its path is named *.nix (the usual case)
        parts = relpath.split("/")[:-1]
        for depth, part in enumerate(parts):
            if part.endswith(".nix"):
                found.add("/".join(parts[: depth + 1]))
    return sorted(found)


def load_source(root: str, relpath: str, max_size: int) -> SourceFile | Unreadable | None:
    """Read and parse one file; None for files skipped on purpose (git-crypt)."""
    abspath = os.path.join(root, relpath)
    data = read_text(abspath, relpath, root, max_size)
    if isinstance(data, Unreadable):
        return data
    if not isinstance(data, bytes):
        return None
    try:
        return parse_source(data, relpath, abspath)
    except ParseTimeout as exc:
        return Unreadable(relpath, str(exc))


def run_file_rule(rule: FileRule, source: SourceFile) -> list[Diagnostic]:
    try:
        return list(rule.check(source))
    except Exception as exc:  # noqa: BLE001 - fault isolation is the contract
        return [crash_diagnostic(rule, source.path, exc)]


def run_repo_rule(rule: RepoRule, repo: Repo) -> list[Diagnostic]:
    try:
        return list(rule.check(repo))
    except Exception as exc:  # noqa: BLE001
        anchor = "flake.nix" if repo.flake.has_flake_nix else "."
        return [crash_diagnostic(rule, anchor, exc)]


def crash_diagnostic(rule, path: str, exc: BaseException) -> Diagnostic:
    reason = " ".join(str(exc).split())[:200]
    where = "this file" if path not in (".", "flake.nix") or rule.scope == "file" else "the repository"
    return Diagnostic(
        code="FL004",
        message=f"rule {rule.code} ({rule.name}) crashed on {where}: {type(exc).__name__}: {reason}".rstrip(": "),
        path=path,
        hint="a bug in flakelint; run with --debug and report it",
    )


def finish(raw: list[Diagnostic], repo: Repo, enabled: frozenset[str]) -> list[Diagnostic]:
    """Registry metadata, selection, per-file ignores, suppressions, FL003."""
    rules = rule_index()
    settings = repo.settings
    # A secret a rule marked for masking stays masked in every finding on its
    # line (another rule may point at the same line), even if that rule's
    # own finding is then suppressed or per-file-ignored.
    masks: dict[tuple[str, int], tuple] = {}
    for diagnostic in raw:
        if diagnostic.redact:
            key = (diagnostic.path, diagnostic.start.line)
            masks[key] = tuple(sorted(set(masks.get(key, ())) | set(diagnostic.redact)))
    if masks:
        raw = [
            replace(d, redact=masks[(d.path, d.start.line)]) if (d.path, d.start.line) in masks else d for d in raw
        ]
    by_file: dict[str, list[Diagnostic]] = {}
    for diagnostic in raw:
        if settings.is_excluded(diagnostic.path):
            continue
        if diagnostic.code not in enabled and not (diagnostic.code == "FL004" and not settings.ignores_explicitly("FL004")):
            # A crash is never hidden by a narrow --select: only an explicit ignore hides FL004.
            continue
        by_file.setdefault(diagnostic.path, []).append(diagnostic)
    result = []
    paths = set(by_file) | {p for p in _paths_with_directive(repo) if not settings.is_excluded(p)}
    for path in sorted(paths):
        ignored = settings.ignored_for(path)
        found = [d for d in by_file.get(path, []) if d.code not in ignored]
        source = repo.sources.get(path)
        if source is not None:
            suppressions = repo.suppressions.pop(path, None)
            if suppressions is None:
                suppressions = find_suppressions(source)
            found = apply_suppressions(found, suppressions)
            if "FL003" in enabled and "FL003" not in ignored:
                found += unused_suppressions(path, suppressions, enabled - ignored)
        for diagnostic in found:
            rule = rules.get(diagnostic.code)
            snippet = diagnostic.snippet
            if snippet is None and source is not None:
                snippet = source.line_text(diagnostic.start.line)
            result.append(
                replace(
                    diagnostic,
                    root=repo.root,
                    name=rule.name if rule else diagnostic.name,
                    severity=diagnostic.level or (rule.severity if rule else Severity.ERROR),
                    end=diagnostic.end or diagnostic.start,
                    snippet=snippet,
                )
            )
    return result


def _for_display(d: Diagnostic) -> Diagnostic:
    """Rewrite the path relative to the working directory (absolute when outside it)."""
    absolute = os.path.normpath(os.path.join(d.root, d.path))
    cwd = os.getcwd()
    if is_within(absolute, cwd):
        shown = os.path.relpath(absolute, cwd)
    else:
        shown = absolute
    return replace(d, path=shown.replace(os.sep, "/"))


def _display_dir(root: str) -> str:
    shown = _for_display(Diagnostic(code="", message="", path=".", root=root)).path
    return shown


__all__ = ["Overrides", "Result", "lint", "Position"]
