"""Output injection: repository text never steers a terminal, a CI log or a viewer.

One hostile repository (a copy of examples/seed) carries ANSI escapes,
`\\n::error::` and bidi overrides (U+202E) in file names, input names,
attribute names, strings, comments, suppression comments and path literals,
so that they end up in messages, hints, snippets and graph labels. Every
output the command line can write is checked, with every rule selected:

* no raw control character (C0 but newline, DEL, C1), no ESC (except the full
  format's own colour codes when colour is on), no bidi or line-separator
  character;
* no line starts with ``::`` except the github format's own annotations, and
  those are exactly one well-formed line per finding;
* SARIF is schema-valid (Draft 4) and JSON round-trips the hostile names
  exactly; DOT output still parses with Graphviz.

tests/test_reports.py and tests/test_hostile.py check hand-made findings and
odd file names; this file adds hostile *content* reaching rule messages, all
rules at once, the graph formats, ``--statistics`` and the ``--summary``
Markdown.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from flakelint.cli import main

from conftest import REPO_ROOT, SARIF_SCHEMA, git

ESC = "\x1b[31m"
BIDI = "\u202e"
SEED = REPO_ROOT / "examples" / "seed"
PALETTE = ["\x1b[0m", "\x1b[1m", "\x1b[2m", "\x1b[1;31m", "\x1b[1;33m", "\x1b[1;34m", "\x1b[36m"]
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
ANNOTATION = re.compile(
    r"^::(error|warning|notice) file=[^,:\r\n]+,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,title=[^,:\r\n]+::[^\r\n]*$"
)
HOSTILE_NAMES = [
    f"::error file=x::named{ESC}.nix",
    f"evil\n::warning::newline{BIDI}.nix",
    f"modules/{ESC}dir\r::notice::/x.nix",
    "%0A::error::percent.nix",
]
FLAKE_INPUTS = (
    "inputs = {\n"
    f'    "evil\\n::error::input{ESC}{BIDI}".url = "github:NixOS/nixpkgs/nixos-23.05";\n'
    f'    "{ESC}red\n::warning::z".url = "path:/etc/{BIDI}";\n'
)
EVIL_MODULE = f"""{{ pkgs, ... }}:
# ::error::comment {ESC} {BIDI}
let
  "x{ESC}\\n::error::attr" = builtins.fetchurl "https://x/{ESC}\\n::error::fetch";
  z = builtins.readFile "/etc/{ESC}";
  w = ./missing/x.nix;
