"""flakelint lints its own repository (flake.nix, nix/, examples/) and finds nothing.

The repository's flakelint.toml excludes tests/fixtures/ (small repositories
broken on purpose) and turns FL101 off for flake.nix (no flake.lock can be
made without GitHub). The example flake's flake.lock is fixed, so the age
checks (FL108, FL109) run with "now" set to the day after its newest input
was locked: what they would have said then, on every day this test runs. The
repository's own flake has no lock, so it is also checked with the real clock.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import REPO_ROOT, make_repo, run_flakelint

SEED = REPO_ROOT / "examples" / "seed"
OWN_FILES = ["flake.nix", "nix/package.nix", "nix/tree-sitter-nix.nix"]


def seed_now() -> str:
    """The day after the newest `lastModified` in the example's flake.lock (seconds since the epoch)."""
    lock = json.loads((SEED / "flake.lock").read_text(encoding="utf-8"))
    newest = max(node.get("locked", {}).get("lastModified", 0) for node in lock["nodes"].values())
    assert newest > 0
    return str(newest + 86400)


def test_repository_is_clean():
    result = run_flakelint("--output-format", "concise", "--now", seed_now(), ".", cwd=REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("All checks passed (")
    assert result.stderr == ""


def test_repository_is_clean_with_every_rule_selected():
    result = run_flakelint("--select", "ALL", "--output-format", "json", "--now", seed_now(), ".", cwd=REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == []


def test_own_flake_is_clean_today():
    result = run_flakelint("--select", "ALL", "--output-format", "concise", *OWN_FILES, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("where", [REPO_ROOT, SEED], ids=["from the repository", "from the example"])
def test_examples_are_clean(where):
    result = run_flakelint("--output-format", "concise", "--now", seed_now(), str(SEED), cwd=where)
    assert result.returncode == 0, result.stdout + result.stderr


def test_fixtures_are_excluded_not_unseen(tmp_path):
    """Without the repository's config the fixtures (and the flakes nested among them) do report."""
    empty = tmp_path / "empty.toml"
    empty.write_text("", encoding="utf-8")
    result = run_flakelint("--config", str(empty), "--output-format", "json", "--now", seed_now(), ".", cwd=REPO_ROOT)
    assert result.returncode == 1
    findings = json.loads(result.stdout)
    # flake.nix: only the missing lock that flakelint.toml explains.
    assert [f["code"] for f in findings if f["path"] == "flake.nix"] == ["FL101"]
    paths = {f["path"] for f in findings} - {"flake.nix"}
    assert paths and all(path.startswith("tests/fixtures/") for path in paths)
    # Findings in nested fixture flakes, not only in loose fixture files.
    assert "tests/fixtures/FL202-missing-path/bad/flake.nix" in paths


def test_summary_of_the_repository(tmp_path):
    summary = tmp_path / "summary.md"
    result = run_flakelint("--now", seed_now(), "--summary", str(summary), ".", cwd=REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    text = summary.read_text(encoding="utf-8")
    assert "All checks passed" in text
    graphs = re.findall(r"<summary>Import graph of <code>(.*?)</code>: (\d+) files", text)
    assert graphs == [(".", "3"), ("examples/seed", "14")]  # the fixtures are not drawn
    assert 'n1["nix/package.nix [package]"]' in text


# --- a nested flake under an excluded directory ------------------------------------------------


def test_exclude_covers_nested_flakes(tmp_path):
    broken = "{ outputs = _: { x = 1 }; }\n"
    files = {"flake.nix": "{ outputs = _: { }; }\n", "vendor/thing/flake.nix": broken, "other/flake.nix": broken}
    repo = make_repo(tmp_path / "repo", {**files, "flakelint.toml": 'exclude = ["vendor"]\n'})
    result = run_flakelint("--select", "FL001", "--output-format", "concise", ".", cwd=repo)
    assert result.returncode == 1
    assert "other/flake.nix" in result.stdout and "vendor/" not in result.stdout
    # Named directly, the excluded flake is linted on its own.
    direct = run_flakelint("--select", "FL001", "--output-format", "concise", "vendor/thing", cwd=repo)
    assert direct.returncode == 1 and "vendor/thing/flake.nix:1:" in direct.stdout
