"""Safety guarantees, each tested: read-only, contained, only hardened git, bounded.

The README's "Safety" section names these tests. Every repository here is
hostile in some way: it imports `/etc/passwd`, `../../..` and `~/.ssh`,
reads `/etc/shadow`, holds symlinks that leave it, and its `.git/config`
names commands for every hook git has. A run must

* leave the repository byte-identical, `.git` included (`test_run_*_leaves_the_repo_byte_identical`);
* open, list or scan nothing outside the flake root except Python's own
  files (`test_nothing_outside_the_root_is_opened`), checked with an audit
  hook in this process;
* start no process but `git`, with the fixed hardened arguments and
  environment (`test_only_hardened_git_is_started`);
* never let the repository's git configuration run a command
  (`test_hostile_git_config_runs_nothing`);
* finish in bounded time on pathological files, still reporting the other
  files' findings (`test_pathological_files_are_bounded_and_lose_nothing`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import textwrap
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

import flakelint
from flakelint.cli import main
from flakelint.parse import parse_time_limit

from conftest import REPO_ROOT, git, run_flakelint

SEED = REPO_ROOT / "examples" / "seed"
FORMATS = ["full", "concise", "json", "github", "sarif"]
TIME_LIMIT = 60  # seconds per run; a run here takes about a second

# Files added to a copy of examples/seed: everything that points outside.
ESCAPES = {
    "hosts/laptop/configuration.nix": None,  # patched below to import escape.nix
    "hosts/laptop/escape.nix": textwrap.dedent(
        """\
        { pkgs, ... }:
        let
          passwd = import /etc/passwd;
          up = import ../../../../../..;
          key = ~/.ssh/id_rsa;
          shadow = builtins.readFile /etc/shadow;
          outside = import ../../../outside/secret.nix;
          nixpkgs = import <nixpkgs> { };
          tarball = builtins.fetchTarball "https://example.invalid/x.tar.gz";
        in
        {
          imports = [ /etc/passwd ../../../../../../etc/passwd ~/.ssh/id_rsa ./linked-out.nix ./linked-dir/secret.nix ];
          environment.etc.passwd.text = builtins.readFile /etc/passwd + shadow + builtins.readFile key;
          environment.systemPackages = [ pkgs.hello ];
        }
        """
    ),
    "broken.nix": "{\n  a = 1,\n}\n",
    "orphan.nix": "{ x = builtins.readFile ../outside/secret.nix; }\n",
}
CANARY = "CANARY-outside-the-root"


def hostile_repo(base: Path, *, commit: bool = True) -> tuple[Path, Path]:
    """A copy of examples/seed that reaches outside in every way; returns (repo, outside)."""
    outside = base / "outside"
    outside.mkdir(parents=True)
    (outside / "secret.nix").write_text(f'{{ a = 1, }} # {CANARY}\n"')
    (outside / "flake.nix").write_text(f"{{ outputs = _: {{ }}; }} # {CANARY}\n")
    repo = base / "repo"
    shutil.copytree(SEED, repo)
    configuration = repo / "hosts/laptop/configuration.nix"
    configuration.write_text(configuration.read_text().replace("./hardware-configuration.nix", "./hardware-configuration.nix\n    ./escape.nix"))
    for relpath, content in ESCAPES.items():
        if content is not None:
            (repo / relpath).write_text(content)
    os.symlink(outside / "secret.nix", repo / "hosts/laptop/linked-out.nix")
    os.symlink(outside, repo / "hosts/laptop/linked-dir")
    os.symlink("/etc/passwd", repo / "passwd.nix")
    os.symlink("../outside", repo / "up.nix")
    (repo / ".gitignore").write_text("ignored.nix\n")
    (repo / "ignored.nix").write_text("{ }\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    if commit:
        git(repo, "commit", "-q", "-m", "initial")
    (repo / "untracked.nix").write_text("{ y = ./missing; }\n")
    # Stale stat data in the index: a git that refreshes it would rewrite .git/index.
    future = time.time() + 3600
    for path in repo.rglob("*.nix"):
        if not path.is_symlink():
            os.utime(path, (future, future))
    return repo, outside


def fingerprint(root: Path) -> dict[str, tuple]:
    """Every entry below root (``.git`` included): type, mode, mtime and content hash.

    Directories are entries too, with their mtime, so a file created and
    removed again (a lock file) still shows.
    """
    entries: dict[str, tuple] = {}
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            relpath = os.path.relpath(path, root)
            if stat.S_ISLNK(info.st_mode):
                entries[relpath] = ("link", os.readlink(path))
            elif stat.S_ISREG(info.st_mode):
                digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
                entries[relpath] = ("file", info.st_mode, info.st_mtime_ns, info.st_size, digest)
            else:
                entries[relpath] = ("other", info.st_mode, info.st_mtime_ns)
    info = os.lstat(root)
    entries["."] = ("dir", info.st_mode, info.st_mtime_ns)
    return entries


def assert_unchanged(before: dict, after: dict) -> None:
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(k for k in before.keys() & after.keys() if before[k] != after[k])
    assert not (added or removed or changed), f"added {added}, removed {removed}, changed {changed}"


# -- 1. read-only -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def readonly_repo(tmp_path_factory):
    return hostile_repo(tmp_path_factory.mktemp("readonly"))


RUNS = [[*("--output-format", fmt)] for fmt in FORMATS] + [["--statistics"]]


@pytest.mark.parametrize("args", RUNS, ids=[" ".join(a) for a in RUNS])
def test_run_to_stdout_leaves_the_repo_byte_identical(readonly_repo, args):
    repo, outside = readonly_repo
    before = fingerprint(repo)
    outside_before = fingerprint(outside)
    run = run_flakelint("--select", "ALL", *args, ".", cwd=repo, timeout=TIME_LIMIT)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert CANARY not in run.stdout + run.stderr
    assert_unchanged(before, fingerprint(repo))
    assert_unchanged(outside_before, fingerprint(outside))


@pytest.mark.parametrize("fmt", FORMATS)
def test_run_with_output_files_leaves_the_repo_byte_identical(readonly_repo, tmp_path, fmt):
    repo, _ = readonly_repo
    before = fingerprint(repo)
    report, summary = tmp_path / "report.out", tmp_path / "summary.md"
    run = run_flakelint(
        "--select", "ALL", "--output-format", fmt, "--output-file", str(report), "--summary", str(summary), ".",
        cwd=repo, timeout=TIME_LIMIT,
    )  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    assert run.stdout == ""
    assert report.stat().st_size > 0 and summary.stat().st_size > 0
    assert_unchanged(before, fingerprint(repo))


@pytest.mark.parametrize("graph_format", ["dot", "mermaid", "json"])
def test_graph_leaves_the_repo_byte_identical(readonly_repo, graph_format):
    repo, _ = readonly_repo
    before = fingerprint(repo)
    run = run_flakelint("graph", "--format", graph_format, ".", cwd=repo, timeout=TIME_LIMIT)
    assert run.returncode == 0, run.stderr
    assert_unchanged(before, fingerprint(repo))


def test_run_from_a_subdirectory_and_on_one_file_leaves_the_repo_byte_identical(readonly_repo):
    repo, _ = readonly_repo
    before = fingerprint(repo)
    for args, cwd in ((["."], repo / "hosts"), (["hosts/laptop/escape.nix"], repo), (["passwd.nix"], repo)):
        run = run_flakelint("--select", "ALL", "--output-format", "json", *args, cwd=cwd, timeout=TIME_LIMIT)
        assert run.returncode in (0, 1), run.stderr
        assert "Traceback" not in run.stderr
    assert_unchanged(before, fingerprint(repo))


def test_fingerprint_notices_a_git_write(tmp_path):
    """The check has teeth: what an ordinary `git status` does to .git is seen."""
    repo, _ = hostile_repo(tmp_path)
    before = fingerprint(repo)
    subprocess.run(["git", "-C", str(repo), "status", "--porcelain"], capture_output=True, check=True)
    after = fingerprint(repo)
    assert before != after and ".git/index" in {k for k in before if before[k] != after.get(k)}


# -- 2. containment -------------------------------------------------------------------------

# Audit hooks cannot be removed: one hook for the whole test session, active
# only while `_AUDIT["on"]` is set.
_AUDIT: dict = {"on": False, "events": []}
_WATCHED = {"open", "os.listdir", "os.scandir", "os.chdir", "subprocess.Popen", "os.system", "os.exec",
            "os.posix_spawn", "os.spawn", "os.startfile", "pty.spawn", "socket.connect", "socket.bind",
            "shutil.rmtree", "os.remove", "os.rename", "os.mkdir", "os.rmdir", "os.truncate", "os.chmod",
            "os.symlink", "os.link", "os.utime"}  # fmt: skip


def _hook(event, args):
    if _AUDIT["on"] and event in _WATCHED:
        _AUDIT["events"].append((event, args))


sys.addaudithook(_hook)


@contextmanager
def audited():
    _AUDIT["events"] = []
    _AUDIT["on"] = True
    try:
        yield _AUDIT["events"]
    finally:
        _AUDIT["on"] = False


def _python_roots() -> list[str]:
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    roots |= {p for p in sysconfig.get_paths().values()}
    roots |= {p for p in sys.path if p and os.path.isdir(p) and os.path.realpath(p) != os.path.realpath(REPO_ROOT)}
    # flakelint's own code and data (an editable install maps rules/ onto flakelint.rules).
    roots |= {os.path.dirname(flakelint.__file__), str(REPO_ROOT / "rules")}
    return sorted({os.path.realpath(r) for r in roots if r})


def _inside(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def _lint_in_process(repo: Path, args: list[str], monkeypatch) -> list:
    monkeypatch.chdir(repo)
    with audited() as events:
        for _run in ("cold cache", "warm cache"):
            result = CliRunner().invoke(main, args, catch_exceptions=False)
            assert result.exit_code == 1, result.output
            assert CANARY not in result.output
    return list(events)


def _fake_home(tmp_path: Path, monkeypatch) -> Path:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text(f"-----BEGIN OPENSSH PRIVATE KEY----- {CANARY}\n")
    (home / ".config" / "git").mkdir(parents=True)
    (home / ".cache").mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("FLAKELINT_CACHE_DIR", str(home / ".cache" / "flakelint"))
    return home


def _cache_roots(home: Path) -> list[str]:
    """flakelint's own result cache, outside the repository, may be read and written."""
    return [os.path.realpath(home / ".cache" / "flakelint")]


