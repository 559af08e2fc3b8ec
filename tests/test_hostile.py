"""Hostile repositories: odd files and odd names never crash, hang or leak.

Everything is generated in temporary directories (no binary junk is
committed). Each case puts one hostile entry next to ``broken.nix``, an
ordinary file with a syntax error, and runs the real command line: the
hostile entry gets exactly its expected FL0xx findings, ``broken.nix`` is
still reported (other files' findings are never lost), the exit code is 1,
stderr holds no traceback, and the run ends in bounded time.
"""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import time
from pathlib import Path

import pytest

import flakelint.parse as parse_module
from flakelint.engine import lint
from flakelint.parse import DEFAULT_MAX_FILE_SIZE, Unreadable, read_source

from conftest import git, make_repo, run_flakelint

BROKEN = "{\n  a = 1,\n}\n"  # FL001 at 2:3
EXPECTED_BROKEN = ("broken.nix", "FL001", "syntax error")
TIME_LIMIT = 60  # seconds; the runs take about half a second each
CONCISE = re.compile(r"^(?P<path>.*):(?P<line>\d+):(?P<column>\d+): (?P<code>FL\d{3}) (?P<message>.*)$")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def cli(repo: Path, *args: str, timeout: float = TIME_LIMIT):
    start = time.monotonic()
    run = run_flakelint("--output-format", "concise", *args, ".", cwd=repo, timeout=timeout)
    elapsed = time.monotonic() - start
    assert "Traceback" not in run.stderr, run.stderr
    assert elapsed < timeout
    return run


def findings(stdout: str) -> list[tuple[str, str, str]]:
    found = []
    for line in stdout.splitlines():
        match = CONCISE.match(line)
        if match:
            found.append((match["path"], match["code"], match["message"]))
    return found


def engine_findings(stdout: str) -> set[tuple[str, str]]:
    """(path, code) of the engine's own codes; other rule families are not this file's business."""
    found = findings(stdout)
    assert not [f for f in found if f[1] == "FL004"], f"a rule crashed: {found}"
    return {(path, code) for path, code, _ in found if code.startswith("FL0")}


def check(repo: Path, expected: list[tuple[str, str, str]], *args: str):
    """Run the CLI on ``repo``; ``expected`` lists (path, code, message fragment)."""
    run = cli(repo, *args)
    expected = expected + [EXPECTED_BROKEN]
    assert engine_findings(run.stdout) == {(path, code) for path, code, _ in expected}, run.stdout + run.stderr
    messages = findings(run.stdout)
    for path, code, fragment in expected:
        assert any(p == path and c == code and fragment in m for p, c, m in messages), (fragment, run.stdout)
    assert run.returncode == 1, run.stdout + run.stderr
    return run


def repo_with(tmp_path: Path, files: dict[str, str | bytes] | None = None, *, use_git: bool = True) -> Path:
    return make_repo(tmp_path / "repo", {"broken.nix": BROKEN, **(files or {})}, use_git=use_git)


# -- content ------------------------------------------------------------------------


HOSTILE_CONTENT = [
    ("binary.nix", b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)), [("FL002", "contains NUL bytes")]),
    ("latin1.nix", '{ name = "café"; }\n'.encode("latin-1"), [("FL002", "not valid UTF-8 (byte 0xe9 at line 1, column 14)")]),
    ("empty.nix", b"", [("FL001", "no Nix expression")]),
    ("bom-only.nix", b"\xef\xbb\xbf", [("FL001", "byte order mark")]),
    ("crlf.nix", b"{ a, b, }:\r\n{\r\n  x = a;\r\n}\r\n", []),
    ("git-crypt.nix", b"\x00GITCRYPT\x00" + bytes(range(256)) * 4, []),
    ("deep.nix", b"[" * 50_000 + b"]" * 50_000 + b"\n", []),
    ("long-line.nix", b'{ blob = "' + b"QUJD" * 250_000 + b'"; list = [ 1 2 3 ]; }\n', []),
    ("long-line-error.nix", b'{ blob = "' + b"x" * 1_000_000 + b'"; b = 1, }\n', [("FL001", "unexpected `b = 1,`")]),
]


