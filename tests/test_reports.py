"""The text formats (full, concise, json, github): exact output, colour, escaping, safety."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys

import pytest
from click.testing import CliRunner

from flakelint.cli import main, use_color
from flakelint.diagnostic import Diagnostic, Position, Severity
from flakelint.report import FORMATS, ReportContext, render
from flakelint.report.github import escape_data, escape_property

from conftest import REPO_ROOT

BROKEN = "{ pkgs, ... }:\n{\n  environment.systemPackages = [ pkgs.git ]\n}\n"
CLEAN_FLAKE = "{\n  outputs = _: { };\n}\n"

KNOWN = [
    Diagnostic(
        code="FL001",
        message="syntax error: missing `;`",
        path="hosts/laptop/configuration.nix",
        start=Position(3, 44),
        end=Position(3, 44),
        name="syntax-error",
        severity=Severity.ERROR,
        snippet="  environment.systemPackages = [ pkgs.git ]",
    ),
    Diagnostic(
        code="FL003",
        message="suppression names an unknown rule code `FL999`",
        path="b.nix",
        start=Position(2, 30),
        end=Position(2, 35),
        hint="remove it (or fix the code)",
        name="unused-suppression",
        severity=Severity.WARNING,
        snippet="  x = 1; # flakelint: ignore[FL999]",
    ),
    Diagnostic(
        code="FL098",
        message="100% sure: a, b\nc",
        path="notes/c,d:e.nix",
        start=Position(1, 1),
        end=Position(1, 1),
        name="test-info-note",
        severity=Severity.INFO,
    ),
]
CONTEXT = ReportContext(files_analysed=3)

FULL = """\
hosts/laptop/configuration.nix:3:44: FL001 [syntax-error] syntax error: missing `;`
  |
3 |   environment.systemPackages = [ pkgs.git ]
  |                                            ^

b.nix:2:30: FL003 [unused-suppression] suppression names an unknown rule code `FL999`
  |
2 |   x = 1; # flakelint: ignore[FL999]
  |                              ^^^^^
  = hint: remove it (or fix the code)

notes/c,d:e.nix:1:1: FL098 [test-info-note] 100% sure: a, b\\nc