def _in_cache(args, home: Path) -> bool:
    paths = [os.fsdecode(a) for a in args if isinstance(a, (str, bytes, os.PathLike))]
    return bool(paths) and all(_inside(os.path.realpath(p), _cache_roots(home)) for p in paths)


CONTAINMENT_RUNS = [
    ["--select", "ALL", "--output-format", fmt, "."] for fmt in FORMATS
] + [["--select", "ALL", "--statistics", "."], ["graph", "--format", "json", "."], ["--select", "ALL", "hosts/laptop/escape.nix"]]


@pytest.mark.parametrize("args", CONTAINMENT_RUNS, ids=[" ".join(a) for a in CONTAINMENT_RUNS])
def test_nothing_outside_the_root_is_opened(tmp_path, monkeypatch, args):
    home = _fake_home(tmp_path, monkeypatch)
    repo, _ = hostile_repo(tmp_path)
    if args[0] == "graph":
        monkeypatch.chdir(repo)
        with audited() as events:
            result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        events = list(events)
    else:
        events = _lint_in_process(repo, args, monkeypatch)
    allowed = _python_roots() + _cache_roots(home) + [os.path.realpath(repo), os.devnull]  # devnull: git's stdin
    opened = []
    for event, event_args in events:
        if event in ("subprocess.Popen",):
            continue  # test_only_hardened_git_is_started
        target = event_args[0] if event_args else None
        if isinstance(target, int) or target is None:
            continue  # an already open file descriptor
        target = os.fsdecode(target)
        opened.append((event, target))
        real = os.path.realpath(os.path.join(str(repo), target))
        assert _inside(real, allowed), f"{event} {target!r} ({real}) is outside the flake root"
    # The hook saw the repository's files: it was really listening.
    assert any(os.path.realpath(t).endswith("escape.nix") or t.endswith("escape.nix") for _, t in opened) or args[0] == "graph"
    mutations = [(e, a) for e, a in events if e not in ("open", "os.listdir", "os.scandir", "subprocess.Popen")]
    assert not [(e, a) for e, a in mutations if not _in_cache(a, home)], mutations
    writes = [a for e, a in events if e == "open" and isinstance(a[0], (str, bytes)) and _opens_for_writing(a)]
    assert not [w for w in writes if _inside(os.path.realpath(os.fsdecode(w[0])), [os.path.realpath(repo)])], writes


