"""The pre-commit hook, run by the real pre-commit as a user would.

`pre-commit try-repo` installs the hook from a snapshot of this checkout (the
files git lists: tracked, plus untracked files that are not ignored, so
uncommitted work is what gets tested) into a fresh virtual environment,
which downloads flakelint's dependencies from PyPI: the test is marked
`network` and skips when PyPI cannot be reached. `.ci/run` runs it. Under
CI=true a missing pre-commit is a failure, not a skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO_ROOT, git, make_repo

pytestmark = pytest.mark.network

FLAKE = """{
  description = "a small flake";
  inputs = { };
  outputs = { self }: {
    nixosConfigurations.box = {
      modules = [ ./hosts/box.nix ];
    };
  };
}
"""


def pre_commit() -> list[str]:
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("pre-commit is not installed: `pip install -e '.[test]'` installs it")
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    return [sys.executable, "-m", "pre_commit"]


def require_pypi() -> None:
    index = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple/").rstrip("/")
    try:
        with urllib.request.urlopen(f"{index}/pip/", timeout=15) as response:
            response.read(1)
    except OSError as exc:
        pytest.skip(f"PyPI is unreachable ({exc}); pre-commit could not build the hook's environment")


def snapshot_of_checkout(destination: Path) -> Path:
    """A one-commit git repository with the checkout's files as they are now."""
    listing = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout
    for raw in listing.split(b"\0"):
        if not raw:
            continue
        relative = os.fsdecode(raw)
        source = REPO_ROOT / relative
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the work tree
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    git(destination, "init", "-q", "-b", "main")
    git(destination, "add", "-A")
    git(destination, "commit", "-q", "--no-verify", "-m", "snapshot")
    return destination


def test_manifest_is_valid():
    result = subprocess.run(
        [*pre_commit(), "validate-manifest", str(REPO_ROOT / ".pre-commit-hooks.yaml")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_try_repo_fails_on_a_finding_and_passes_when_clean(tmp_path):
    command = pre_commit()
    require_pypi()
    hook_repo = snapshot_of_checkout(tmp_path / "flakelint")
    user = make_repo(tmp_path / "user", {"flake.nix": FLAKE, "hosts/box.nix": "{ ... }: { networking.hostName = \"box\"; }\n"})
    git(user, "commit", "-q", "--no-verify", "-m", "a small flake")
    skip = ("FLAKELINT_", "PRE_COMMIT", "SOURCE_DATE_EPOCH")
    env = {k: v for k, v in os.environ.items() if not k.startswith(skip)}
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")

    def try_repo() -> tuple[subprocess.CompletedProcess, float]:
        started = time.monotonic()
        process = subprocess.run(
            [*command, "try-repo", str(hook_repo), "flakelint", "--all-files", "--color", "never"],
            cwd=user,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        return process, time.monotonic() - started

    clean, first_seconds = try_repo()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "flakelint" in clean.stdout and "Passed" in clean.stdout

    # A path to nothing and a file nothing imports: whole-repository findings.
    (user / "hosts" / "box.nix").write_text("{ ... }: { imports = [ ./hardware.nix ]; }\n", encoding="utf-8")
    (user / "old.nix").write_text("{ }\n", encoding="utf-8")
    git(user, "add", "-A")
    dirty, second_seconds = try_repo()
    assert dirty.returncode == 1, dirty.stdout + dirty.stderr
    assert "Failed" in dirty.stdout
    assert "hosts/box.nix:1:24: FL202" in dirty.stdout
    assert "old.nix:1:1: FL201" in dirty.stdout
    # Measured, not asserted. try-repo builds the hook's environment afresh
    # each time (a temporary store); `pre-commit run` builds it once.
    print(f"pre-commit try-repo: {first_seconds:.1f} s clean, {second_seconds:.1f} s with findings")
