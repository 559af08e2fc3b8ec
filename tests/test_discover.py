"""Which files form the repository: git listing, the file-system walk, nested flakes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flakelint.discover import DiscoveryError, discover, find_flake_root
from flakelint.engine import lint

from conftest import git, make_repo, run_flakelint, write_files

FLAKE = "{\n  outputs = { self, ... }: { };\n}\n"
BROKEN = "{\n  a = 1,\n}\n"  # FL001 on line 2


def only(target):
    assert len(target.flakes) == 1, [f.root for f in target.flakes]
    return target.flakes[0]


def commit(root: Path, message: str = "c") -> None:
    git(root, "commit", "-q", "-m", message)


# -- the flake root -------------------------------------------------------------


def test_flake_root_is_found_upward_from_a_subdirectory(tmp_path):
    repo = make_repo(tmp_path / "repo", {"flake.nix": FLAKE, "hosts/laptop/default.nix": "{ }\n"})
    for start in (repo, repo / "hosts", repo / "hosts" / "laptop"):
        assert find_flake_root(str(start)) == str(repo)
        target = discover(str(start))
        assert only(target).root == str(repo)
        assert target.only_file is None
    assert only(discover(str(repo / "hosts"))).files == ["flake.nix", "hosts/laptop/default.nix"]


def test_root_search_stops_at_the_top_of_a_git_repository(tmp_path):
    # A repository without a flake inside a directory that has one (a home
    # directory with dotfiles, say): like Nix, do not climb out of the repository.
    write_files(tmp_path, {"flake.nix": FLAKE, "elsewhere/big.nix": BROKEN})
    project = make_repo(tmp_path / "projects" / "tool", {"src/default.nix": "{ }\n"})
    assert find_flake_root(str(project / "src")) is None
    flake = only(discover(str(project / "src")))
    assert flake.root == str(project / "src")
    assert flake.files == ["default.nix"]


def test_root_search_without_git_reaches_the_flake_above(tmp_path):
    write_files(tmp_path, {"flake.nix": FLAKE, "a/b/c.nix": "{ }\n"})
    assert find_flake_root(str(tmp_path / "a" / "b")) == str(tmp_path)


def test_missing_path_is_a_discovery_error(tmp_path):
    with pytest.raises(DiscoveryError):
        discover(str(tmp_path / "nope"))


def test_flake_in_a_subdirectory_of_its_git_repository(tmp_path):
    repo = make_repo(tmp_path / "repo", {"README.md": "x\n", "nix/flake.nix": FLAKE, "nix/hosts/a.nix": "{ }\n", "other.nix": "{ }\n"})
    flake = only(discover(str(repo / "nix")))
    assert flake.root == str(repo / "nix")
    assert flake.is_git
    assert flake.files == ["flake.nix", "hosts/a.nix"]
    assert flake.is_tracked("hosts/a.nix") is True


# -- git: tracked, untracked, ignored, deleted ----------------------------------


def test_git_listing_tracked_untracked_and_ignored(tmp_path):
    repo = make_repo(
        tmp_path / "repo",
        {
            "flake.nix": FLAKE,
            ".gitignore": "ignored.nix\nbuild/\n",
            "tracked.nix": "{ }\n",
        },
    )
    write_files(
        repo,
        {
            "untracked.nix": "{ }\n",
            "new-dir/also-untracked.nix": "{ }\n",
            "ignored.nix": BROKEN,
            "build/out.nix": BROKEN,
        },
    )
    flake = only(discover(str(repo)))
    assert flake.is_git and flake.git_problem is None
    assert flake.files == [".gitignore", "flake.nix", "new-dir/also-untracked.nix", "tracked.nix", "untracked.nix"]
    assert flake.is_tracked("tracked.nix") is True
    assert flake.is_tracked("untracked.nix") is False
    assert flake.is_tracked("new-dir/also-untracked.nix") is False
    assert flake.is_tracked("ignored.nix") is False
    # Ignored files are not linted at all.
    result = lint([str(repo)])
    assert not [d for d in result.diagnostics if "ignored" in d.path or "build" in d.path]


def test_tracked_files_deleted_from_the_work_tree_are_skipped(tmp_path):
    repo = make_repo(tmp_path / "repo", {"flake.nix": FLAKE, "gone.nix": "{ }\n", "dir/gone-too.nix": "{ }\n"})
    commit(repo)
    (repo / "gone.nix").unlink()
    (repo / "dir" / "gone-too.nix").unlink()
    (repo / "dir").rmdir()
    flake = only(discover(str(repo)))
    assert flake.files == ["flake.nix"]
    result = lint([str(repo)])
    assert not [d for d in result.diagnostics if d.code == "FL002"]


def test_staged_but_uncommitted_files_count_as_tracked(tmp_path):
    repo = make_repo(tmp_path / "repo", {"flake.nix": FLAKE})
    write_files(repo, {"staged.nix": "{ }\n"})
    git(repo, "add", "staged.nix")
    assert only(discover(str(repo))).is_tracked("staged.nix") is True


def test_git_configuration_cannot_run_anything(tmp_path):
    # A hostile repository's config: fsmonitor is a command git would run.
    marker = tmp_path / "ran"
    repo = make_repo(tmp_path / "repo", {"flake.nix": FLAKE})
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    git(repo, "config", "core.fsmonitor", str(hook))
    flake = only(discover(str(repo)))
    assert flake.files == ["flake.nix"]
    assert not marker.exists()


# -- no git: the walk ----------------------------------------------------------------


def test_walk_without_git(tmp_path):
    root = make_repo(
        tmp_path / "plain",
        {
            "flake.nix": FLAKE,
            "hosts/a.nix": "{ }\n",
            "vendored/.git/objects/x.nix": BROKEN,
            "vendored/default.nix": "{ }\n",
            "real/inside.nix": "{ }\n",
            "result": "a regular file named result is kept\n",
        },
        use_git=False,
    )
    outside = tmp_path / "outside"
    write_files(outside, {"secret.nix": BROKEN})
    os.symlink(root / "real", root / "linked-dir")
    os.symlink(outside, root / "outside-dir")
    os.symlink(outside, root / "result-dev")
    os.symlink(root / "real", root / "hosts" / "result-1")
    flake = only(discover(str(root)))
    assert not flake.is_git and flake.git_problem is None and flake.tracked is None
    assert flake.files == [
        "flake.nix",
        "hosts/a.nix",
        "linked-dir",  # listed as an entry, never entered
        "outside-dir",
        "real/inside.nix",
        "result",
        "vendored/default.nix",
    ]
    assert flake.is_tracked("hosts/a.nix") is None


def test_git_listing_also_drops_result_links(tmp_path):
    repo = make_repo(tmp_path / "repo", {"flake.nix": FLAKE})
    os.symlink("/nix/store/does-not-exist", repo / "result")
    assert only(discover(str(repo))).files == ["flake.nix"]


# -- nested flakes ----------------------------------------------------------------


@pytest.mark.parametrize("use_git", [True, False], ids=["git", "walk"])
def test_nested_flakes_are_separate_roots(tmp_path, use_git):
    repo = make_repo(
        tmp_path / "repo",
        {
            "flake.nix": FLAKE,
            "hosts/a.nix": "{ }\n",
            "templates/basic/flake.nix": FLAKE,
            "templates/basic/module.nix": "{ }\n",
            "templates/basic/deeper/flake.nix": FLAKE,
            "templates/basic/deeper/x.nix": "{ }\n",
            "modules/flake.nix": "{ config, ... }: { }\n",  # a module named flake.nix, not a flake
        },
        use_git=use_git,
    )
    target = discover(str(repo))
    by_root = {os.path.relpath(f.root, repo): f for f in target.flakes}
    assert sorted(by_root) == [".", "templates/basic", "templates/basic/deeper"]
    top, basic, deeper = by_root["."], by_root["templates/basic"], by_root["templates/basic/deeper"]
    assert top.files == ["flake.nix", "hosts/a.nix", "modules/flake.nix"]
    assert top.nested == ["templates/basic", "templates/basic/deeper"]
    assert basic.files == ["flake.nix", "module.nix"]
    assert basic.nested == ["deeper"]
    assert basic.parent == str(repo)
    assert deeper.files == ["flake.nix", "x.nix"]
    if use_git:
        assert basic.is_tracked("module.nix") is True
        assert deeper.is_tracked("x.nix") is True
        assert top.is_tracked("templates/basic/module.nix") is True
    else:
        assert basic.tracked is None


def test_nested_flake_findings_are_reported_once_with_their_own_paths(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "repo", {"flake.nix": FLAKE, "sub/flake.nix": FLAKE, "sub/broken.nix": BROKEN})
    monkeypatch.chdir(repo)
    result = lint(["."])
    syntax = [(d.path, d.start.line) for d in result.diagnostics if d.code == "FL001"]
    assert syntax == [("sub/broken.nix", 2)]
    assert {os.path.relpath(f.root, repo) for f in result.flakes} == {".", "sub"}


# -- a broken git ----------------------------------------------------------------


def test_corrupt_git_index_falls_back_to_the_walk(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "repo", {"flake.nix": FLAKE, "broken.nix": BROKEN})
    (repo / ".git" / "index").write_bytes(b"\x00garbage, not an index" * 10)
    flake = only(discover(str(repo)))
    assert not flake.is_git
    assert "index file corrupt" in flake.git_problem
    assert flake.files == ["broken.nix", "flake.nix"]
    monkeypatch.chdir(repo)
    result = lint(["."])
    assert [(d.path, d.code) for d in result.diagnostics if d.code == "FL001"] == [("broken.nix", "FL001")]
    assert len(result.warnings) == 1 and "index file corrupt" in result.warnings[0]
    run = run_flakelint("--output-format", "concise", ".", cwd=repo)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "git could not list the files" in run.stderr
    assert "broken.nix:2:3: FL001" in run.stdout


# -- one file --------------------------------------------------------------------


def test_linting_one_file_reports_only_that_file(tmp_path, monkeypatch):
    repo = make_repo(
        tmp_path / "repo",
        {"flake.nix": FLAKE, "hosts/a.nix": BROKEN, "hosts/b.nix": BROKEN, "c.nix": BROKEN},
    )
    target = discover(str(repo / "hosts" / "a.nix"))
    assert only(target).root == str(repo)
    assert target.only_file == str(repo / "hosts" / "a.nix")
    monkeypatch.chdir(repo / "hosts")
    result = lint(["a.nix"])
    assert {d.path for d in result.diagnostics} == {"a.nix"}
    assert ("a.nix", "FL001") in {(d.path, d.code) for d in result.diagnostics}
    run = run_flakelint("--output-format", "concise", "a.nix", cwd=repo / "hosts")
    assert run.returncode == 1, run.stderr
    assert {line.split(":")[0] for line in run.stdout.splitlines() if ": FL" in line} == {"a.nix"}
    clean = run_flakelint("--output-format", "concise", str(repo / "flake.nix"), cwd=tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