def _opens_for_writing(args) -> bool:
    _path, mode, flags = (list(args) + [None, None, None])[:3]
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        return True
    return isinstance(flags, int) and bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND))


def test_audit_hook_sees_an_outside_open(tmp_path):
    """The containment check has teeth: an open outside the root is recorded."""
    secret = tmp_path / "secret"
    secret.write_text("x")
    with audited() as events:
        secret.read_text()
    assert ("open", str(secret)) in [(e, os.fsdecode(a[0])) for e, a in events if e == "open"]


# The same checks on a real process, with the hook installed by a
# sitecustomize module: it is inherited by every Python process flakelint
# starts (a process pool for per-file work, forked or spawned), so the
# workers' opens are seen too. The hook appends to a file descriptor opened
# before it was installed (os.write raises no audit event).
SITECUSTOMIZE = """\
import json, os, sys
_fd = os.open(os.environ["FLAKELINT_AUDIT_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
_watched = %r
def _hook(event, args):
    if event not in _watched:
        return
    if event == "subprocess.Popen":
        executable, argv, cwd, env = args
        record = [event, os.fsdecode(executable) if executable else None, [os.fsdecode(a) for a in argv],
                  {k: v for k, v in (env or {}).items() if k.startswith("GIT_")} if env is not None else None]
    else:
        targets = [os.fsdecode(a) for a in args if isinstance(a, (str, bytes, os.PathLike))]
        record = [event, targets, os.getcwd()]
    os.write(_fd, (json.dumps([os.getpid()] + record) + "\\n").encode())
sys.addaudithook(_hook)
"""


