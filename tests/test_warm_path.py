"""A run whose findings come from the cache imports and renders only what it must.

The rule index (flakelint/data/rules.json) stands in for the rule classes
where only names and severities are needed, and a SARIF report rendered for
the same findings is reused; both must give exactly the report a cold run
gives.
"""

from __future__ import annotations

import json
import subprocess
import sys

from flakelint import registry
from flakelint.report import ReportContext
from flakelint.report import memo

from conftest import make_repo

FLAKE = """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
  outputs = { nixpkgs, ... }: {
    nixosConfigurations.laptop = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [ ./hosts/laptop/configuration.nix ];
    };
  };
}
"""

#: Runs flakelint in a fresh interpreter, then prints which modules that run imported.
PROBE = """
import json, sys
from flakelint.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.startswith(("flakelint.rules.", "sarif_om", "flakelint.layout")))))
"""


def probe(repo, *args) -> list[str]:
    run = subprocess.run(
        [sys.executable, "-c", PROBE, "--output-format", "sarif", "--output-file", "out.sarif", "--now", "2025-11-20", *args, "."],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in run.stderr, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_the_index_file_matches_the_rule_classes():
    registry.rule_index.cache_clear()
    registry.all_rules.cache_clear()
    try:
        from_file = registry.rule_index()  # nothing loaded yet: read from flakelint/data/rules.json
        assert from_file == registry._index_of_classes()
        assert all(info.load() is registry.all_rules()[code] for code, info in from_file.items())
    finally:
        registry.rule_index.cache_clear()


def test_an_index_naming_other_modules_than_there_are_is_not_trusted(monkeypatch):
    """A rule file added (or removed) without writing the index again: the rule classes decide."""
    registry.rule_index.cache_clear()
    registry.all_rules.cache_clear()
    real = registry.rule_modules()
    assert real == {info.module for info in registry.rule_index().values()}
    assert registry.all_rules.cache_info().currsize == 0  # the index alone answered
    registry.rule_index.cache_clear()
    monkeypatch.setattr(registry, "rule_modules", lambda: real | {"flakelint.rules.graph.brand_new_rule"})
    try:
        index = registry.rule_index()
        assert registry.all_rules.cache_info().currsize == 1  # fell back to importing the rules
        assert index == registry._index_of_classes()
    finally:
        registry.rule_index.cache_clear()


def test_a_warm_run_imports_no_rule_and_no_sarif_om(tmp_path):
    """Not even the clock rules: their findings are kept for as long as they hold (tests/test_clock_cache.py)."""
    repo = make_repo(
        tmp_path / "repo",
        {
            "flake.nix": FLAKE,
            "hosts/laptop/configuration.nix": "{ pkgs, ... }:\n{\n  environment.systemPackages = [ pkgs.git ];\n}\n",
            "modules/orphan.nix": "{ }\n",
        },
    )
    cold = probe(repo, "--no-cache")
    cold_report = (repo / "out.sarif").read_text()
    assert "sarif_om" in cold and len(cold) > 20  # a cold run loads every rule and sarif-om
    probe(repo)  # fills the cache
    (repo / "out.sarif").write_text("overwritten by the next run\n")
    warm = probe(repo)  # the report it rewrites inside the flake does not change the cache key
    assert (repo / "out.sarif").read_text() == cold_report
    assert [m for m in warm if m.count(".") == 3] == []
    assert not any(m.startswith("sarif_om") for m in warm)
    # The layout named in the report is kept with the findings: not detected again.
    assert "flakelint.layout" in cold and "flakelint.layout" not in warm
    assert "FL201" in cold_report  # the orphan: the report is not an empty one


def test_a_changed_finding_renders_anew(tmp_path, monkeypatch):
    from flakelint.diagnostic import Diagnostic, Position, Severity

    monkeypatch.setenv("FLAKELINT_CACHE_DIR", str(tmp_path / "cache"))
    context = ReportContext(files_analysed=1, flakes=1)
    first = [Diagnostic(code="FL201", message="orphan", path="a.nix", start=Position(1, 1), name="orphan-file", severity=Severity.WARNING)]
    moved = [Diagnostic(code="FL201", message="orphan", path="a.nix", start=Position(2, 1), name="orphan-file", severity=Severity.WARNING)]
    text = memo.render_memoized("sarif", first, context, ["."])
    assert memo.render_memoized("sarif", first, context, ["."]) == text
    again = memo.render_memoized("sarif", moved, context, ["."])
    assert again != text and '"startLine": 2' in again
    # The slot now holds the second report: the first renders anew, the same as before.
    assert memo.render_memoized("sarif", first, context, ["."]) == text


def test_a_foreign_or_torn_slot_is_a_miss(tmp_path, monkeypatch):
    monkeypatch.setenv("FLAKELINT_CACHE_DIR", str(tmp_path / "cache"))
    context = ReportContext(files_analysed=0, flakes=1)
    text = memo.render_memoized("sarif", [], context, ["."])
    slot = memo._slot("sarif", ["."])
    with open(slot, "wb") as handle:
        handle.write(b"not-a-key\n{}")
    assert memo.render_memoized("sarif", [], context, ["."]) == text
    with open(slot, "wb") as handle:
        handle.write(memo.report_key("sarif", [], context) + b"\n\xff\xfe")  # right key, undecodable text
    assert memo.render_memoized("sarif", [], context, ["."]) == text


def test_other_formats_are_rendered_every_time(tmp_path, monkeypatch):
    monkeypatch.setenv("FLAKELINT_CACHE_DIR", str(tmp_path / "cache"))
    memo.render_memoized("json", [], ReportContext(), ["."])
    assert not (tmp_path / "cache").exists()


def test_only_an_untracked_report_loses_its_stamp(tmp_path):
    from flakelint.discover import discover
    from flakelint.engine import own_reports

    repo = make_repo(tmp_path / "repo", {"flake.nix": FLAKE, "tracked.sarif": "{}\n"})
    for name in ("out.sarif", "out.nix"):
        (repo / name).write_text("{}\n")
    (flake,) = discover(str(repo)).flakes
    reports = tuple(str(repo / name) for name in ("out.sarif", "out.nix", "tracked.sarif")) + (str(tmp_path / "elsewhere.sarif"),)
    assert own_reports(flake, reports) == {"out.sarif"}
    flake.tracked = None  # outside git FL501 reads every file: every stamp counts
    assert own_reports(flake, reports) == frozenset()
