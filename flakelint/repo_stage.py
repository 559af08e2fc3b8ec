"""The repository rules, shared out between this process and one forked child.

Why: after the per-file stage the repository rules ran one after another in
the main process while the machine's other CPUs idled (0.4–0.5 s of a
4,000-file run on two CPUs, more where FL502 walks many hosts). The rules
only read the repository model, so a child forked once that model is built
has all of it at no cost (copy-on-write: nothing is pickled on the way in);
only its findings come back, and those are small.

How:

- The import graph (with the flake model), which nearly every repository
  rule reads, is built before forking, so the two processes do not both
  build it.
- The rules are handed out in groups through a pipe that holds one byte
  per group, heaviest first (:attr:`flakelint.rule.Rule.cost`). Reading
  one byte from a pipe is atomic, so two processes never take the same
  group, and whichever is free takes the next one: one slow rule does not
  hold the other process up. A group is one rule, or the rules that read
  the same repository-wide structure (:attr:`flakelint.rule.Rule.shared`:
  every file's overlays, the hosts' closures), which the process taking
  the group then builds once.
- The findings are put back in rule order, so the report is the same as a
  serial run's, byte for byte.

Never lose a result: the child announces each rule when it takes it and
again when it has finished it, and sends all its findings at the end. If it
dies (or stays silent longer than the per-file limit,
``FLAKELINT_FILE_TIMEOUT``), the rule it was running becomes one FL004
finding — running that rule again here could take this process down too —
and every other rule of the groups it had taken, finished or not yet begun,
runs in this process. An interrupted run (Ctrl-C) kills the child. Only where
``fork`` is safe (Linux; :func:`flakelint.pool.can_fork`) and only when the
run is large enough to use worker processes; otherwise, and whenever a
process or a pipe cannot be had, the rules run here one after another.

Test hooks (tests/test_repo_stage.py only): ``FLAKELINT_TEST_KILL_RULE``
names a rule code the child kills itself on (SIGKILL) when it takes it,
``FLAKELINT_TEST_HANG_RULE`` one it sleeps on for an hour; with either set,
the child takes rules before this process does, so that the named rule is
the child's.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from flakelint.diagnostic import Diagnostic
from flakelint.pool import spare_time

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

#: Groups of rules are numbered by one byte each in the pipe that shares them out.
MAX_GROUPS = 255


def run_repo_rules(rules: list, repo, run_one, parallel: bool, idle=None) -> list[Diagnostic]:
    """``run_one(rule, repo)`` for every rule, in two processes when ``parallel``; findings in rule order.

    ``idle()``, when given, runs once this process has no rule left to take,
    before it waits for the child: work it would do later anyway (importing
    the report format) costs nothing there while the child still runs.
    """
    groups = rule_groups(rules)
    if not parallel or len(groups) < 2 or len(groups) > MAX_GROUPS:
        return _serial(rules, repo, run_one)
    from multiprocessing.connection import Connection  # only now: 15 ms of imports a serial run never needs

    _prepare_shared(repo)
    try:
        tokens_read, tokens_write = os.pipe()
        results_read, results_write = os.pipe()
    except OSError:
        return _serial(rules, repo, run_one)
    try:
        os.write(tokens_write, bytes(range(len(groups))))  # at most 255 bytes: far below a pipe's capacity
    finally:
        os.close(tokens_write)
    try:
        pid = os.fork()
    except OSError:
        for fd in (tokens_read, results_read, results_write):
            os.close(fd)
        return _serial(rules, repo, run_one)
    if pid == 0:  # pragma: no cover - the child; its work is checked through the parent's results
        os.close(results_read)
        _child(rules, groups, repo, run_one, tokens_read, Connection(results_write, readable=False))
    os.close(results_write)
    results = Connection(results_read, writable=False)
    found: dict[int, list[Diagnostic]] = {}
    collected = False
    try:
        if _test_hooks():  # the child takes rules first, so the hooked rule is surely its own
            found.update(_collect(rules, repo, run_one, pid, results, groups))
            collected = True
        while True:
            group = _take(tokens_read)
            if group is None:
                break
            for index in groups[group]:
                found[index] = run_one(rules[index], repo)
        if not collected:
            spare_time(idle)
            found.update(_collect(rules, repo, run_one, pid, results, groups))
            collected = True
    finally:
        if not collected:  # interrupted (Ctrl-C): the child must not outlive the run
            _kill(pid)
            _reap(pid)
        os.close(tokens_read)
        results.close()
    return [d for index in range(len(rules)) for d in found[index]]


def rule_groups(rules: list) -> list[list[int]]:
    """Rule indices in groups one process runs together, heaviest group first.

    Rules that declare the same shared structure
    (:attr:`flakelint.rule.Rule.shared`: every file's overlays, the hosts'
    closures, ...) form one group, so that the structure is built once, by
    the process that takes the group; every other rule is a group of its own.
    """
    groups: list[list[int]] = []
    owner: dict[object, int] = {}
    for index, rule in enumerate(rules):
        builders = getattr(rule, "shared", ())
        group = next((owner[b] for b in builders if b in owner), None)
        if group is None:
            group = len(groups)
            groups.append([])
        groups[group].append(index)
        for build in builders:
            owner.setdefault(build, group)

    def weight(group: list[int]) -> int:
        return sum(getattr(rules[i], "cost", 1) for i in group)

    return sorted(groups, key=lambda group: -weight(group))


def _serial(rules, repo, run_one) -> list[Diagnostic]:
    return [d for rule in rules for d in run_one(rule, repo)]


def _prepare_shared(repo) -> None:
    """Build the import graph, which nearly every rule reads, before the fork (a failure is left for the rules)."""
    try:
        repo.graph  # noqa: B018 - built on first use, memoised; the child inherits it
    except Exception:  # noqa: BLE001 - each rule that needs the graph fails again and becomes FL004
        pass


def _take(fd: int) -> int | None:
    """The next rule's number from the shared pipe; None when none is left."""
    while True:
        try:
            data = os.read(fd, 1)
        except InterruptedError:
            continue
        return data[0] if data else None


