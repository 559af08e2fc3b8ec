"""SARIF output: valid against the official 2.1.0 schema, complete, and byte-stable.

The schema is the OASIS file in ``../shared/sarif/`` (see conftest.SARIF_SCHEMA),
validated with jsonschema's Draft 4 validator as the schema itself declares.
"""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

import jsonschema
import pytest
from click.testing import CliRunner

from flakelint.cli import main
from flakelint.diagnostic import Diagnostic, Position, Severity
from flakelint.registry import all_rules
from flakelint.report import ReportContext, render
from flakelint.report.sarif import LEVELS, artifact_uri
from flakelint.rule import FileRule

from conftest import SARIF_SCHEMA, make_repo

BROKEN = "{ pkgs, ... }:\n{\n  environment.systemPackages = [ pkgs.git ]\n}\n"
CLEAN_FLAKE = "{\n  outputs = _: { };\n}\n"
# RFC 3986 URI-reference characters; `%` only as a percent-escape.
URI_CHARS = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#\[\]]|%[0-9A-F]{2})*$")


class InfoRule(FileRule):
    """Test-only: flags the word `NOTE_ME` (info level).

    ## What it does
    Flags `NOTE_ME`.

    ## Why is this bad?
    It is a test.

    ## Example
    ```nix
    NOTE_ME
    ```

    ## Use instead
    ```nix
    null
    ```
    """

    code = "FL098"
    name = "test-info-note"
    severity = Severity.INFO

    def check(self, source):
        for match in re.finditer(rb"NOTE_ME", source.data):
            yield self.diagnostic(source, start=match.start(), end=match.end(), message="a note")


@pytest.fixture(scope="module")
def validator():
    if not SARIF_SCHEMA.exists():
        pytest.fail(f"the official SARIF schema is missing: {SARIF_SCHEMA}")
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert schema["$schema"].startswith("http://json-schema.org/draft-04/")
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


@pytest.fixture
def info_rule(monkeypatch):
    """Register the test-only info rule for one test (the registry dict is cached and shared)."""
    monkeypatch.setitem(all_rules(), InfoRule.code, InfoRule)
    return InfoRule


def sarif(args, monkeypatch, cwd) -> str:
    monkeypatch.chdir(cwd)
    monkeypatch.delenv("FLAKELINT_OUTPUT_FORMAT", raising=False)
    result = CliRunner().invoke(main, ["--output-format", "sarif", *args], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def assert_valid(validator, text: str) -> dict:
    log = json.loads(text)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
    return log


def results_of(log: dict) -> list[dict]:
    assert len(log["runs"]) == 1
    return log["runs"][0]["results"]


def test_findings_of_every_severity_validate(validator, info_rule, repo_factory, monkeypatch):
    repo = repo_factory(
        {
            "flake.nix": CLEAN_FLAKE,
            "broken.nix": BROKEN,
            "stale.nix": "{ x = 1; } # flakelint: ignore[FL999]\n",
            "note.nix": "{ y = NOTE_ME; }\n",
        }
    )
    log = assert_valid(validator, sarif(["--select", "FL0"], monkeypatch, repo))
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-schema-2.1.0.json")
    results = results_of(log)
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels == {"FL001": "error", "FL003": "warning", "FL098": "note"}
    # Every result states its level explicitly, warning included (sarif-om's
    # own serialiser would drop it as the default).
    assert all("level" in r for r in results)
    assert '"level": "warning"' in json.dumps(log, indent=2)


def test_result_locations(validator, repo_factory, monkeypatch):
    repo = repo_factory({"flake.nix": CLEAN_FLAKE, "hosts/a/broken.nix": BROKEN})
    log = assert_valid(validator, sarif(["--select", "FL0"], monkeypatch, repo))
    (result,) = results_of(log)
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "hosts/a/broken.nix", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 3, "startColumn": 44, "endLine": 3, "endColumn": 44}
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == "FL001"
    assert result["message"]["text"] == "syntax error: missing `;`"
    assert log["runs"][0]["columnKind"] == "unicodeCodePoints"


def test_clean_repo_validates_with_empty_results(validator, repo_factory, monkeypatch):
    repo = repo_factory({"flake.nix": CLEAN_FLAKE})
    log = assert_valid(validator, sarif(["--select", "FL0"], monkeypatch, repo))
    run = log["runs"][0]
    assert run["results"] == []
    assert run["invocations"] == [{"executionSuccessful": True}]
    assert run["tool"]["driver"]["name"] == "flakelint"