@pytest.mark.parametrize("name,content,expected", HOSTILE_CONTENT, ids=[case[0] for case in HOSTILE_CONTENT])
def test_hostile_content(tmp_path, name, content, expected):
    repo = repo_with(tmp_path, {name: content})
    check(repo, [(name, code, fragment) for code, fragment in expected])


def test_git_crypt_alone_is_clean(tmp_path):
    repo = make_repo(tmp_path / "repo", {"secret.nix": b"\x00GITCRYPT\x00\x8a\x01" + os.urandom(512), "ok.nix": "{ }\n"})
    run = cli(repo)
    assert run.returncode == 0, run.stdout
    assert "secret" not in run.stdout + run.stderr


def test_pathological_parse_is_cut_short(tmp_path):
    # tree-sitter is quadratic on a long run of `-`: bounded by the parse budget.
    repo = repo_with(tmp_path, {"minus.nix": b"-" * 200_000 + b"1\n"})
    start = time.monotonic()
    check(repo, [("minus.nix", "FL002", "too long to parse")])
    assert time.monotonic() - start < 30


# -- size ---------------------------------------------------------------------------


def bindings(size: int) -> bytes:
    lines = [b"{\n"]
    total = 2
    index = 0
    while total < size:
        line = b'  attribute%07d = "value %d";\n' % (index, index)
        lines.append(line)
        total += len(line)
        index += 1
    lines.append(b"}\n")
    return b"".join(lines)


def test_oversized_file_is_fl002_naming_the_limit(tmp_path):
    big = bindings(5 * 1024 * 1024)
    assert len(big) > DEFAULT_MAX_FILE_SIZE
    repo = repo_with(tmp_path, {"big.nix": big})
    check(repo, [("big.nix", "FL002", f"over the max-file-size limit of {DEFAULT_MAX_FILE_SIZE} bytes")])


def test_raised_limit_analyses_the_big_file(tmp_path, monkeypatch):
    repo = repo_with(tmp_path, {"big.nix": bindings(5 * 1024 * 1024), "flakelint.toml": 'max-file-size = "8MiB"\n'})
    monkeypatch.chdir(repo)
    result = lint(["."])
    assert result.files_analysed == 2
    assert {(d.path, d.code) for d in result.diagnostics if d.code.startswith("FL0")} == {("broken.nix", "FL001")}


# -- file types -----------------------------------------------------------------------


def test_directory_named_dot_nix(tmp_path):
    repo = repo_with(tmp_path, {"modules.nix/readme.txt": "a directory, not a file\n", "modules.nix/inner.nix": "{ }\n"})
    check(repo, [("modules.nix", "FL002", "is a directory")])


@pytest.mark.parametrize("use_git", [True, False], ids=["git", "walk"])
def test_symlinks(tmp_path, use_git):
    outside = tmp_path / "outside"
    outside.mkdir()
    canary = "CANARY-must-never-be-read"
    (outside / "secret.nix").write_text("{ a = 1, } # " + canary + "\n")
    repo = repo_with(tmp_path, {"real.nix": "{ }\n", "somedir/x.txt": "x\n"}, use_git=False)
    os.symlink("loop-b.nix", repo / "loop-a.nix")
    os.symlink("loop-a.nix", repo / "loop-b.nix")
    os.symlink("self.nix", repo / "self.nix")
    os.symlink("missing.nix", repo / "dangling.nix")
    os.symlink(outside / "secret.nix", repo / "outside.nix")
    os.symlink("real.nix", repo / "alias.nix")
    os.symlink("somedir", repo / "dirlink.nix")
    if use_git:
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
    run = check(
        repo,
        [
            ("loop-a.nix", "FL002", "symlink loop"),
            ("loop-b.nix", "FL002", "symlink loop"),
            ("self.nix", "FL002", "symlink loop"),
            ("dangling.nix", "FL002", "broken symlink"),
            ("outside.nix", "FL002", "outside the flake root"),
            ("dirlink.nix", "FL002", "is a directory"),
        ],
    )
    assert canary not in run.stdout + run.stderr