def _child(rules, groups, repo, run_one, tokens: int, out: Connection) -> None:  # pragma: no cover - runs in the fork
    """Take groups of rules until none is left, announcing each rule; send the findings; end without teardown."""
    import signal

    status = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
        done: dict[int, list[Diagnostic]] = {}
        while True:
            group = _take(tokens)
            if group is None:
                break
            out.send(("take", group))
            for index in groups[group]:
                out.send(("start", index))
                _test_kill_or_hang(rules[index].code)
                done[index] = run_one(rules[index], repo)
                out.send(("done", index))
        out.send(("findings", done))
    except BaseException:  # noqa: BLE001 - the parent sees the missing findings and makes up for them
        status = 1
    finally:
        os._exit(status)


def _test_hooks() -> bool:
    """Test hooks (tests/test_repo_stage.py only) are set: the child takes rules before this process does."""
    return bool(os.environ.get("FLAKELINT_TEST_KILL_RULE") or os.environ.get("FLAKELINT_TEST_HANG_RULE"))


def _test_kill_or_hang(code: str) -> None:  # pragma: no cover - runs in the fork
    """``FLAKELINT_TEST_KILL_RULE=FLnnn``: the child kills itself taking that rule; ``..._HANG_RULE``: it sleeps."""
    if os.environ.get("FLAKELINT_TEST_KILL_RULE") == code:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get("FLAKELINT_TEST_HANG_RULE") == code:
        time.sleep(3600)


def _collect(rules, repo, run_one, pid: int, results: Connection, groups) -> dict[int, list[Diagnostic]]:
    """The child's findings; what it could not deliver, made up for here."""
    from flakelint.pool import file_timeout

    limit = file_timeout()
    taken: list[int] = []
    started: set[int] = set()
    finished: set[int] = set()
    findings: dict[int, list[Diagnostic]] | None = None
    how = "died"
    while findings is None:
        try:
            if not results.poll(limit):
                how = "hung"
                _kill(pid)
                break
            kind, value = results.recv()
        except Exception:  # noqa: BLE001 - end of file or a torn message: the child died here
            break
        if kind == "take":
            taken.append(value)
        elif kind == "start":
            started.add(value)
        elif kind == "done":
            finished.add(value)
        elif kind == "findings":
            findings = value
    status = _reap(pid)
    if findings is not None:
        return findings
    # The rule it was running when it died becomes FL004 (running it here
    # could take this process down too); every other rule of the groups it
    # had taken, finished or not begun, runs here.
    made_up: dict[int, list[Diagnostic]] = {}
    for group in taken:
        for index in groups[group]:
            if index in started and index not in finished:
                made_up[index] = [_lost_rule(rules[index], repo, how, status, limit)]
            else:
                made_up[index] = run_one(rules[index], repo)
    return made_up


def _kill(pid: int) -> None:
    import signal

    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def _reap(pid: int) -> int | None:
    """The child's wait status (it never outlives the run)."""
    while True:
        try:
            return os.waitpid(pid, 0)[1]
        except InterruptedError:
            continue
        except ChildProcessError:
            return None


def _lost_rule(rule, repo, how: str, status: int | None, limit: float) -> Diagnostic:
    if how == "hung":
        why = f"it ran longer than {limit:g} seconds"
    elif status is not None and os.WIFSIGNALED(status):
        why = f"the process running it was killed by signal {os.WTERMSIG(status)}"
    else:
        why = "the process running it died"
    anchor = "flake.nix" if repo.flake.has_flake_nix else "."
    return Diagnostic(
        code="FL004",
        message=f"rule {rule.code} ({rule.name}) could not finish on the repository: {why}",
        path=anchor,
        hint="a bug in flakelint; run with --debug and report it",
    )