def test_rules_come_from_the_registry(validator, info_rule):
    log = assert_valid(validator, render("sarif", [], ReportContext()))
    driver = log["runs"][0]["tool"]["driver"]
    rules = all_rules()
    assert [r["id"] for r in driver["rules"]] == list(rules)
    for descriptor in driver["rules"]:
        rule = rules[descriptor["id"]]
        doc = rule.doc()
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == doc.summary
        assert descriptor["fullDescription"]["text"] == doc.sections["What it does"]
        assert descriptor["help"]["markdown"] == doc.markdown(rule.code, rule.name, rule.severity)
        assert descriptor["help"]["text"]
        assert descriptor["helpUri"].endswith(f"/docs/rules/{rule.code}-{rule.name}.md")
        assert descriptor["helpUri"].startswith("https://")
        assert descriptor["defaultConfiguration"]["level"] == LEVELS[rule.severity]
        # Info rules are off unless selected; everything else is on (the default).
        assert descriptor["defaultConfiguration"].get("enabled", True) is (rule.severity > Severity.INFO)
    levels = {d["id"]: d["defaultConfiguration"]["level"] for d in driver["rules"]}
    assert levels["FL003"] == "warning" and levels["FL001"] == "error" and levels["FL098"] == "note"


ODD_NAMES = [
    "with space.nix",
    "100%.nix",
    "hash#tag.nix",
    "question?.nix",
    "colon:name.nix",
    "ünïcödé.nix",
    "日本/設定.nix",
    "plus+and&.nix",
]


def test_odd_file_names(validator, repo_factory, monkeypatch):
    repo = repo_factory({"flake.nix": CLEAN_FLAKE, **{name: BROKEN for name in ODD_NAMES}})
    log = assert_valid(validator, sarif(["--select", "FL0"], monkeypatch, repo))
    uris = []
    for result in results_of(log):
        location = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert location["uriBaseId"] == "%SRCROOT%"
        uri = location["uri"]
        assert URI_CHARS.match(uri), uri
        # A relative reference whose first segment holds ':' would read as a scheme.
        assert ":" not in uri.split("/")[0]
        assert not uri.startswith("/")
        uris.append(unquote(uri))
    assert sorted(uris) == sorted(ODD_NAMES)


@pytest.mark.parametrize(
    "path,uri",
    [
        ("a b.nix", "a%20b.nix"),
        ("100%.nix", "100%25.nix"),
        ("x#y.nix", "x%23y.nix"),
        ("dir/ü.nix", "dir/%C3%BC.nix"),
        ("a:b.nix", "a%3Ab.nix"),
        ("new\nline.nix", "new%0Aline.nix"),
    ],
)
def test_artifact_uri_encoding(path, uri):
    assert artifact_uri(path) == (uri, "%SRCROOT%")


def test_absolute_paths_become_file_uris():
    assert artifact_uri("/srv/my flake/a.nix") == ("file:///srv/my%20flake/a.nix", None)


def test_hostile_name_in_sarif(validator, repo_factory, monkeypatch):
    name = "evil\n::error file=x::pwned\x1b[31m.nix"
    repo = repo_factory({"flake.nix": CLEAN_FLAKE, name: BROKEN})
    text = sarif(["--select", "FL0"], monkeypatch, repo)
    assert text.isascii()
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f]", text)
    assert not any(line.startswith("::") for line in text.splitlines())
    log = assert_valid(validator, text)
    (result,) = results_of(log)
    assert unquote(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) == name


def test_same_input_same_bytes(repo_factory, monkeypatch, tmp_path, info_rule):
    files = {
        "flake.nix": CLEAN_FLAKE,
        "b.nix": BROKEN,
        "a.nix": "{ x = NOTE_ME; } # flakelint: ignore[nope]\n",
        "sub dir/c.nix": BROKEN,
    }
    first = make_repo(tmp_path / "one" / "repo", files)
    second = make_repo(tmp_path / "elsewhere" / "deeper" / "copy", files)
    runs = [
        sarif(["--select", "FL0"], monkeypatch, first),
        sarif(["--select", "FL0"], monkeypatch, first),
        sarif(["--select", "FL0", "."], monkeypatch, second),
    ]
    assert runs[0] == runs[1] == runs[2]
    assert str(tmp_path) not in runs[0]
    # Results are sorted: path, then line, then column.
    keys = [
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in results_of(json.loads(runs[0]))
    ]
    assert keys == sorted(keys)


def test_render_from_diagnostics_keeps_level_and_hint(validator):
    diagnostics = [
        Diagnostic(
            code="FL003",
            message="stale",
            path="a.nix",
            start=Position(2, 3),
            end=Position(2, 8),
            hint="remove it",
            name="unused-suppression",
            severity=Severity.WARNING,
        )
    ]
    log = assert_valid(validator, render("sarif", diagnostics, ReportContext()))
    (result,) = results_of(log)
    assert result["level"] == "warning"
    assert result["message"]["text"] == "stale (hint: remove it)"
    assert result["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 2,
        "startColumn": 3,
        "endLine": 2,
        "endColumn": 8,
    }