def audited_process(tmp_path: Path, repo: Path, args: list[str], home: Path) -> tuple[subprocess.CompletedProcess, list]:
    hook_dir = tmp_path / "audit-hook"
    hook_dir.mkdir(exist_ok=True)
    (hook_dir / "sitecustomize.py").write_text(SITECUSTOMIZE % (sorted(_WATCHED),))
    log = tmp_path / "audit.log"
    log.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("FLAKELINT_OUTPUT_FORMAT", "PYTHONPATH")}
    env.update({"PYTHONPATH": str(hook_dir), "FLAKELINT_AUDIT_LOG": str(log), "HOME": str(home),
                "XDG_CACHE_HOME": str(home / ".cache"), "FLAKELINT_CACHE_DIR": str(home / ".cache" / "flakelint")})  # fmt: skip
    run = subprocess.run([sys.executable, "-m", "flakelint", *args], cwd=repo, capture_output=True, text=True,
                         env=env, timeout=TIME_LIMIT)  # fmt: skip
    events = [json.loads(line) for line in log.read_text().splitlines()]
    return run, events


def test_no_process_opens_anything_outside_the_root(tmp_path, monkeypatch):
    home = _fake_home(tmp_path, monkeypatch)
    repo, _ = hostile_repo(tmp_path)
    run, events = audited_process(tmp_path, repo, ["--select", "ALL", "--output-format", "sarif", "."], home)
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert CANARY not in run.stdout + run.stderr
    allowed = _python_roots() + _cache_roots(home) + [os.path.realpath(repo), os.devnull, str(tmp_path / "audit-hook")]
    seen = set()
    for pid, event, *rest in events:
        if event == "subprocess.Popen":
            executable, argv, git_env = rest
            assert argv[0] == "git" and argv[1 : 1 + len(GIT_OPTIONS)] == GIT_OPTIONS, argv
            assert tuple(argv[1 + len(GIT_OPTIONS) + 2 :]) in GIT_SUBCOMMANDS, argv
            assert git_env == GIT_ENVIRONMENT, git_env
            continue
        targets, cwd = rest
        for target in targets:
            real = os.path.realpath(os.path.join(cwd, target))
            if event in ("open", "os.listdir", "os.scandir"):
                assert _inside(real, allowed), f"process {pid}: {event} {target!r} ({real}) is outside the flake root"
            else:  # a change: only in flakelint's own cache
                assert _inside(real, _cache_roots(home)), f"process {pid}: {event} {target!r}"
            seen.add(real)
    assert os.path.realpath(repo / "hosts/laptop/escape.nix") in seen, "the hook did not see the repository's files"