Found 3 findings (1 error, 1 warning, 1 info) in 3 files.
"""

CONCISE = """\
hosts/laptop/configuration.nix:3:44: FL001 syntax error: missing `;`
b.nix:2:30: FL003 suppression names an unknown rule code `FL999`
notes/c,d:e.nix:1:1: FL098 100% sure: a, b\\nc
Found 3 findings.
"""

GITHUB = """\
::error file=hosts/laptop/configuration.nix,line=3,col=44,endLine=3,endColumn=44,title=FL001 syntax-error::syntax error: missing `;`
::warning file=b.nix,line=2,col=30,endLine=2,endColumn=35,title=FL003 unused-suppression::suppression names an unknown rule code `FL999` (hint: remove it (or fix the code))
::notice file=notes/c%2Cd%3Ae.nix,line=1,col=1,endLine=1,endColumn=1,title=FL098 test-info-note::100%25 sure: a, b%0Ac
"""

JSON_KEYS = ["code", "name", "severity", "message", "path", "start", "end", "hint", "url"]
# Colour codes the full format may write (and nothing else may carry an ESC).
PALETTE = ["\x1b[0m", "\x1b[1m", "\x1b[2m", "\x1b[1;31m", "\x1b[1;33m", "\x1b[1;34m", "\x1b[36m"]


# --- exact output -----------------------------------------------------------


def test_full_snapshot():
    assert render("full", KNOWN, CONTEXT) == FULL


def test_concise_snapshot():
    assert render("concise", KNOWN, CONTEXT) == CONCISE


def test_github_snapshot():
    assert render("github", KNOWN, CONTEXT) == GITHUB


def test_json_snapshot():
    data = json.loads(render("json", KNOWN, CONTEXT))
    assert data[1] == {
        "code": "FL003",
        "name": "unused-suppression",
        "severity": "warning",
        "message": "suppression names an unknown rule code `FL999`",
        "path": "b.nix",
        "start": {"line": 2, "column": 30},
        "end": {"line": 2, "column": 35},
        "hint": "remove it (or fix the code)",
        "url": "https://github.com/flakelint/flakelint/blob/main/docs/rules/FL003-unused-suppression.md",
    }
    assert data[2]["message"] == "100% sure: a, b\nc"  # JSON escaping is enough; the text stays exact


def test_json_schema_shape():
    data = json.loads(render("json", KNOWN, CONTEXT))
    assert isinstance(data, list) and len(data) == len(KNOWN)
    for item in data:
        assert list(item) == JSON_KEYS
        assert re.fullmatch(r"FL\d{3}", item["code"])
        assert item["severity"] in ("error", "warning", "info")
        for key in ("name", "message", "path", "url"):
            assert isinstance(item[key], str)
        for key in ("start", "end"):
            assert set(item[key]) == {"line", "column"}
            assert all(isinstance(v, int) and v >= 1 for v in item[key].values())
        assert item["hint"] is None or isinstance(item["hint"], str)
    assert [d["severity"] for d in data] == ["error", "warning", "info"]


def test_empty_reports():
    empty = ReportContext(files_analysed=1)
    assert render("full", [], empty) == "All checks passed (1 file analysed).\n"
    assert render("concise", [], ReportContext(files_analysed=2)) == "All checks passed (2 files analysed).\n"
    assert render("github", [], empty) == ""
    assert json.loads(render("json", [], empty)) == []


def test_full_redacts_marked_columns():
    secret = Diagnostic(
        code="FL501",
        message="a plaintext password",
        path="u.nix",
        start=Position(1, 18),
        end=Position(1, 26),
        name="plaintext-secret",
        severity=Severity.ERROR,
        snippet='  initialPassword = "hunter2";',
        redact=((22, 29),),
    )
    text = render("full", [secret], CONTEXT)
    assert "hunter2" not in text
    assert '  initialPassword = "*******";' in text


def test_full_caret_with_tabs_and_wide_escapes():
    d = Diagnostic(
        code="FL001",
        message="m",
        path="t.nix",
        start=Position(1, 4),
        end=Position(1, 6),
        name="syntax-error",
        severity=Severity.ERROR,
        snippet="\t\x1bab  cd",
    )
    lines = render("full", [d], CONTEXT).splitlines()
    # The tab expands to 4 columns, ESC shows as the 4 characters `\x1b`.
    assert lines[2] == "1 |     \\x1bab  cd"
    assert lines[3] == "  |          ^^"


def test_engine_findings_in_concise(repo_factory, monkeypatch):
    repo = repo_factory({"flake.nix": CLEAN_FLAKE, "hosts/a.nix": BROKEN, "b.nix": "{ x = 1; } # flakelint: ignore[FL999]\n"})
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, ["--select", "FL0", "--output-format", "concise"])
    assert result.exit_code == 1
    assert result.stdout == (
        "b.nix:1:32: FL003 suppression names an unknown rule code `FL999`\n"
        "hosts/a.nix:3:44: FL001 syntax error: missing `;`\n"
        "Found 2 findings.\n"
    )


# --- github escaping --------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("plain", "plain"),
        ("100%", "100%25"),
        ("a\r\nb", "a%0D%0Ab"),
        ("a\nb", "a%0Ab"),
        ("%0A is not a newline", "%250A is not a newline"),
        ("a:b,c", "a:b,c"),  # only properties escape ':' and ','
        ("\x1b[31mred", "\\x1b[31mred"),
        ("tab\there", "tab\\there"),
        ("bidi\u202etxt", "bidi\\u202etxt"),
        ("\u2028sep", "\\u2028sep"),
    ],
)
def test_github_escape_data(text, expected):
    assert escape_data(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("a:b", "a%3Ab"),
        ("a,b", "a%2Cb"),
        ("50%", "50%25"),
        ("x\ny", "x%0Ay"),
        ("::error", "%3A%3Aerror"),
    ],
)
def test_github_escape_property(text, expected):
    assert escape_property(text) == expected


def test_github_levels():
    text = render("github", KNOWN, CONTEXT)
    assert [line.split(" ", 1)[0] for line in text.splitlines()] == ["::error", "::warning", "::notice"]


# --- colour -----------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt,output_file,isatty,environ,expected",
    [
        ("full", None, True, {}, True),
        ("full", None, True, {"NO_COLOR": "1"}, False),
        ("full", None, True, {"NO_COLOR": "anything"}, False),
        ("full", None, True, {"NO_COLOR": ""}, True),  # no-color.org: empty means unset
        ("full", None, False, {}, False),
        ("full", "out.txt", True, {}, False),
        ("concise", None, True, {}, False),
        ("github", None, True, {}, False),
        ("json", None, True, {}, False),
        ("sarif", None, True, {}, False),
    ],
)
def test_colour_decision(fmt, output_file, isatty, environ, expected):
    assert use_color(fmt, output_file, isatty, environ) is expected


def test_colour_only_when_asked():
    assert "\x1b" not in render("full", KNOWN, CONTEXT)
    coloured = render("full", KNOWN, ReportContext(files_analysed=3, color=True))
    assert "\x1b[1;31mFL001\x1b[0m" in coloured
    stripped = coloured
    for code in PALETTE:
        stripped = stripped.replace(code, "")
    assert stripped == FULL


def _run_in_pty(args, cwd, env) -> str:
    """flakelint with its stdout on a pseudo-terminal: what a user sees."""
    try:
        leader, follower = pty.openpty()
    except OSError as exc:  # no pseudo-terminals in this sandbox
        pytest.skip(f"cannot open a pseudo-terminal: {exc}")
    process = subprocess.Popen(
        [sys.executable, "-m", "flakelint", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=subprocess.PIPE,
        env=env,
    )
    os.close(follower)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([leader], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
        process.wait(timeout=60)
    return b"".join(chunks).decode("utf-8", "replace")


def test_terminal_gets_colour_unless_no_color(repo_factory):
    repo = repo_factory({"flake.nix": CLEAN_FLAKE, "a.nix": BROKEN})
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FLAKELINT_OUTPUT_FORMAT")}
    coloured = _run_in_pty(["--select", "FL0"], repo, env)
    assert "\x1b[1;31mFL001\x1b[0m" in coloured  # full format, coloured
    assert "|" in coloured
    plain = _run_in_pty(["--select", "FL0"], repo, {**env, "NO_COLOR": "1"})
    assert "\x1b" not in plain
    assert "a.nix:3:44: FL001 [syntax-error]" in plain  # still the full format


def test_pipe_gets_no_colour(repo_factory):
    repo = repo_factory({"flake.nix": CLEAN_FLAKE, "a.nix": BROKEN})
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FLAKELINT_OUTPUT_FORMAT")}
    result = subprocess.run(
        [sys.executable, "-m", "flakelint", "--select", "FL0", "--output-format", "full"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 1
    assert "\x1b" not in result.stdout
    assert "FL001 [syntax-error]" in result.stdout


# --- hostile names and content ------------------------------------------------

HOSTILE_NAME = "evil\n::error file=x::pwned\x1b[31m.nix"
HOSTILE_FILES = {
    "flake.nix": CLEAN_FLAKE,
    HOSTILE_NAME: BROKEN,
    "::warning::start.nix": BROKEN,
    "ctl.nix": "{\n::error::inside \x1b[2J\u202e = 1;\n}\n",
    "\u202ebidi\r.nix": "{ x = 1; } # flakelint: ignore[\x1b]0;title\x07]\n",
}
ANNOTATION = re.compile(
    r"^::(error|warning|notice) file=[^,:\r\n]+,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,title=[^,:]+::[^\r\n]*$"
)
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


@pytest.mark.parametrize("fmt", [*FORMATS, "statistics", "full-colour"])
def test_hostile_names_never_reach_output_raw(fmt, repo_factory, monkeypatch):
    repo = repo_factory(HOSTILE_FILES)
    monkeypatch.chdir(repo)
    args = ["--select", "FL0"]
    if fmt == "statistics":
        args.append("--statistics")
    elif fmt == "full-colour":
        args += ["--output-format", "full"]
        monkeypatch.setattr("flakelint.cli._stdout_isatty", lambda: True)
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        args += ["--output-format", fmt]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "pwned" in out or fmt == "statistics" or "pwned" in out.replace("%3A", ":")
    if fmt == "full-colour":
        assert "\x1b[" in out
        for code in PALETTE:
            out = out.replace(code, "")
    assert not RAW_CONTROL.search(out), repr(out)
    lines = out.splitlines()
    if fmt == "github":
        findings = json.loads(CliRunner().invoke(main, ["--select", "FL0", "--output-format", "json"]).stdout)
        assert len(lines) == len(findings) == 5  # one annotation per finding, no smuggled extra line
        for line in lines:
            assert ANNOTATION.match(line), line
    else:
        assert not [line for line in lines if line.startswith("::")]
    if fmt == "json":
        paths = {d["path"] for d in json.loads(result.stdout)}
        assert HOSTILE_NAME in paths and "\u202ebidi\r.nix" in paths


def test_hostile_names_in_subprocess_output(repo_factory):
    """The same through a real process: stdout bytes, and stderr too."""
    repo = repo_factory(HOSTILE_FILES)
    env = {k: v for k, v in os.environ.items() if k != "FLAKELINT_OUTPUT_FORMAT"}
    for fmt in ("concise", "github"):
        result = subprocess.run(
            [sys.executable, "-m", "flakelint", "--select", "FL0", "--output-format", fmt, "."],
            cwd=repo,
            capture_output=True,
            env=env,
        )
        assert result.returncode == 1, result.stderr
        for stream in (result.stdout, result.stderr):
            text = stream.decode("utf-8")
            assert not RAW_CONTROL.search(text)
            starts = [line for line in text.splitlines() if line.startswith("::")]
            if fmt == "github" and stream is result.stdout:
                assert all(ANNOTATION.match(line) for line in starts)
            else:
                assert not starts


def test_docs_describe_the_json_keys():
    text = (REPO_ROOT / "docs" / "output-formats.md").read_text(encoding="utf-8")
    for key in JSON_KEYS:
        assert f"`{key}`" in text
