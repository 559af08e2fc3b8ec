"""The findings of the rules that read the clock (FL108, FL109) are kept for exactly as long as they hold.

A warm run must give what a cold run gives at its own "now": these tests
run the same repository at times on both sides of every instant where the
findings change (an input's age crossing ``max-age-days``, the next whole
day of a reported age, midnight UTC, a release's end of life), each time
after cached runs at other times, and compare with a run without the cache.
"""

from __future__ import annotations

import json
import os

import pytest

from flakelint import cache
from flakelint.engine import lint
from flakelint.releases import end_of_life

DAY = 86400
LOCKED = 1_750_000_000  # 2025-06-15 15:06:40 UTC
FLAKE = """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
  outputs = { nixpkgs, ... }: {
    nixosConfigurations.box = nixpkgs.lib.nixosSystem { modules = [ ./box.nix ]; };
  };
}
"""
LOCK = json.dumps(
    {
        "nodes": {
            "nixpkgs": {
                "locked": {"lastModified": LOCKED, "narHash": "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "owner": "NixOS", "repo": "nixpkgs", "rev": "0" * 40, "type": "github"},
                "original": {"owner": "NixOS", "ref": "nixos-24.05", "repo": "nixpkgs", "type": "github"},
            },
            "root": {"inputs": {"nixpkgs": "nixpkgs"}},
        },
        "root": "root",
        "version": 7,
    },
    indent=2,
)
FILES = {"flake.nix": FLAKE, "flake.lock": LOCK, "box.nix": "{ ... }: { networking.hostName = \"box\"; }\n"}
CLOCK = ["FL108", "FL109"]


def clock_findings(result):
    return [(d.path, d.start.line, d.code, d.message) for d in result.diagnostics if d.code in CLOCK]


def cold(repo, now):
    return clock_findings(lint([str(repo)], now=now, use_cache=False))


def warm(repo, now):
    return clock_findings(lint([str(repo)], now=now, use_cache=True))


def _eol_midnight() -> float:
    eol = end_of_life("24.05")
    return (eol.toordinal() - 719163) * DAY  # days since 1970-01-01


# Times on both sides of every change: FL108 reports the input once its age
# passes 30 days and says how many whole days old it is; FL109 reports
# 24.05 once the date is past its end of life.
INSTANTS = [
    LOCKED + 30 * DAY - 5, LOCKED + 30 * DAY - 0.5, LOCKED + 30 * DAY, LOCKED + 30 * DAY + 0.5, LOCKED + 30 * DAY + 5,
    LOCKED + 31 * DAY - 2, LOCKED + 31 * DAY + 2, LOCKED + 45 * DAY + 3600,
    _eol_midnight() - 2, _eol_midnight() - 0.25, _eol_midnight(), _eol_midnight() + 0.25, _eol_midnight() + DAY - 0.5, _eol_midnight() + DAY,
]


def test_the_instants_cover_changes_of_both_rules(repo_factory):
    repo = repo_factory(FILES)
    seen = {tuple(cold(repo, now)) for now in INSTANTS}
    codes = {code for findings in seen for _path, _line, code, _message in findings}
    assert codes == set(CLOCK) and len(seen) >= 5  # the test would prove nothing if nothing changed


@pytest.mark.parametrize("order", ["forward", "backward", "shuffled"])
def test_warm_runs_at_any_time_give_what_a_cold_run_gives(repo_factory, order):
    repo = repo_factory(FILES)
    times = list(INSTANTS)
    if order == "backward":
        times.reverse()
    elif order == "shuffled":
        times = times[::3] + times[1::3] + times[2::3]
    for now in times:
        assert warm(repo, now) == cold(repo, now), now
        assert warm(repo, now) == cold(repo, now), now  # the second time from what the first kept


def test_kept_findings_are_reused_without_the_rules(repo_factory, monkeypatch):
    """Inside the interval the rules do not run at all; outside it they run again."""
    import flakelint.engine as engine

    repo = repo_factory(FILES)
    now = LOCKED + 40 * DAY + 100
    first = warm(repo, now)
    assert {code for _p, _l, code, _m in first} == {"FL108", "FL109"}
    ran = []
    real = engine._run_clock_rules
    monkeypatch.setattr(engine, "_run_clock_rules", lambda rules, repo: ran.append(1) or real(rules, repo))
    assert warm(repo, now + 3600) == first  # the same whole day of age, the same date
    assert ran == []
    later = warm(repo, now + DAY)  # one day older: the message changes
    assert ran == [1] and later != first and later == cold(repo, now + DAY)


def test_a_damaged_or_foreign_record_is_a_miss(repo_factory):
    repo = repo_factory(FILES)
    now = LOCKED + 40 * DAY + 100
    expected = cold(repo, now)
    warm(repo, now)
    records = [name for name in os.listdir(cache.cache_dir()) if name.endswith(".clock.json")]
    assert len(records) == 1
    path = os.path.join(cache.cache_dir(), records[0])
    kept = json.loads(open(path, encoding="utf-8").read())
    for damage in ("{not json", json.dumps({**kept, "key": "another"}), json.dumps({**kept, "diagnostics": [{"code": 1}]})):
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(damage)
        assert warm(repo, now) == expected


def test_rules_that_cannot_say_how_long_are_never_kept(repo_factory, monkeypatch):
    from flakelint.registry import all_rules

    repo = repo_factory(FILES)
    monkeypatch.setattr(all_rules()["FL108"], "steady_between", lambda self, repo: None)
    warm(repo, LOCKED + 40 * DAY)
    assert not any(name.endswith(".clock.json") for name in os.listdir(cache.cache_dir()))
