"""The repository rules in two processes: the same report as one process, and no rule lost to a dying child.

Byte-identical reports with and without the split are pinned by
``tests/test_pool.py`` (every fixture, ``--jobs 2`` against ``--jobs 1``:
the split happens whenever workers are used). The tests here use the
test-only hooks of :mod:`flakelint.repo_stage` (``FLAKELINT_TEST_KILL_RULE``,
``FLAKELINT_TEST_HANG_RULE``), which make the forked child take rules first
and die or hang on the one named.
"""

from __future__ import annotations

import json
import os

import pytest

from flakelint.pool import can_fork
from flakelint.repo_stage import run_repo_rules
from test_pool import generated_repo, json_report

pytestmark = pytest.mark.skipif(not can_fork(), reason="the repository stage forks only where fork is safe (Linux)")

#: A repository rule with findings in the generated repository, taken late
#: (rules are handed out heaviest first, then by code): the child finishes
#: several rules before it.
VICTIM = "FL306"


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return generated_repo(tmp_path_factory.mktemp("repo-stage"))


@pytest.fixture(scope="module")
def serial(repo):
    result = json_report(repo, 1)
    assert result.returncode == 1, result.stderr
    return json.loads(result.stdout)


def test_the_victim_rule_has_findings_to_lose(serial):
    assert any(d["code"] == VICTIM for d in serial)
    assert any(d["code"] in ("FL112", "FL114") for d in serial)  # rules the child finishes before it


def lost_only(repo, serial, env: dict, rule: str, why: str) -> None:
    """A run with the child killed or hung on ``rule``: one FL004 saying ``why``, every other finding as in one process."""
    result = json_report(repo, 2, env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    found = json.loads(result.stdout)
    lost = [d for d in found if d["code"] == "FL004"]
    assert [d["message"].split(" (")[0] for d in lost] == [f"rule {rule}"]
    assert why in lost[0]["message"]
    # Everything else is there, in order: rules the child had finished were run again here.
    assert [d for d in found if d["code"] != "FL004"] == [d for d in serial if d["code"] != rule]


def test_a_child_killed_on_a_rule_costs_that_rule_only(repo, serial):
    lost_only(repo, serial, {"FLAKELINT_TEST_KILL_RULE": VICTIM}, VICTIM, "killed by signal 9")


def test_a_child_killed_inside_a_group_costs_that_rule_only(repo, serial):
    # FL401-FL404 share every file's overlays: one group, run in rule order,
    # so the child has finished FL401 when it dies on FL402.
    lost_only(repo, serial, {"FLAKELINT_TEST_KILL_RULE": "FL402"}, "FL402", "killed by signal 9")


def test_a_hanging_child_is_stopped_and_its_rule_reported(repo, serial):
    env = {"FLAKELINT_TEST_HANG_RULE": VICTIM, "FLAKELINT_FILE_TIMEOUT": "1"}
    lost_only(repo, serial, env, VICTIM, "longer than 1 seconds")


def test_the_hooks_do_nothing_in_one_process(repo, serial):
    result = json_report(repo, 1, env={"FLAKELINT_TEST_KILL_RULE": VICTIM})
    assert json.loads(result.stdout) == serial


class _Recorder:
    """A rule that reports which process ran it (a finding carries the pid in its message)."""

    def __init__(self, code: str, cost: int = 1):
        self.code = code
        self.name = code.lower()
        self.cost = cost


def _run_with_pid(rule, repo):
    from flakelint.diagnostic import Diagnostic

    return [Diagnostic(code=rule.code, message=str(os.getpid()), path="flake.nix")]


def test_both_processes_take_rules_and_the_order_is_the_rules(tmp_path):
    rules = [_Recorder(f"FL9{i:02d}", cost=5 if i == 7 else 1) for i in range(40)]
    found = run_repo_rules(rules, _NoGraph(), _slow(_run_with_pid), parallel=True)
    assert [d.code for d in found] == [rule.code for rule in rules]
    assert len({d.message for d in found}) == 2  # this process and the child both ran some
    serial = run_repo_rules(rules, _NoGraph(), _run_with_pid, parallel=False)
    assert {d.message for d in serial} == {str(os.getpid())}


def _slow(run):
    def slowly(rule, repo):
        import time

        time.sleep(0.01)
        return run(rule, repo)

    return slowly


class _NoGraph:
    """The least a repository needs here: building its graph fails (the rules would report it)."""

    @property
    def graph(self):
        raise RuntimeError("no graph in this test")


def test_rules_sharing_a_structure_form_one_group_heaviest_first():
    from flakelint.registry import all_rules
    from flakelint.repo_stage import rule_groups
    from flakelint.rule import RepoRule

    rules = [cls() for cls in all_rules().values() if issubclass(cls, RepoRule)]
    groups = rule_groups(rules)
    assert sorted(i for group in groups for i in group) == list(range(len(rules)))
    codes = [[rules[i].code for i in group] for group in groups]
    assert ["FL401", "FL402", "FL403", "FL404"] in codes  # every file's overlays
    assert ["FL112", "FL113", "FL114", "FL406"] in codes  # the files evaluated
    weights = [sum(rules[i].cost for i in group) for group in groups]
    assert weights == sorted(weights, reverse=True)


def test_an_interrupted_parent_leaves_no_child_behind(tmp_path):
    parent = os.getpid()
    pids = tmp_path / "child-pids"

    def run_one(rule, repo):
        import time

        if os.getpid() == parent:
            time.sleep(0.2)  # let the child take its first rule
            raise KeyboardInterrupt
        with open(pids, "a") as handle:
            handle.write(f"{os.getpid()}\n")
        time.sleep(0.05)
        return []

    rules = [_Recorder(f"FL9{i:02d}") for i in range(20)]
    with pytest.raises(KeyboardInterrupt):
        run_repo_rules(rules, _NoGraph(), run_one, parallel=True)
    child = int(pids.read_text().split()[0])
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)  # killed and reaped, not a zombie


def test_idle_work_runs_once_in_this_process_and_never_fails_the_stage():
    calls = []

    def idle():
        calls.append(os.getpid())
        raise RuntimeError("an optional head start")

    rules = [_Recorder(f"FL9{i:02d}") for i in range(10)]
    found = run_repo_rules(rules, _NoGraph(), _run_with_pid, parallel=True, idle=idle)
    assert [d.code for d in found] == [rule.code for rule in rules]
    assert calls == [os.getpid()]
