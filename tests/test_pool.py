"""The per-file stage in worker processes: same findings as in-process, and no file lost to a dying worker.

The kill and hang tests use test-only hooks of :mod:`flakelint.pool`
(``FLAKELINT_TEST_KILL_ON``, ``FLAKELINT_TEST_KILL_MARKER``,
``FLAKELINT_TEST_HANG_ON``), which only worker processes read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO_ROOT, copy_fixture, make_repo, run_flakelint
from flakelint import parse as parse_module
from flakelint.engine import Overrides, lint
from flakelint.pool import MIN_FILES, jobs_for

NOW = "2025-11-20"

#: Files with findings of many kinds (file rules, repo rules, suppressions, FL002).
SPECIAL = {
    "modules/broken.nix": "{ config, ... }: { services.foo = {; }\n",
    "modules/impure.nix": "{ ... }: { x = builtins.getEnv \"HOME\"; y = /etc/hosts; z = <nixpkgs>; }\n",
    "modules/fetch.nix": "{ ... }: { src = builtins.fetchTarball \"https://example.org/x.tar.gz\"; }\n",
    "modules/suppressed.nix": "{ ... }: {\n  # flakelint: ignore[FL114]\n  x = builtins.currentTime;\n  # flakelint: ignore[FL999]\n  y = 1;\n}\n",
    "modules/with.nix": "with import <nixpkgs> { }; { a = 1; }\n",
    "modules/commas.nix": "{ a, b, }: { c = a; }\n",
    "binary.nix": b"\x00\x01\x02",
    "orphan.nix": "{ }\n",
}


def generated_repo(tmp_path: Path, files: int = 60) -> Path:
    """A bench-generated flake (deterministic) plus files with findings, in git."""
    root = tmp_path / "flake"
    subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / "generate.py"), str(root), "--files", str(files)],
        check=True,
        capture_output=True,
    )
    host = sorted((root / "hosts").iterdir())[0]
    config = host / "configuration.nix"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("imports = [", "imports = [ ../../modules/impure.nix ../../modules/fetch.nix ../../modules/suppressed.nix ../../modules/with.nix ../../modules/commas.nix ../../modules/broken.nix", 1), encoding="utf-8")
    return make_repo(root, SPECIAL)


def json_report(root: Path, jobs: int, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_flakelint(
        "--no-cache", "--now", NOW, "--output-format", "json", "--jobs", str(jobs), str(root), cwd=root, env=env
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return generated_repo(tmp_path_factory.mktemp("pool"))


@pytest.fixture(scope="module")
def serial(repo) -> subprocess.CompletedProcess:
    result = json_report(repo, 1)
    assert result.returncode == 1, result.stderr
    return result


def test_the_generated_repo_has_findings_of_many_kinds(serial):
    codes = {d["code"] for d in json.loads(serial.stdout)}
    assert {"FL001", "FL002", "FL003", "FL112", "FL113", "FL114"} <= codes


def test_pool_and_in_process_give_byte_identical_reports(repo, serial):
    pooled = json_report(repo, 2)
    assert pooled.returncode == 1, pooled.stderr
    assert pooled.stdout == serial.stdout
    assert pooled.stderr == serial.stderr


def test_more_workers_than_cpus_same_report(repo, serial):
    assert json_report(repo, 5).stdout == serial.stdout


def test_every_fixture_same_report_with_and_without_workers(tmp_path):
    # One process per mode over all fixtures (each flake's findings must not
    # depend on the mode; a process-wide state would affect both the same way).
    roots = [str(copy_fixture(p, tmp_path / p.name)) for p in sorted(FIXTURES.iterdir()) if p.is_dir()]
    args = ("--no-cache", "--now", NOW, "--output-format", "json", *roots)
    serial = run_flakelint("--jobs", "1", *args, cwd=tmp_path)
    pooled = run_flakelint("--jobs", "2", *args, cwd=tmp_path)
    assert serial.returncode == 1 and "Traceback" not in serial.stderr
    assert len(json.loads(serial.stdout)) > 100
    assert pooled.stdout == serial.stdout
    assert pooled.stderr == serial.stderr


def test_a_worker_killed_on_one_file_loses_no_other_result(repo, serial):
    victim = "modules/impure.nix"
    result = json_report(repo, 2, env={"FLAKELINT_TEST_KILL_ON": victim})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    found = json.loads(result.stdout)
    lost = [d for d in found if d["path"] == victim]
    assert [d["code"] for d in lost] == ["FL004"]
    assert "died twice" in lost[0]["message"]
    # Every other file's own findings (file rules, FL002, FL003, per-file facts of repo rules) are there.
    expected = [d for d in json.loads(serial.stdout) if d["path"] != victim and d["code"] in ("FL001", "FL002", "FL003", "FL112", "FL113", "FL115")]
    assert expected and all(d in found for d in expected)


def test_a_worker_that_dies_once_is_retried_and_nothing_changes(repo, serial, tmp_path):
    marker = tmp_path / "killed-once"
    result = json_report(repo, 2, env={"FLAKELINT_TEST_KILL_ON": "modules/fetch.nix", "FLAKELINT_TEST_KILL_MARKER": str(marker)})
    assert marker.exists()  # a worker did die
    assert result.returncode == 1
    assert result.stdout == serial.stdout


def test_the_kill_hook_is_ignored_in_process(repo, serial):
    result = json_report(repo, 1, env={"FLAKELINT_TEST_KILL_ON": "modules/impure.nix"})
    assert result.stdout == serial.stdout


def test_a_hanging_file_becomes_a_finding(repo):
    result = json_report(repo, 2, env={"FLAKELINT_TEST_HANG_ON": "modules/with.nix", "FLAKELINT_FILE_TIMEOUT": "1"})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    found = [d for d in json.loads(result.stdout) if d["path"] == "modules/with.nix"]
    assert [d["code"] for d in found] == ["FL004"]
    assert "longer than 1 seconds" in found[0]["message"]


def test_parse_time_limit_holds_in_workers(tmp_path, monkeypatch):
    # Workers are forked on Linux, so they see the patched budget; elsewhere
    # they would use the default one and the file would parse (no FL002).
    if not sys.platform.startswith("linux"):
        pytest.skip("fork start method only on Linux")
    monkeypatch.setattr(parse_module, "PARSE_SECONDS_BASE", 0.1)
    files = {f"m{i}.nix": "{ }\n" for i in range(10)}
    files["slow.nix"] = "-" * 30_000 + "1\n"
    root = make_repo(tmp_path / "slow", files)
    result = lint([str(root)], Overrides(jobs=2), now=1763600000)
    slow = [d for d in result.diagnostics if d.path.endswith("slow.nix")]
    assert [d.code for d in slow] == ["FL002"]
    assert "too long to parse" in slow[0].message


def test_jobs_for():
    assert jobs_for(10, None) == 0 or MIN_FILES <= 10
    assert jobs_for(10_000, 1) == 0
    assert jobs_for(10_000, 0) == 0
    assert jobs_for(10, 3) == 3
    assert jobs_for(2, 8) == 2


def test_invalid_jobs_is_a_usage_error(repo):
    result = run_flakelint("--jobs", "-3", str(repo), cwd=repo)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_warm_run_after_a_pooled_cold_run_is_identical(repo, serial, tmp_path):
    env = {"FLAKELINT_CACHE_DIR": str(tmp_path / "cache")}
    args = ("--now", NOW, "--output-format", "json", str(repo))
    cold = run_flakelint("--jobs", "2", *args, cwd=repo, env=env)
    warm = run_flakelint("--jobs", "2", *args, cwd=repo, env=env)
    assert list((tmp_path / "cache").iterdir())  # the cold run stored an entry
    assert cold.stdout == warm.stdout == serial.stdout


def test_the_main_process_parses_only_a_few_files_again(tmp_path):
    # The point of the design: trees stay in the workers; repository rules
    # read facts and summaries, and parse only what they really look into.
    # (Selected families whose rules are written that way; a rule that walks
    # every file's tree shows up here as a jump in the count.)
    root = generated_repo(tmp_path, files=400)
    result = lint([str(root)], Overrides(jobs=2, select=["FL0", "FL1", "FL2", "FL4"]), now=1763600000, keep_repos=True)
    sources = result.repos[0].sources
    parsed = sources.parsed_paths()
    assert len(sources) > 400
    assert "flake.nix" in parsed
    assert len(parsed) < len(sources) // 5, parsed


def test_lazy_source_file_parses_only_when_a_tree_is_needed():
    from flakelint.parse import LazySourceFile, parse_source

    data = b"{ a, b, }:\n{ c = a; }\n"
    lazy = LazySourceFile("x.nix", "", data, has_error=False)
    assert lazy.line_text(2) == "{ c = a; }" and lazy.position(13).line == 2
    assert lazy.has_error is False and not lazy.is_parsed
    eager = parse_source(data, "x.nix")
    assert lazy.patched_offsets == eager.patched_offsets == (data.index(b", }"),)
    assert lazy.is_parsed and str(lazy.root_node) == str(eager.root_node)
    assert lazy.has_error == eager.root_node.has_error


def test_hostile_files_read_by_the_workers_give_the_same_report(tmp_path):
    """Without the cache, the workers read their files themselves: every refusal is the same as reading up front."""
    from test_hostile import HOSTILE_CONTENT

    outside = tmp_path / "outside"
    outside.mkdir()
    canary = "CANARY-read-by-a-worker"
    (outside / "secret.nix").write_text("{ a = 1, } # " + canary + "\n")
    files = {name: content for name, content, _expected in HOSTILE_CONTENT}
    files.update({"real.nix": "{ }\n", "somedir/x.txt": "x\n", "dir.nix/inner.txt": "x\n", "fifo.nix": "{ }\n"})
    repo = make_repo(tmp_path / "repo", files)
    os.symlink("loop-b.nix", repo / "loop-a.nix")
    os.symlink("loop-a.nix", repo / "loop-b.nix")
    os.symlink("missing.nix", repo / "dangling.nix")
    os.symlink(outside / "secret.nix", repo / "outside.nix")
    os.symlink("somedir", repo / "dirlink.nix")
    (repo / "fifo.nix").unlink()  # tracked, then replaced by a FIFO (git lists no untracked FIFO)
    os.mkfifo(repo / "fifo.nix")
    serial = json_report(repo, 1)
    pooled = json_report(repo, 2)
    assert serial.returncode == pooled.returncode == 1, serial.stderr + pooled.stderr
    assert pooled.stdout == serial.stdout
    fl002 = {d["path"] for d in json.loads(pooled.stdout) if d["code"] == "FL002"}
    assert {"binary.nix", "latin1.nix", "loop-a.nix", "dangling.nix", "outside.nix", "dirlink.nix", "fifo.nix", "dir.nix"} <= fl002
    assert "git-crypt.nix" not in {d["path"] for d in json.loads(pooled.stdout)}
    assert canary not in pooled.stdout + pooled.stderr


def test_a_file_whose_analysis_raises_fails_alone_in_its_chunk(tmp_path, monkeypatch):
    """Steps run over a chunk of files at a time; one file's exception costs that file only (FL004)."""
    import flakelint.engine as engine
    from flakelint.pool import CHUNK_FILES

    files = {"flake.nix": "{ outputs = { ... }: { }; }\n"}
    for index in range(CHUNK_FILES + 2):
        files[f"m{index:02}.nix"] = "{ ... }: {\n  # flakelint: ignore[FL114]\n  x = builtins.currentTime;\n}\n"
    repo = make_repo(tmp_path / "repo", files)
    real = engine.find_suppressions

    def find_suppressions(source):
        if source.path == "m03.nix":
            raise RuntimeError("boom")
        return real(source)

    monkeypatch.setattr(engine, "find_suppressions", find_suppressions)
    monkeypatch.setenv("FLAKELINT_JOBS", "1")
    result = lint([str(repo)], Overrides(select=["FL004", "FL114"]), now=0.0)
    found = sorted((os.path.basename(d.path), d.code) for d in result.diagnostics)
    assert ("m03.nix", "FL004") in found
    assert "RuntimeError: boom" in next(d.message for d in result.diagnostics if d.code == "FL004")
    # Every other file of the chunk kept its outcome: its suppression still silences FL114.
    assert [f for f in found if f[0] != "m03.nix"] == []


