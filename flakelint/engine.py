"""Runs the rules over every flake a PATH names and gathers the findings.

Fault isolation is the point of this module: a file that cannot be read
becomes FL002, a rule that raises becomes FL004 for that rule and file, and
everything else still runs. The order of the returned findings is stable
(path, line, column, code), so every report is byte-identical for identical
input.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace

from flakelint.config import Settings, find_config, load_settings
from flakelint.diagnostic import Diagnostic, Position, Severity
from flakelint.discover import Flake, discover
from flakelint.parse import ParseTimeout, SourceFile, Unreadable, check_text, parse_source, read_source
from flakelint.registry import all_rules
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


@dataclass
class Result:
    diagnostics: list[Diagnostic]
    files_analysed: int
    flakes: list[Flake]
    warnings: list[str] = field(default_factory=list)
    #: The repository model of every flake linted, when ``lint(keep_repos=True)``
    #: (the Markdown summary draws the import graph from it).
    repos: list[Repo] = field(default_factory=list)


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


def lint(paths: list[str], overrides: Overrides | None = None, now: float | None = None, keep_repos: bool = False) -> Result:
    """Lint every PATH; the public entry point the CLI uses."""
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
            found_diagnostics, count, repo = lint_flake(flake, settings, now)
            template_roots |= declared_templates(repo)
            for root, paths in references_into_nested(repo).items():
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
        diagnostics=ordered, files_analysed=files_analysed, flakes=list(flakes_done.values()), warnings=warnings, repos=repos
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


def read_repo(flake: Flake, settings: Settings, now: float) -> tuple[Repo, list[Diagnostic]]:
    """Read and parse every ``.nix`` file of a flake once: the repository model.

    Excluded files are parsed too, because the import graph needs their
    paths (or the files they import would look orphaned); their findings are
    dropped later. Files that cannot be read come back as FL002 findings.
    """
    repo = Repo(flake=flake, settings=settings, now=now)
    unreadable: list[Diagnostic] = []
    for relpath in nix_candidates(flake.files):
        outcome = load_source(flake.root, relpath, settings.max_file_size)
        if isinstance(outcome, Unreadable):
            unreadable.append(
                Diagnostic(
                    code="FL002",
                    message=f"cannot analyse this file: it {outcome.reason}",
                    path=relpath,
                    start=outcome.position,
                )
            )
            repo.unreadable.add(relpath)
        elif outcome is None:
            repo.unreadable.add(relpath)
        else:
            repo.sources[relpath] = outcome
    return repo, unreadable


def references_into_nested(repo: Repo) -> dict[str, set[str]]:
    """Paths of a flake that point into its nested flakes, by nested root.

    ``import ./dev/private/flake-compat.nix`` from the parent reaches that
    file although the nested flake's own ``flake.nix`` does not.
    """
    if not repo.flake.nested:
        return {}
    found: dict[str, set[str]] = {}
    nested = sorted(repo.flake.nested, key=lambda r: -r.count("/"))
    for refs in repo.graph.refs.values():
        for ref in refs:
            if ref.kind != "exact" or ref.usage in ("src", "guard", "read", "doc"):
                continue
            owner = next((r for r in nested if ref.target == r or ref.target.startswith(r + "/")), None)
            if owner is None:
                continue
            inner = "." if ref.target == owner else ref.target[len(owner) + 1 :]
            found.setdefault(os.path.normpath(os.path.join(repo.root, owner)), set()).add(inner)
    return found


def lint_flake(flake: Flake, settings: Settings, now: float) -> tuple[list[Diagnostic], int, Repo]:
    rules = all_rules()
    enabled = settings.enabled_codes()
    file_rules = []
    repo_rules = []
    for code in sorted(enabled):
        cls = rules[code]
        if issubclass(cls, FileRule):
            file_rules.append(cls(settings.rule_options.get(code), now))
        elif issubclass(cls, RepoRule):
            repo_rules.append(cls(settings.rule_options.get(code), now))
    repo, raw = read_repo(flake, settings, now)
    analysed = 0
    for relpath, source in repo.sources.items():
        if settings.is_excluded(relpath):
            continue
        analysed += 1
        for rule in file_rules:
            raw.extend(run_file_rule(rule, source))
    for rule in repo_rules:
        raw.extend(run_repo_rule(rule, repo))
    return finish(raw, repo, enabled), analysed, repo


def nix_candidates(files: list[str]) -> list[str]:
    """``.nix`` entries of the listing, plus directories named ``*.nix`` (FL002)."""
    found = set()
    for relpath in files:
        if relpath.endswith(".nix"):
            found.add(relpath)
        parts = relpath.split("/")[:-1]
        for depth, part in enumerate(parts):
            if part.endswith(".nix"):
                found.add("/".join(parts[: depth + 1]))
    return sorted(found)


def load_source(root: str, relpath: str, max_size: int) -> SourceFile | Unreadable | None:
    """Read and parse one file; None for files skipped on purpose (git-crypt)."""
    abspath = os.path.join(root, relpath)
    data = read_source(abspath, relpath, root, max_size)
    if isinstance(data, Unreadable):
        return data
    if not isinstance(data, bytes):
        return None
    problem = check_text(data, relpath)
    if problem is not None:
        return problem
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
    rules = all_rules()
    settings = repo.settings
    by_file: dict[str, list[Diagnostic]] = {}
    for diagnostic in raw:
        if settings.is_excluded(diagnostic.path):
            continue
        if diagnostic.code not in enabled and not (diagnostic.code == "FL004" and not settings.ignores_explicitly("FL004")):
            # A crash is never hidden by a narrow --select: only an explicit ignore hides FL004.
            continue
        by_file.setdefault(diagnostic.path, []).append(diagnostic)
    result = []
    paths = set(by_file) | {
        p for p, s in repo.sources.items() if b"flakelint:" in s.data and not settings.is_excluded(p)
    }
    for path in sorted(paths):
        ignored = settings.ignored_for(path)
        found = [d for d in by_file.get(path, []) if d.code not in ignored]
        source = repo.sources.get(path)
        if source is not None:
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
                    severity=rule.severity if rule else Severity.ERROR,
                    end=diagnostic.end or diagnostic.start,
                    snippet=snippet,
                )
            )
    return result


def _for_display(d: Diagnostic) -> Diagnostic:
    """Rewrite the path relative to the working directory (absolute when outside it)."""
    absolute = os.path.normpath(os.path.join(d.root, d.path))
    cwd = os.getcwd()
    if absolute == cwd or absolute.startswith(cwd.rstrip(os.sep) + os.sep):
        shown = os.path.relpath(absolute, cwd)
    else:
        shown = absolute
    return replace(d, path=shown.replace(os.sep, "/"))


def _display_dir(root: str) -> str:
    shown = _for_display(Diagnostic(code="", message="", path=".", root=root)).path
    return shown


__all__ = ["Overrides", "Result", "lint", "Position"]