# Everything flakelint runs: git with these options, these subcommands.
GIT_OPTIONS = [
    "--no-pager",
    "-c", "core.fsmonitor=false",
    "-c", "core.untrackedCache=false",
    "-c", "core.hooksPath=/dev/null",
    "-c", "protocol.allow=never",
]  # fmt: skip
GIT_SUBCOMMANDS = {
    ("rev-parse", "--is-inside-work-tree", "--show-toplevel"),
    ("rev-parse", "--show-toplevel"),
    ("ls-files", "-z", "-t", "--cached", "--deleted"),
    ("ls-files", "-z", "-t", "--others", "--exclude-standard"),
}
GIT_ENVIRONMENT = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_PAGER": "cat",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_NO_LAZY_FETCH": "1",
}


@pytest.mark.parametrize("args", CONTAINMENT_RUNS, ids=[" ".join(a) for a in CONTAINMENT_RUNS])
def test_only_hardened_git_is_started(tmp_path, monkeypatch, args):
    _fake_home(tmp_path, monkeypatch)
    repo, _ = hostile_repo(tmp_path)
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))  # the caller's GIT_* never reaches git
    monkeypatch.setenv("GIT_EXTERNAL_DIFF", "/bin/false")
    monkeypatch.chdir(repo)
    with audited() as events:
        result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    started = [(e, a) for e, a in events if e in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "pty.spawn")]
    assert started, "git was never started: the listing did not come from git"
    subcommands = set()
    for event, (executable, argv, _cwd, env) in ((e, a) for e, a in events if e == "subprocess.Popen"):
        argv = [os.fsdecode(a) for a in argv]
        assert os.path.basename(os.fsdecode(executable or argv[0])) == "git", argv
        assert argv[0] == "git" and argv[1 : 1 + len(GIT_OPTIONS)] == GIT_OPTIONS, argv
        rest = argv[1 + len(GIT_OPTIONS) :]
        assert rest[0] == "-C" and os.path.realpath(rest[1]).startswith(os.path.realpath(repo)), argv
        assert tuple(rest[2:]) in GIT_SUBCOMMANDS, argv
        subcommands.add(tuple(rest[2:]))
        assert env is not None, "git must get an explicit environment"
        for key, value in GIT_ENVIRONMENT.items():
            assert env.get(key) == value, (key, env.get(key))
        leaked = {k for k in env if k.startswith("GIT_")} - set(GIT_ENVIRONMENT)
        assert not leaked, leaked
    assert ("ls-files", "-z", "-t", "--cached", "--deleted") in subcommands
    assert ("ls-files", "-z", "-t", "--others", "--exclude-standard") in subcommands
    other = [(e, a) for e, a in started if e != "subprocess.Popen"]
    assert not other, other


# -- 3. git hardening --------------------------------------------------------------------------

MARKER_SCRIPT = "#!/bin/sh\necho \"$0 $*\" >> '{marker}'\ncat >/dev/null 2>&1 </dev/null\nexit 0\n"