in
{{
  home.packages = [ ]; # flakelint: ignore[FL999{ESC}, ::error::x, FL9{BIDI}]
  "{ESC}\\n::error::opt".enable = true; # {ESC}::error::
  "quote\\"{BIDI}".x = ''
    ::error::inside an indented string {ESC}
  '';
}}
"""
BROKEN = "{\n  a = " + ESC + "\n::error::b, " + BIDI + "\n}\n"


def build(root, *, with_errors: bool = True):
    shutil.copytree(SEED, root)
    flake = root / "flake.nix"
    flake.write_text(flake.read_text().replace("inputs = {\n", FLAKE_INPUTS, 1))
    configuration = root / "hosts/laptop/configuration.nix"
    configuration.write_text(
        configuration.read_text().replace(
            "./hardware-configuration.nix", "./hardware-configuration.nix\n    ./evil.nix\n    ./evil.nix"
        )
    )
    (root / "hosts/laptop/evil.nix").write_text(EVIL_MODULE)
    for name in HOSTILE_NAMES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(BROKEN if with_errors else "{ a = 1; }\n")
    if with_errors:
        (root / f"broken{BIDI}.nix").write_text(BROKEN)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    return root


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    return build(tmp_path_factory.mktemp("inject") / "repo")


@pytest.fixture(scope="module")
def hostile_graph(tmp_path_factory):
    """No syntax errors, so the graph is complete and the hostile names are drawn as orphans."""
    return build(tmp_path_factory.mktemp("inject-graph") / "repo", with_errors=False)


def invoke(repo, args, monkeypatch, *, tty: bool = False):
    monkeypatch.chdir(repo)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FLAKELINT_OUTPUT_FORMAT", raising=False)
    monkeypatch.setattr("flakelint.cli._stdout_isatty", lambda: tty)
    return CliRunner().invoke(main, args, catch_exceptions=False)


def assert_safe(text: str, *, github: bool = False, colour: bool = False) -> list[str]:
    """No raw control or bidi character, no line that GitHub would take for a workflow command."""
    if colour:
        for code in PALETTE:
            text = text.replace(code, "")
    match = RAW_CONTROL.search(text)
    assert not match, f"raw {match.group(0)!r} in output: {text[max(0, match.start() - 80) : match.end() + 80]!r}"
    lines = text.split("\n")
    for line in lines:
        if line.startswith("::"):
            assert github, f"a line starts with '::': {line!r}"
            assert ANNOTATION.match(line), f"malformed annotation: {line!r}"
        # GitHub also honours a workflow command after leading whitespace.
        assert github or not line.lstrip().startswith("::"), line
    return lines


def json_findings(repo, monkeypatch) -> list[dict]:
    result = invoke(repo, ["--select", "ALL", "--output-format", "json", "."], monkeypatch)
    assert result.exit_code == 1, result.output
    return json.loads(result.stdout)


def test_the_hostile_text_reaches_the_findings(hostile, monkeypatch):
    """The test has teeth: hostile text sits in paths, messages and snippets."""
    found = json_findings(hostile, monkeypatch)
    paths = {d["path"] for d in found}
    assert set(HOSTILE_NAMES) <= paths, paths
    messages = " ".join(d["message"] + (d["hint"] or "") for d in found)
    assert ESC in messages and BIDI in messages and "\n::" in messages, messages
    assert not [d for d in found if d["code"] == "FL004"]


@pytest.mark.parametrize("fmt", ["full", "full-colour", "concise", "json", "github", "sarif", "statistics"])
def test_every_format_is_safe_on_hostile_content(hostile, monkeypatch, fmt):
    args = ["--select", "ALL"]
    if fmt == "statistics":
        args.append("--statistics")
    else:
        args += ["--output-format", fmt.replace("-colour", "")]
    result = invoke(hostile, [*args, "."], monkeypatch, tty=fmt == "full-colour")
    assert result.exit_code == 1, result.output
    out = result.stdout
    if fmt == "full-colour":
        assert "\x1b[1;31m" in out, "colour was not on"
    lines = assert_safe(out, github=fmt == "github", colour=fmt == "full-colour")
    assert_safe(result.stderr)
    findings = json_findings(hostile, monkeypatch)
    if fmt == "github":
        annotations = [line for line in lines if line]
        assert len(annotations) == len(findings)
        assert all(ANNOTATION.match(line) for line in annotations)
    if fmt in ("full", "full-colour", "concise"):
        plain = "\n".join(lines)  # colour codes removed
        assert plain.count(" FL") >= len(findings)
        assert "\\x1b[31m" in plain and "\\u202e" in plain  # visible, not raw
    if fmt == "full":
        assert out.count("\n  |") >= 1  # snippets are there, and were checked above
    if fmt == "json":
        assert [d["path"] for d in json.loads(out)] == [d["path"] for d in findings]


def test_sarif_is_schema_valid_and_exact(hostile, monkeypatch):
    jsonschema = pytest.importorskip("jsonschema")
    result = invoke(hostile, ["--select", "ALL", "--output-format", "sarif", "."], monkeypatch)
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(log)
    results = log["runs"][0]["results"]
    assert len(results) == len(json_findings(hostile, monkeypatch))
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
    for uri in uris:
        assert re.fullmatch(r"[A-Za-z0-9._~/%!$&'()*+,;=:@-]+", uri), uri  # percent-encoded, no raw byte
    assert any("%1B" in uri for uri in uris) and any("%0A" in uri for uri in uris)
    assert result.stdout.isascii()


def test_subprocess_stdout_and_stderr_bytes_are_safe(hostile):
    env = {k: v for k, v in os.environ.items() if k not in ("FLAKELINT_OUTPUT_FORMAT", "NO_COLOR")}
    for fmt in ("full", "concise", "github", "json", "sarif"):
        run = subprocess.run(
            [sys.executable, "-m", "flakelint", "--select", "ALL", "--output-format", fmt, "."],
            cwd=hostile, capture_output=True, env=env, timeout=120,
        )  # fmt: skip
        assert run.returncode == 1, run.stderr
        assert_safe(run.stdout.decode("utf-8"), github=fmt == "github")
        assert_safe(run.stderr.decode("utf-8"))


def test_summary_markdown_is_safe(hostile, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    result = invoke(hostile, ["--select", "ALL", "--output-format", "github", "--summary", str(summary), "."], monkeypatch)
    assert result.exit_code == 1, result.output
    text = summary.read_text(encoding="utf-8")
    assert "FL102" in text
    assert_safe(text)
    # A fence opened in the summary is closed by the summary, never by repository text.
    assert text.count("```") % 2 == 0


@pytest.mark.parametrize("graph_format", ["dot", "mermaid", "json"])
def test_graph_formats_are_safe(hostile_graph, monkeypatch, graph_format):
    result = invoke(hostile_graph, ["graph", "--format", graph_format, "."], monkeypatch)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert_safe(out)
    assert_safe(result.stderr)
    if graph_format == "json":
        data = json.loads(out)
        paths = {node["path"] for node in data["nodes"]}
        assert set(HOSTILE_NAMES) <= paths, paths  # drawn, and exact in JSON
    else:
        assert "\\x1b" in out  # the hostile names are drawn, escaped
    if graph_format == "dot" and shutil.which("dot"):
        rendered = subprocess.run(["dot", "-Tplain"], input=out, capture_output=True, text=True, timeout=60)
        assert rendered.returncode == 0, rendered.stderr
        assert rendered.stdout.count("\nnode ") == out.count(" [label=") - out.count(" -> ")
    if graph_format == "mermaid":
        body = out.split("\n")
        assert body[0] == "```mermaid" and body[-2] == "```" and out.count("```") == 2


# -- the runner's legacy command syntax --------------------------------------------------------

LEGACY_COMMAND = re.compile(r"##\[")


@pytest.mark.parametrize("fmt", ["full", "concise", "json", "sarif"])
def test_legacy_workflow_command_syntax_is_escaped(tmp_path, monkeypatch, fmt):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "##[error]injected.nix").write_text("{ a = 1, }\n")
    (repo / "flake.nix").write_text('{\n  inputs."##[stop-commands]tok".url = "github:a/b";\n  outputs = _: { };\n}\n')
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    result = invoke(repo, ["--select", "ALL", "--output-format", fmt, "."], monkeypatch)
    assert result.exit_code == 1, result.output
    offending = [line for line in result.stdout.splitlines() if LEGACY_COMMAND.search(line)]
    assert not offending, offending


@pytest.mark.parametrize("fmt", ["full", "concise"])
@pytest.mark.parametrize("lead", [" ", "\u00a0", "\u3000"], ids=["space", "nbsp", "ideographic-space"])
def test_leading_whitespace_never_starts_a_workflow_command(tmp_path, monkeypatch, fmt, lead):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / f"{lead}::error::pwned.nix").write_text("{ a = 1, }\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    result = invoke(repo, ["--select", "FL0", "--output-format", fmt, "."], monkeypatch)
    assert result.exit_code == 1, result.output
    assert "pwned" in result.stdout
    for line in result.stdout.splitlines():
        assert not line.lstrip().startswith("::"), repr(line)
