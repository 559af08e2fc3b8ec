"""The result cache: warm runs equal cold runs, and every input that matters invalidates it."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

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


def test_a_warm_run_with_stamps_parses_only_files_with_directives(repo, stamping, monkeypatch):
    """Snippets need bytes, not trees: a stamped file is parsed only if a tree is asked for.

    box.nix holds a suppression (its comments are read from the tree);
    old.nix has findings (their snippets come from the bytes); flake.nix
    feeds the date rules, whose findings are kept for the same "now".
    """
    cold = run(repo)
    import flakelint.engine as engine

    parsed = []
    original = engine.parse_source
    monkeypatch.setattr(engine, "parse_source", lambda data, path, *a, **k: parsed.append(path) or original(data, path, *a, **k))
    import flakelint.parse as parse_module

    lazy = parse_module.parse_source
    monkeypatch.setattr(parse_module, "parse_source", lambda data, path, *a, **k: parsed.append(path) or lazy(data, path, *a, **k))
    warm = run(repo)
    assert findings(warm) == findings(cold)
    assert set(parsed) == {"box.nix"}


def test_clock_rules_see_each_runs_now(repo):
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
    try:
        assert _key(repo) != key_before
    finally:
        cache.code_fingerprint.cache_clear()  # the next test's flakelint is the real one again


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
    assert entries() == [] and packs() == []


def test_a_corrupt_entry_is_a_miss(repo):
    run(repo)
    for name in entries():
        (Path(cache.cache_dir()) / name).write_text("{not json")
    assert findings(run(repo)) == findings(lint([str(repo)], now=NOW))


def test_concurrent_runs_leave_a_valid_entry_and_the_repo_untouched(repo):
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    command = [sys.executable, "-m", "flakelint", "--now", str(int(NOW)), "--output-format", "json", str(repo)]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert {out for out, _ in outputs} == {outputs[0][0]}
    assert all(process.returncode == 1 for process in processes)
    for name in entries():
        json.loads((Path(cache.cache_dir()) / name).read_text())
    for name in packs():
        with open(Path(cache.cache_dir()) / name, "rb") as handle:
            assert len(pickle.load(handle)["files"]) == 4  # whole, not torn
    assert not any(name.endswith(".tmp") for name in os.listdir(cache.cache_dir()))
    after = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert before == after


def test_no_cache_inside_the_linted_repository(repo, monkeypatch):
    monkeypatch.setenv("FLAKELINT_CACHE_DIR", str(repo / ".cache" / "flakelint"))
    first = run(repo)
    assert not (repo / ".cache").exists()
    assert findings(run(repo)) == findings(first)


# ---------------------------------------------------------------- per-file outcomes


def packs():
    return sorted(p for p in os.listdir(cache.cache_dir()) if p.endswith(".files.pickle"))


@pytest.fixture
def analysed(monkeypatch):
    """The files the per-file stage really analyses (in-process: --jobs 1)."""
    import flakelint.engine as engine

    seen: list[str] = []
    original = engine._analyse_chunk
    monkeypatch.setattr(engine, "_analyse_chunk", lambda context, items: seen.extend(p for p, _ in items) or original(context, items))
    monkeypatch.setenv("FLAKELINT_JOBS", "1")
    return seen


def test_after_editing_one_file_only_that_file_is_analysed_again(repo, analysed):
    run(repo)
    assert packs(), "a cached run keeps its per-file outcomes"
    assert sorted(analysed) == ["box.nix", "common.nix", "flake.nix", "old.nix"]
    analysed.clear()
    (repo / "old.nix").write_text("{ ... }: { x = 1; }\n")
    warm = run(repo)
    assert analysed == ["old.nix"]
    assert findings(warm) == findings(lint([str(repo)], now=NOW))
    assert "FL001" not in {d.code for d in warm.diagnostics}
    analysed.clear()
    # A file whose facts changed what other files mean: the repository rules still see it.
    (repo / "box.nix").write_text("{ ... }: {\n  imports = [ ./common.nix ./old.nix ];\n}\n")
    warm = run(repo)
    assert analysed == ["box.nix"]
    assert findings(warm) == findings(lint([str(repo)], now=NOW))
    assert "FL201" not in {d.code for d in warm.diagnostics if d.path.endswith("old.nix")}


def test_a_config_change_analyses_every_file_again(repo, analysed):
    run(repo)
    analysed.clear()
    (repo / "flakelint.toml").write_text('per-file-ignores = { "old.nix" = ["FL001"] }\n')
    warm = run(repo)
    assert sorted(analysed) == ["box.nix", "common.nix", "flake.nix", "old.nix"]
    assert findings(warm) == findings(lint([str(repo)], now=NOW))


def test_a_new_flakelint_analyses_every_file_again(repo, analysed, monkeypatch):
    run(repo)
    analysed.clear()
    (repo / "old.nix").write_text("{ ... }: { x = 2; }\n")  # so that the flake's entry misses too
    cache.code_fingerprint.cache_clear()
    monkeypatch.setattr(cache, "__version__", "99.1.0")
    try:
        warm = run(repo)
    finally:
        cache.code_fingerprint.cache_clear()
    assert sorted(analysed) == ["box.nix", "common.nix", "flake.nix", "old.nix"]
    assert findings(warm) == findings(lint([str(repo)], now=NOW))


@pytest.mark.parametrize("damage", ["corrupt", "writable-by-others", "symlink"])
def test_a_pack_that_cannot_be_trusted_is_not_read(repo, analysed, damage):
    run(repo)
    (pack,) = packs()
    path = Path(cache.cache_dir()) / pack
    if damage == "corrupt":
        path.write_bytes(b"\x80\x05not a pickle")
    elif damage == "writable-by-others":
        os.chmod(path, 0o666)
    else:
        target = path.with_name("elsewhere.bin")
        path.rename(target)
        path.symlink_to(target)
    analysed.clear()
    (repo / "old.nix").write_text("{ ... }: { x = 3; }\n")
    warm = run(repo)
    assert sorted(analysed) == ["box.nix", "common.nix", "flake.nix", "old.nix"]
    assert findings(warm) == findings(lint([str(repo)], now=NOW))


# ---------------------------------------------------------------- file stamps


@pytest.fixture
def stamping(monkeypatch):
    """Files written by the test count as old enough to stamp (they were all written a moment ago)."""
    monkeypatch.setattr(cache, "RACY_SECONDS", 0)


def _reads(monkeypatch):
    """The files flakelint reads through the engine from now on."""
    import flakelint.engine as engine

    opened = []
    original = engine.read_source
    monkeypatch.setattr(engine, "read_source", lambda abspath, relpath, *a, **k: opened.append(relpath) or original(abspath, relpath, *a, **k))
    return opened


def _stamped(repo) -> set[str]:
    entry = cache.read_entry(os.path.realpath(repo))
    return set(entry.get("stamps", {}).get("files", {})) if entry else set()


def test_a_warm_run_reads_only_the_files_it_shows(repo, stamping, monkeypatch):
    cold = run(repo)
    assert _stamped(repo) >= {"box.nix", "common.nix", "old.nix", "flake.nix"}
    opened = _reads(monkeypatch)
    warm = run(repo)
    assert findings(warm) == findings(cold)
    # The stamps stand in for reading: only files whose findings need a
    # snippet or suppressions, flake.nix and flake.lock for the key and the
    # clock rules, are read.
    assert set(opened) <= {"flake.nix", "flake.lock", "box.nix", "old.nix"}
    assert "common.nix" not in opened


def test_files_changed_just_before_the_run_are_not_stamped(repo):
    run(repo)  # every file was written well within RACY_SECONDS of this run
    assert _stamped(repo) == set()
    assert entries()


def test_an_edit_that_keeps_size_and_modification_time_is_seen(repo, stamping):
    run(repo)
    target = repo / "old.nix"
    before = os.stat(target)
    fixed = "{ ... }: { x = 1;}\n"  # the same length as the broken original
    assert len(fixed) == before.st_size
    target.write_text(fixed)
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))  # the change time still moves
    warm = run(repo)
    assert "FL001" not in {d.code for d in warm.diagnostics}
    assert findings(warm) == findings(lint([str(repo)], now=NOW))


def test_a_stamped_file_swapped_for_a_symlink_is_examined_again(repo, stamping, tmp_path):
    run(repo)
    outside = tmp_path / "outside.nix"
    outside.write_text((repo / "common.nix").read_text())
    (repo / "common.nix").unlink()
    (repo / "common.nix").symlink_to(outside)
    warm = run(repo)
    assert any(d.code == "FL002" and d.path.endswith("common.nix") and "outside" in d.message for d in warm.diagnostics)
    assert findings(warm) == findings(lint([str(repo)], now=NOW))


def test_stamps_are_not_used_under_another_size_limit(repo, stamping):
    run(repo)
    (repo / "flakelint.toml").write_text('max-file-size = "40"\n')
    warm = run(repo)
    assert any(d.code == "FL002" and d.path.endswith("box.nix") for d in warm.diagnostics)
    assert findings(warm) == findings(lint([str(repo)], now=NOW))


def test_a_stamped_file_below_a_directory_swapped_for_an_outside_link_is_examined_again(repo_factory, stamping, tmp_path):
    import shutil

    repo = repo_factory({**FILES, "sub/inner.nix": "{ }\n"})
    run(repo)
    assert "sub/inner.nix" in _stamped(repo)
    outside = tmp_path / "outside-sub"
    shutil.copytree(repo / "sub", outside)  # the same bytes, and even the same lstat is no reason to trust it
    shutil.rmtree(repo / "sub")
    (repo / "sub").symlink_to(outside)
    warm = run(repo)
    assert any(d.code == "FL002" and d.path.endswith("sub/inner.nix") and "outside" in d.message for d in warm.diagnostics)
    assert findings(warm) == findings(lint([str(repo)], now=NOW))