def _hostile_git_repo(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A repository whose .git/config (and a file it includes from outside) names a marker script everywhere."""
    marker = tmp_path / "marker"
    script = tmp_path / "evil.sh"
    script.write_text(MARKER_SCRIPT.format(marker=marker))
    script.chmod(0o755)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "flake.nix").write_text("{ outputs = _: { }; }\n")
    (repo / "a.nix").write_text("{ x = 1; }\n")
    (repo / ".gitattributes").write_text("*.nix filter=evil diff=evil\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "c")
    (repo / "a.nix").write_text("{ x = 2; }\n")  # a dirty work tree: diffs and filters have work
    hooks = repo / ".git" / "hooks"
    for hook in ("pre-commit", "post-checkout", "post-index-change", "reference-transaction", "fsmonitor-watchman", "pre-auto-gc"):
        shutil.copy(script, hooks / hook)
        (hooks / hook).chmod(0o755)
    included = tmp_path / "outside.gitconfig"
    included.write_text(f"[core]\n\tfsmonitor = {script}\n\tpager = {script}\n[alias]\n\tls-files = !{script}\n")
    with open(repo / ".git" / "config", "a") as config:
        config.write(
            textwrap.dedent(
                f"""\
                [core]
                \tfsmonitor = {script}
                \tpager = {script}
                \tsshCommand = {script}
                \teditor = {script}
                \taskPass = {script}
                \thooksPath = {hooks}
                \tuntrackedCache = true
                \tgitProxy = {script}
                [pager]
                \tls-files = {script}
                \trev-parse = {script}
                [alias]
                \tls-files = !{script}
                \trev-parse = !{script}
                \tstatus = !{script}
                [filter "evil"]
                \tclean = {script}
                \tsmudge = {script}
                \tprocess = {script}
                \trequired = true
                [diff "evil"]
                \ttextconv = {script}
                \tcommand = {script}
                [diff]
                \texternal = {script}
                [credential]
                \thelper = !{script}
                [gpg]
                \tprogram = {script}
                [includeIf "gitdir:/"]
                \tpath = {included}
                [include]
                \tpath = {included}
                """
            )
        )
    return repo, marker, script


def test_hostile_git_config_has_teeth(tmp_path):
    """Ordinary git commands on the hostile repo do run the planted script."""
    repo, marker, _ = _hostile_git_repo(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    for command in (["status"], ["diff"], ["add", "-A"]):
        subprocess.run(["git", "-C", str(repo), *command], capture_output=True, env=env, timeout=30, stdin=subprocess.DEVNULL)
    assert marker.exists(), "the planted script never ran: the hostile config proves nothing"


def test_without_the_hardening_git_would_run_the_script(tmp_path, monkeypatch):
    """The same listing call with the hardening stripped runs the repository's fsmonitor command."""
    import flakelint.discover as discover

    repo, marker, _ = _hostile_git_repo(tmp_path)
    monkeypatch.setattr(discover, "GIT_OPTIONS", ())
    monkeypatch.setattr(discover, "GIT_ENVIRONMENT", {})
    discover._git_listing(str(repo))
    assert marker.exists()


@pytest.mark.parametrize("use_cli", [True, False], ids=["cli", "discover"])
def test_hostile_git_config_runs_nothing(tmp_path, use_cli):
    repo, marker, _ = _hostile_git_repo(tmp_path)
    before = fingerprint(repo)
    if use_cli:
        for args in (["--select", "ALL", "--output-format", "sarif", "."], ["graph", "."], ["--select", "ALL", "a.nix"]):
            run = run_flakelint(*args, cwd=repo, timeout=TIME_LIMIT, env={"PAGER": str(tmp_path / "evil.sh")})
            assert "Traceback" not in run.stderr, run.stderr
            assert run.returncode in (0, 1), run.stderr
    else:
        from flakelint.discover import _git_listing, git_toplevel

        listing = _git_listing(str(repo))
        assert isinstance(listing, tuple), listing  # git still answers, hardened
        files, tracked, toplevel = listing
        assert "a.nix" in files and "a.nix" in tracked
        assert toplevel == git_toplevel(str(repo)) == os.path.realpath(repo)
    assert not marker.exists(), marker.read_text()
    assert_unchanged(before, fingerprint(repo))


def test_git_pointing_outside_is_not_followed(tmp_path):
    """A `.git` file naming a git dir elsewhere, with a hostile config there, runs nothing either."""
    repo, marker, _ = _hostile_git_repo(tmp_path)
    elsewhere = tmp_path / "elsewhere.git"
    shutil.move(str(repo / ".git"), str(elsewhere))
    (repo / ".git").write_text(f"gitdir: {elsewhere}\n")
    run = run_flakelint("--select", "ALL", "--output-format", "concise", ".", cwd=repo, timeout=TIME_LIMIT)
    assert "Traceback" not in run.stderr and run.returncode in (0, 1), run.stderr
    assert not marker.exists()


# -- 5. bounded time ---------------------------------------------------------------------------

PATHOLOGICAL = {
    "minus.nix": b"-" * 200_000 + b"1\n",
    "dots.nix": b"a" + b".a" * 150_000 + b"\n",
    "deep-sets.nix": b"{ a = " * 20_000 + b"1" + b"; }" * 20_000 + b"\n",
    "deep-parens.nix": b"(" * 50_000 + b"1" + b")" * 50_000 + b"\n",
    "deep-let.nix": b"let a = 1; in " * 30_000 + b"a\n",
    "deep-lambda.nix": b"x: " * 50_000 + b"x\n",
    "interpolation.nix": b'"${' * 20_000 + b"x" + b'}"' * 20_000 + b"\n",
    "unclosed.nix": b"{ a = [ (" * 30_000 + b"\n",
    "long-string.nix": b"''" + b"${x}" * 200_000 + b"''\n",
    "many-errors.nix": b"{ a = ; b = , c = ] }\n" * 40_000,
}


def test_pathological_files_are_bounded_and_lose_nothing(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(SEED, repo)
    (repo / "broken.nix").write_text("{\n  a = 1,\n}\n")
    for name, content in PATHOLOGICAL.items():
        (repo / "pathological" / name).parent.mkdir(exist_ok=True)
        (repo / "pathological" / name).write_bytes(content)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    # The bound: every file's parse budget, plus generous slack for the rest of the run.
    budget = sum(parse_time_limit(len(c)) for c in PATHOLOGICAL.values()) * 2 + 60
    start = time.monotonic()
    run = run_flakelint("--select", "ALL", "--output-format", "json", ".", cwd=repo, timeout=budget)
    elapsed = time.monotonic() - start
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == 1, run.stderr
    found = json.loads(run.stdout)
    assert not [d for d in found if d["code"] == "FL004"], [d for d in found if d["code"] == "FL004"]
    by_path = {}
    for d in found:
        by_path.setdefault(d["path"], set()).add(d["code"])
    assert "FL001" in by_path.get("broken.nix", set()), by_path
    for name in PATHOLOGICAL:
        # Analysed (a syntax error, an orphan, ...) or cut short (FL002): never silently dropped.
        assert by_path.get(f"pathological/{name}"), (name, by_path)
    assert "FL002" in by_path["pathological/minus.nix"]
    assert elapsed < budget


def test_parse_budget_turns_a_slow_parse_into_fl002(tmp_path, monkeypatch):
    """In process, with a tiny budget: the file is FL002, the other files are still linted."""
    import flakelint.parse as parse_module
    from flakelint.engine import lint

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "slow.nix").write_bytes(b"-" * 100_000 + b"1\n")
    (repo / "broken.nix").write_text("{\n  a = 1,\n}\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    monkeypatch.setattr(parse_module, "PARSE_SECONDS_BASE", 0.05)
    monkeypatch.setattr(parse_module, "PARSE_SECONDS_PER_BYTE", 0.0)
    monkeypatch.chdir(repo)
    start = time.monotonic()
    result = lint(["."])
    assert time.monotonic() - start < 30
    found = {(d.path, d.code) for d in result.diagnostics}
    assert ("slow.nix", "FL002") in found, found
    assert ("broken.nix", "FL001") in found, found
    message = next(d.message for d in result.diagnostics if d.path == "slow.nix" and d.code == "FL002")
    assert "too long to parse" in message