def _lengths(context, items):
    return [(path, len(data)) for path, data in items]


def _lengths_once_released(flag, items):
    """``_lengths``, once the file ``flag`` exists (at most 10 s: a test must not hang)."""
    deadline = time.monotonic() + 10
    while not os.path.exists(flag):
        if time.monotonic() > deadline:
            raise TimeoutError("never released")
        time.sleep(0.005)
    return _lengths(flag, items)


def test_the_idle_hook_runs_once_while_the_workers_work(tmp_path):
    """The main process gets one head start (the CLI imports the report format) while the workers analyse.

    The workers here wait until the hook has run: a hook that ran only once
    a worker was out of work would leave every file failed (after 10 seconds each).
    """
    from flakelint import pool

    calls = []
    flag = tmp_path / "released"
    items = [(f"f{index:03}.nix", b"x" * index) for index in range(200)]

    def release():
        calls.append(1)
        flag.touch()

    results = pool.run(_lengths_once_released, str(flag), items, 2, lambda path, reason: None, idle=release)
    assert results == {path: len(data) for path, data in items}
    assert calls == [1]
    failing = pool.run(_lengths, None, items, 2, lambda path, reason: None, idle=lambda: 1 / 0)
    assert failing == results  # a failing head start changes nothing


def test_batches_cover_every_item_once_and_shrink_towards_the_end():
    from flakelint.pool import CHUNK_FILES, MAX_BATCH, batches

    for count, jobs in ((0, 2), (1, 2), (10, 2), (300, 2), (4006, 2), (4006, 8), (9, 16)):
        ranges = batches(count, jobs)
        assert [i for start, stop in ranges for i in range(start, stop)] == list(range(count))
        sizes = [stop - start for start, stop in ranges]
        assert sizes == sorted(sizes, reverse=True) or sizes[:-1] == sorted(sizes[:-1], reverse=True)
        assert all(size <= MAX_BATCH for size in sizes)
    sizes = [stop - start for start, stop in batches(4006, 2)]
    assert sizes[0] == MAX_BATCH and max(sizes[-4:]) == CHUNK_FILES  # large first, a chunk each at the end
