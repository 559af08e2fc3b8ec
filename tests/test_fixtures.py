"""Every fixture repo under tests/fixtures/<CODE>-<name>/{bad,good}/ in one parametrized test.

Case directories are ``bad*`` (must expect the fixture's code), ``good*`` (no
markers, no findings) or ``silent*`` (markers of other codes only: the
fixture's rule must stay silent although something else fires).

Lines that must fire carry a marker comment, ``# expect: FL205`` (several codes
comma-separated); findings in files that cannot hold comments (flake.lock,
binary files) are listed in ``expect.txt`` as ``path:line: CODE``. A ``good``
twin has no markers: it must produce no finding at all. Each fixture is
copied to a temporary git repository and linted with the engine rules (FL0xx)
and the fixture's own code only, so that a fixture pins down its own rule
(a ``flakelint.toml`` in the fixture may say more). How rules interact is
covered by the real-repository runs and the docs examples.
A file named ``gitignore`` becomes ``.gitignore`` (a real one would act on
this repository), and paths listed in ``untracked.txt`` are left untracked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flakelint.engine import Overrides, lint

from conftest import FIXTURES, copy_fixture, git

MARKER = re.compile(r"expect:\s*(FL\d{3}(?:\s*,\s*FL\d{3})*)")
NOW = 1_764_000_000.0  # 2025-11-24, fixed so age-based rules are deterministic


def fixture_cases():
    for rule_dir in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        for case in sorted(p for p in rule_dir.iterdir() if p.is_dir()):
            yield pytest.param(rule_dir, case, id=f"{rule_dir.name}/{case.name}")


def expected_findings(case: Path) -> set[tuple[str, int, str]]:
    expected = set()
    for path in sorted(case.rglob("*")):
        if not path.is_file() or path.is_symlink() or path.name in ("expect.txt", "untracked.txt", "gitignore"):
            continue
        relative = path.relative_to(case).as_posix()
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (UnicodeDecodeError, OSError):
            continue
        for number, line in enumerate(lines, start=1):
            for match in MARKER.finditer(line):
                for code in match.group(1).split(","):
                    expected.add((relative, number, code.strip()))
    listing = case / "expect.txt"
    if listing.exists():
        for line in listing.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                where, code = line.rsplit(":", 1)
                relpath, number = where.rsplit(":", 1)
                expected.add((relpath.strip(), int(number), code.strip()))
    return expected


@pytest.mark.parametrize("rule_dir,case", list(fixture_cases()))
def test_fixture(rule_dir: Path, case: Path, tmp_path, monkeypatch):
    code = rule_dir.name.split("-", 1)[0]
    repo = copy_fixture(case, tmp_path / "repo", use_git=False)
    for ignore_file in repo.rglob("gitignore"):
        ignore_file.rename(ignore_file.with_name(".gitignore"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    untracked = repo / "untracked.txt"
    if untracked.exists():
        for line in untracked.read_text().split():
            git(repo, "rm", "-q", "--cached", line)
        untracked.unlink()
    monkeypatch.chdir(repo)
    if (case / "flakelint.toml").exists():
        overrides = Overrides(extend_select=[code])  # the fixture's own config decides
    else:
        overrides = Overrides(select=["FL0", code])
    result = lint(["."], overrides, now=NOW)
    found = {(d.path, d.start.line, d.code) for d in result.diagnostics}
    expected = expected_findings(case)
    if case.name.startswith("good"):
        assert not expected, "a good twin must not carry expect markers"
    assert found == expected, "\n".join(f"{d.path}:{d.start.line}:{d.start.column}: {d.code} {d.message}" for d in result.diagnostics)
    if case.name.startswith("bad"):
        assert any(c == code for _, _, c in expected), f"bad fixture never expects {code}"
    if case.name.startswith("silent"):
        assert all(c != code for _, _, c in expected), f"a silent fixture must not expect {code}"