def test_tracked_file_below_a_directory_that_became_an_outside_link(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    canary = "CANARY-below-a-linked-directory"
    (outside / "x.nix").write_text("{ a = 1, } # " + canary + "\n")
    repo = repo_with(tmp_path, {"sub/x.nix": "{ }\n"})
    git(repo, "commit", "-q", "-m", "c")
    (repo / "sub" / "x.nix").unlink()
    (repo / "sub").rmdir()
    os.symlink(outside, repo / "sub")
    run = check(repo, [("sub/x.nix", "FL002", "symlinked directory that leads outside the flake root")])
    assert canary not in run.stdout + run.stderr


@pytest.mark.parametrize("use_git", [True, False], ids=["git-tracked-then-replaced", "walk"])
def test_fifo_is_never_opened(tmp_path, use_git):
    repo = repo_with(tmp_path, {"fifo.nix": "{ }\n"}, use_git=use_git)
    if use_git:
        git(repo, "commit", "-q", "-m", "c")
    (repo / "fifo.nix").unlink()
    os.mkfifo(repo / "fifo.nix")
    check(repo, [("fifo.nix", "FL002", "not a regular file")])


def test_socket_is_never_opened(tmp_path):
    repo = repo_with(tmp_path, use_git=False)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    cwd = os.getcwd()
    try:
        os.chdir(repo)  # a short relative name: socket paths are limited to ~100 bytes
        server.bind("s.nix")
    finally:
        os.chdir(cwd)
    try:
        assert stat.S_ISSOCK(os.lstat(repo / "s.nix").st_mode)
        check(repo, [("s.nix", "FL002", "not a regular file")])
    finally:
        server.close()


@pytest.mark.skipif(IS_ROOT, reason="root reads any file; see test_permission_denied_code_path")
def test_unreadable_file(tmp_path):
    repo = repo_with(tmp_path, {"locked.nix": "{ }\n"})
    (repo / "locked.nix").chmod(0)
    try:
        check(repo, [("locked.nix", "FL002", "permission denied")])
    finally:
        (repo / "locked.nix").chmod(0o644)


def test_permission_denied_code_path(tmp_path, monkeypatch):
    """The chmod 000 case, for runs as root: open() refusing is FL002, not a crash."""
    repo = repo_with(tmp_path, {"locked.nix": "{ }\n"})
    real_open = os.open

    def refusing_open(path, *args, **kwargs):
        if str(path).endswith("locked.nix"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(parse_module.os, "open", refusing_open)
    outcome = read_source(str(repo / "locked.nix"), "locked.nix", str(repo), DEFAULT_MAX_FILE_SIZE)
    assert outcome == Unreadable("locked.nix", "permission denied")
    monkeypatch.chdir(repo)
    result = lint(["."])
    found = {(d.path, d.code, d.message) for d in result.diagnostics if d.code.startswith("FL0")}
    assert ("locked.nix", "FL002", "cannot analyse this file: it permission denied") in found
    assert ("broken.nix", "FL001") in {(d.path, d.code) for d in result.diagnostics}


def test_file_swapped_for_a_fifo_after_the_check_is_not_read(tmp_path, monkeypatch):
    """Between lstat and open the file may change; O_NONBLOCK + fstat refuse a FIFO then."""
    repo = repo_with(tmp_path)
    os.mkfifo(repo / "race.nix")
    real_lstat = os.lstat

    def regular_lstat(path, *args, **kwargs):
        info = real_lstat(path, *args, **kwargs)
        if str(path).endswith("race.nix"):
            return os.stat_result((stat.S_IFREG | 0o644, *tuple(info)[1:]))
        return info

    monkeypatch.setattr(parse_module.os, "lstat", regular_lstat)
    start = time.monotonic()
    outcome = read_source(str(repo / "race.nix"), "race.nix", str(repo), DEFAULT_MAX_FILE_SIZE)
    assert time.monotonic() - start < 5
    assert isinstance(outcome, Unreadable) and "not a regular file" in outcome.reason


# -- file names ------------------------------------------------------------------------

ODD_NAMES = {
    "newline": "evil\nINJECTED.nix",
    "workflow-command": "::error file=x::.nix",
    "percent": "100%25%.nix",
    "ansi": "\x1b[31mred.nix",
    "carriage-return": "cr\r::warning::x.nix",
}
FORMATS = ["concise", "full", "json", "github", "sarif"]
GITHUB_LINE = re.compile(r"^::(error|warning|notice) file=[^\n:,]*(,[a-zA-Z]+=[^\n:,]*)*::")


@pytest.fixture(scope="module")
def odd_repo(tmp_path_factory):
    root = tmp_path_factory.mktemp("odd")
    repo = make_repo(root / "repo", {"broken.nix": BROKEN, **{name: BROKEN for name in ODD_NAMES.values()}}, use_git=False)
    (repo / os.fsdecode(b"caf\xe9-latin1-name.nix")).write_text(BROKEN)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    return repo


@pytest.mark.parametrize("output_format", FORMATS)
def test_odd_file_names_are_escaped_in_every_format(odd_repo, output_format):
    run = run_flakelint("--output-format", output_format, ".", cwd=odd_repo, timeout=TIME_LIMIT)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    for stream in (run.stdout, run.stderr):
        assert "\x1b" not in stream, "a raw escape character from a file name reached the output"
        assert "\r" not in stream
        for line in stream.split("\n"):
            assert not line.startswith("INJECTED"), "a raw newline from a file name split a line"
            assert not line.startswith("::warning::x"), "a raw carriage return from a file name"
            if line.startswith("::"):
                assert output_format == "github", line
                assert GITHUB_LINE.match(line), line
    # Every file, odd name or not, is still reported.
    expected = 1 + len(ODD_NAMES) + 1
    if output_format in ("concise", "full"):
        assert run.stdout.count(": FL001 ") == expected, run.stdout
    elif output_format == "github":
        assert run.stdout.count("title=FL001") == expected
    else:
        assert run.stdout.count('"FL001"') >= expected


def test_odd_file_names_in_process(odd_repo, monkeypatch):
    monkeypatch.chdir(odd_repo)
    result = lint(["."])
    paths = {d.path for d in result.diagnostics if d.code == "FL001"}
    assert set(ODD_NAMES.values()) | {"broken.nix", os.fsdecode(b"caf\xe9-latin1-name.nix")} <= paths


# -- paths that point outside ----------------------------------------------------------------

OUTSIDE_FLAKE = """\
{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  outputs = { nixpkgs, ... }: {
    nixosConfigurations.h = nixpkgs.lib.nixosSystem { modules = [ ./hosts/h.nix ]; };
  };
}
"""
OUTSIDE_HOST = """\
{ ... }:
{
  imports = [ /etc/passwd ../../.. ~/.ssh/id_rsa ];
  environment.etc.x.text = builtins.readFile /etc/shadow;
  y = import ../../../../../../etc/passwd;
}
"""


def test_paths_pointing_outside_are_reported_and_never_read(tmp_path):
    """`/etc/passwd`, `../../..`, `~/.ssh`: findings on their lines; their contents never appear."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("CANARY-private-key\n")
    repo = repo_with(tmp_path, {"flake.nix": OUTSIDE_FLAKE, "hosts/h.nix": OUTSIDE_HOST})
    start = time.monotonic()
    run = run_flakelint("--select", "ALL", "--output-format", "concise", ".", cwd=repo, timeout=TIME_LIMIT, env={"HOME": str(home)})
    assert time.monotonic() - start < TIME_LIMIT
    assert "Traceback" not in run.stderr and run.returncode == 1, run.stdout + run.stderr
    found = {(path, code, message.split("`")[1] if "`" in message else "") for path, code, message in findings(run.stdout)}
    assert {
        ("hosts/h.nix", "FL114", "/etc/passwd"),
        ("hosts/h.nix", "FL204", "../../.."),
        ("hosts/h.nix", "FL114", "~/.ssh/id_rsa"),
        ("hosts/h.nix", "FL114", "/etc/shadow"),
        ("hosts/h.nix", "FL204", "../../../../../../etc/passwd"),
        ("broken.nix", "FL001", "a = 1,"),
    } <= found, run.stdout
    assert not [f for f in found if f[1] == "FL004"]
    assert "CANARY" not in run.stdout + run.stderr and "root:x:0:0" not in run.stdout


# -- hostile flake.nix and flake.lock ----------------------------------------------------------

HOSTILE_FLAKE_NIX = [
    pytest.param("empty", "", [("flake.nix", "FL001", "no Nix expression")], id="empty"),
    pytest.param("syntax-error", "{ outputs = ; }\n", [("flake.nix", "FL001", "missing identifier")], id="syntax-error"),
    pytest.param("not-a-set", "42\n", [], id="not-a-set"),
    pytest.param("a-function", "x: { outputs = x; }\n", [], id="a-function"),
    pytest.param(
        "outputs-not-a-function",
        '{ inputs.a.url = "github:a/b"; outputs = 42; }\n',
        None,
        id="outputs-not-a-function",
    ),
]


@pytest.mark.parametrize("name,content,expected", HOSTILE_FLAKE_NIX)
def test_hostile_flake_nix(tmp_path, name, content, expected):
    repo = repo_with(tmp_path, {"flake.nix": content})
    if expected is None:  # whatever the inputs rules say; only no crash and broken.nix still reported
        run = cli(repo)
        assert run.returncode == 1
        assert ("broken.nix", "FL001") in {(p, c) for p, c, _ in findings(run.stdout)}
        assert not [f for f in findings(run.stdout) if f[1] == "FL004"]
        return
    check(repo, expected)


def _lock_node(owner: str = "NixOS", repo: str = "nixpkgs") -> dict:
    return {
        "locked": {"lastModified": 1, "narHash": "sha256-AAAA", "owner": owner, "repo": repo, "rev": "a" * 40, "type": "github"},
        "original": {"owner": owner, "repo": repo, "type": "github"},
    }


LOCK_FLAKE = """\
{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  inputs.hm.url = "github:nix-community/home-manager";
  outputs = { nixpkgs, hm, ... }: { x = [ nixpkgs hm ]; };
}
"""
HOSTILE_LOCKS = [
    ("invalid-json", lambda: b'{"nodes": {', "not valid JSON"),
    ("truncated", lambda: json.dumps({"nodes": {"root": {"inputs": {"nixpkgs": "nixpkgs"}}, "nixpkgs": _lock_node()}, "root": "root", "version": 7}).encode()[:-9], "not valid JSON"),
    ("wrong-types", lambda: json.dumps({"nodes": [], "root": 5, "version": "7"}).encode(), "must be"),
    ("dangling", lambda: json.dumps({"nodes": {"root": {"inputs": {"nixpkgs": "missing", "hm": "nixpkgs"}}}, "root": "root", "version": 7}).encode(), "which `nodes` does not have"),
    ("follows-cycle", lambda: json.dumps({"nodes": {"root": {"inputs": {"nixpkgs": "nixpkgs", "hm": ["hm"]}}, "nixpkgs": _lock_node()}, "root": "root", "version": 7}).encode(), "follows cycle"),
    ("not-utf8", lambda: b'{"nodes": "\xff\xfe"}', None),
    ("binary", lambda: b"\x00\x01\x02" * 1000, None),
    ("50MB", lambda: json.dumps({"nodes": {"root": {"inputs": {"nixpkgs": "nixpkgs", "hm": "hm"}}, "nixpkgs": _lock_node(), "hm": _lock_node("nix-community", "home-manager"), **{f"n{i}": _lock_node() for i in range(220_000)}}, "root": "root", "version": 7}).encode(), ""),
]  # fmt: skip


@pytest.mark.parametrize("name,make,fragment", HOSTILE_LOCKS, ids=[c[0] for c in HOSTILE_LOCKS])
def test_hostile_flake_lock(tmp_path, name, make, fragment):
    data = make()
    if name == "50MB":
        assert len(data) > 50 * 1024 * 1024
    repo = repo_with(tmp_path, {"flake.nix": LOCK_FLAKE, "flake.lock": data})
    run = cli(repo, "--select", "ALL")
    assert run.returncode == 1, run.stdout + run.stderr
    found = findings(run.stdout)
    assert ("broken.nix", "FL001") in {(p, c) for p, c, _ in found}, run.stdout
    assert not [f for f in found if f[1] == "FL004"], run.stdout
    lock_findings = [(c, m) for p, c, m in found if p == "flake.lock"]
    if fragment is None:
        assert lock_findings, run.stdout  # reported somehow (FL002 or FL115), never a crash
    elif fragment:
        assert any(c == "FL115" and fragment in m for c, m in lock_findings), run.stdout
