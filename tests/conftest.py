"""Shared test helpers: throwaway repos made with real git, and flakelint runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "tests" / "fixtures"
SARIF_SCHEMA = REPO_ROOT.parent / "shared" / "sarif" / "sarif-schema-2.1.0.json"


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True, env=env)


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    for relpath, content in files.items():
        target = root / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return root


def make_repo(root: Path, files: dict[str, str | bytes], *, use_git: bool = True, track: bool = True) -> Path:
    """A repo in ``root`` with ``files``; a git work tree with everything added unless told otherwise."""
    root.mkdir(parents=True, exist_ok=True)
    write_files(root, files)
    if use_git:
        git(root, "init", "-q", "-b", "main")
        if track:
            git(root, "add", "-A")
    return root


def copy_fixture(source: Path, destination: Path, *, use_git: bool = True) -> Path:
    shutil.copytree(source, destination, symlinks=True)
    if use_git:
        git(destination, "init", "-q", "-b", "main")
        git(destination, "add", "-A")
    return destination


def run_flakelint(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """flakelint as a user runs it: a real subprocess."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("FLAKELINT_OUTPUT_FORMAT", None) if "FLAKELINT_OUTPUT_FORMAT" not in (env or {}) else None
    return subprocess.run(
        [sys.executable, "-m", "flakelint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )


@pytest.fixture
def repo_factory(tmp_path):
    counter = iter(range(10_000))

    def factory(files: dict[str, str | bytes], **kwargs) -> Path:
        return make_repo(tmp_path / f"repo{next(counter)}", files, **kwargs)

    return factory


def pytest_collection_modifyitems(config, items):
    """Long fuzzing runs (``@pytest.mark.fuzz``) only when asked for: ``pytest -m fuzz``."""
    if "fuzz" in (config.getoption("markexpr", default="") or ""):
        return
    skip = pytest.mark.skip(reason="long fuzzing run; select it with `pytest -m fuzz`")
    for item in items:
        if item.get_closest_marker("fuzz") is not None:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _private_cache_dir(tmp_path_factory, monkeypatch):
    """Each test gets its own result cache: nothing outside the test is read or written."""
    monkeypatch.setenv("FLAKELINT_CACHE_DIR", str(tmp_path_factory.mktemp("flakelint-cache")))


@pytest.fixture(autouse=True)
def _fresh_rule_index():
    """The registry's memo of rule facts forgotten around each test.

    Tests register rules of their own by editing the dict ``all_rules()``
    returns; the index the engine reads (:func:`flakelint.registry.rule_index`)
    is then rebuilt from that dict, and from the real one again afterwards.
    """
    from flakelint.registry import rule_index

    rule_index.cache_clear()
    yield
    rule_index.cache_clear()
