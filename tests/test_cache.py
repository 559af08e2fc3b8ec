"""The result cache: warm runs equal cold runs, and every input that matters invalidates it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from flakelint import cache
from flakelint.engine import lint

FLAKE = """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  outputs = { nixpkgs, ... }: {
    nixosConfigurations.box = nixpkgs.lib.nixosSystem { modules = [ ./box.nix ]; };
  };
}
"""
LOCK = json.dumps(
    {
        "nodes": {
            "nixpkgs": {
                "locked": {"lastModified": 1763000000, "narHash": "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "owner": "NixOS", "repo": "nixpkgs", "rev": "0" * 40, "type": "github"},
                "original": {"owner": "NixOS", "ref": "nixos-unstable", "repo": "nixpkgs", "type": "github"},
            },
            "root": {"inputs": {"nixpkgs": "nixpkgs"}},
        },
        "root": "root",
        "version": 7,
    },
    indent=2,
)
FILES = {
    "flake.nix": FLAKE,
    "flake.lock": LOCK,
    "common.nix": "{ ... }: { time.timeZone = \"UTC\"; }\n",
    "box.nix": "{ ... }: {\n  imports = [ ./common.nix ./missing.nix ]; # flakelint: ignore[FL202] -- created later\n  networking.hostName = \"box\";\n}\n",
    "old.nix": "{ ... }: { x = 1 }\n",
}
NOW = 1_763_100_000.0  # a day after the lock


def findings(result):
    return [(d.path, d.start.line, d.start.column, d.code, d.message) for d in result.diagnostics]


def run(path, **kwargs):
    return lint([str(path)], now=kwargs.pop("now", NOW), use_cache=True, **kwargs)


@pytest.fixture
def repo(repo_factory):
    return repo_factory(FILES)


def entries():
    return sorted(p for p in os.listdir(cache.cache_dir()) if p.endswith(".json"))


def test_warm_run_returns_exactly_the_cold_findings(repo):
    cold = lint([str(repo)], now=NOW)
    first = run(repo)
    assert entries(), "the first cached run writes an entry"
    warm = run(repo)
    assert findings(cold) == findings(first) == findings(warm)
    assert {code for *_, code, _ in findings(warm)} >= {"FL001", "FL201"}
    assert warm.files_analysed == cold.files_analysed


def test_a_warm_run_parses_nothing_it_does_not_need(repo, monkeypatch):
    run(repo)
    import flakelint.engine as engine

    parsed = []
    original = engine.parse_source
    monkeypatch.setattr(engine, "parse_source", lambda data, path, *a, **k: parsed.append(path) or original(data, path, *a, **k))
    run(repo)
    # old.nix has findings, box.nix a suppression, flake.nix feeds the clock rules: nothing else.
    assert set(parsed) <= {"flake.nix", "box.nix", "old.nix"}
    assert "common.nix" not in parsed


def test_clock_rules_are_never_cached(repo):
    fresh = run(repo)
    assert "FL108" not in {d.code for d in fresh.diagnostics}
    later = run(repo, now=NOW + 400 * 86400)
    assert "FL108" in {d.code for d in later.diagnostics}
    assert findings(later) == findings(lint([str(repo)], now=NOW + 400 * 86400))


def test_editing_a_file_invalidates(repo):
    run(repo)
    (repo / "old.nix").write_text("{ ... }: { x = 1; }\n")
    warm = run(repo)
    assert findings(warm) == findings(lint([str(repo)], now=NOW))
    assert "FL001" not in {d.code for d in warm.diagnostics}


def test_changing_the_config_invalidates(repo):
    run(repo)
    (repo / "flakelint.toml").write_text('ignore = ["FL201"]\n')
    warm = run(repo)
    assert "FL201" not in {d.code for d in warm.diagnostics}
    assert findings(warm) == findings(lint([str(repo)], now=NOW))


def test_git_tracking_state_invalidates(repo):
    from conftest import git

    run(repo)
    (repo / "extra.nix").write_text("{ }\n")  # untracked and unreferenced
    warm = run(repo)
    assert findings(warm) == findings(lint([str(repo)], now=NOW))
    git(repo, "add", "extra.nix")
    assert findings(run(repo)) == findings(lint([str(repo)], now=NOW))


def test_a_new_flakelint_invalidates(repo, monkeypatch):
    run(repo)
    key_before = _key(repo)
    cache.code_fingerprint.cache_clear()
    monkeypatch.setattr(cache, "__version__", "99.0.0")
    assert _key(repo) != key_before


def _key(repo):
    from flakelint.config import Settings
    from flakelint.discover import discover
    from flakelint.engine import _lock_bytes, read_contents

    flake = discover(str(repo)).flakes[0]
    settings = Settings()
    return cache.flake_key(flake, settings, read_contents(flake, settings), _lock_bytes(flake, settings), str(repo))


def test_no_cache_neither_reads_nor_writes(repo):
    result = subprocess.run([sys.executable, "-m", "flakelint", "--no-cache", "--now", str(int(NOW)), str(repo)], capture_output=True, text=True)
    assert result.returncode == 1
    assert entries() == []


def test_a_corrupt_entry_is_a_miss(repo):
    run(repo)
    for name in entries():
        (cache.cache_dir() / name).write_text("{not json")
    assert findings(run(repo)) == findings(lint([str(repo)], now=NOW))


def test_concurrent_runs_leave_a_valid_entry_and_the_repo_untouched(repo):
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    command = [sys.executable, "-m", "flakelint", "--now", str(int(NOW)), "--output-format", "json", str(repo)]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert {out for out, _ in outputs} == {outputs[0][0]}
    assert all(process.returncode == 1 for process in processes)
    for name in entries():
        json.loads((cache.cache_dir() / name).read_text())
    assert not any(name.endswith(".tmp") for name in os.listdir(cache.cache_dir()))
    after = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert before == after


def test_no_cache_inside_the_linted_repository(repo, monkeypatch):
    monkeypatch.setenv("FLAKELINT_CACHE_DIR", str(repo / ".cache" / "flakelint"))
    first = run(repo)
    assert not (repo / ".cache").exists()
    assert findings(run(repo)) == findings(first)
