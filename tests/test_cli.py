"""The command line, in-process (click's CliRunner) and as a real ``python -m flakelint``.

Exit codes are the contract: 0 clean, 1 findings, 2 usage/config/internal
error, and an error is one line on stderr, never a traceback (unless
``--debug``).

In-process tests see only the engine's own rules (FL0xx) plus test-only
ones, so that the exact findings they expect do not change whenever a new
rule family lands; subprocess tests select ``FL0`` where they count findings.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

import flakelint
from flakelint.cli import main, parse_now
from flakelint.diagnostic import Severity
from flakelint.registry import all_rules
from flakelint.rule import FileRule

from conftest import REPO_ROOT, run_flakelint

BROKEN = "{ pkgs, ... }:\n{\n  environment.systemPackages = [ pkgs.git ]\n}\n"
CLEAN_FLAKE = "{\n  outputs = _: { };\n}\n"
STALE = "{ x = 1; } # flakelint: ignore[FL999]\n"
ONE_LINE_ERROR = re.compile(r"^flakelint: (error|internal error): [^\n]+\n$")


class NowRule(FileRule):
    """Test-only: reports, on `now.nix`, the time age checks compare with.

    ## What it does
    Says what time it is.

    ## Why is this bad?
    It is a test.

    ## Example
    ```nix
    null
    ```

    ## Use instead
    ```nix
    null
    ```
    """

    uses_clock = True  # its findings depend on "now": never cached
    code = "FL097"
    name = "test-now"
    severity = Severity.WARNING
    runnable_examples = False

    def check(self, source):
        if source.path == "now.nix":
            yield self.diagnostic(source, start=0, end=1, message=f"now={self.now!r}")


@pytest.fixture(autouse=True)
def engine_rules_only():
    """Only the FL0xx rules for one test; the cached registry dict is restored, order included."""
    registry = all_rules()
    saved = dict(registry)
    for code in [c for c in registry if not c.startswith("FL0")]:
        del registry[code]
    yield
    registry.clear()
    registry.update(saved)


@pytest.fixture
def clean_repo(repo_factory):
    return repo_factory({"flake.nix": CLEAN_FLAKE})


@pytest.fixture
def dirty_repo(repo_factory):
    return repo_factory({"flake.nix": CLEAN_FLAKE, "a.nix": BROKEN, "b.nix": STALE, "c/d.nix": BROKEN})


@pytest.fixture
def cli(monkeypatch):
    """Invoke the CLI in-process in a directory, with a clean environment for our variables."""
    for name in ("FLAKELINT_OUTPUT_FORMAT", "SOURCE_DATE_EPOCH", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)

    def invoke(args, cwd, env=None, **kwargs):
        monkeypatch.chdir(cwd)
        return CliRunner().invoke(main, args, env=env, **kwargs)

    return invoke


def assert_one_line_error(text: str, *fragments: str):
    assert ONE_LINE_ERROR.match(text), repr(text)
    assert "Traceback" not in text
    for fragment in fragments:
        assert fragment in text


# --- the default command --------------------------------------------------------


def test_default_command_forms_agree(cli, dirty_repo):
    outputs = {
        tuple(args): cli(args, dirty_repo)
        for args in ([], ["."], ["check"], ["check", "."], ["--output-format", "concise", "."])
    }
    texts = {result.stdout for result in outputs.values()}
    assert len(texts) == 1, texts
    assert all(result.exit_code == 1 for result in outputs.values())
    assert "a.nix:3:44: FL001 syntax error: missing `;`" in texts.pop()


def test_default_command_subprocess(dirty_repo):
    plain = run_flakelint("--select", "FL0", cwd=dirty_repo)
    dotted = run_flakelint("--select", "FL0", ".", cwd=dirty_repo)
    checked = run_flakelint("check", "--select", "FL0", ".", cwd=dirty_repo)
    assert plain.returncode == dotted.returncode == checked.returncode == 1
    assert plain.stdout == dotted.stdout == checked.stdout
    # stdout is a pipe here, so the default format is concise.
    assert plain.stdout.splitlines()[-1] == "Found 3 findings."
    assert "c/d.nix:3:44: FL001 syntax error: missing `;`" in plain.stdout
    assert plain.stderr == ""


def test_version(cli, clean_repo):
    result = cli(["--version"], clean_repo)
    assert result.exit_code == 0
    assert result.stdout == f"flakelint {flakelint.__version__}\n"
    process = run_flakelint("--version")
    assert process.returncode == 0 and process.stdout == result.stdout


def test_help(cli, clean_repo):
    result = cli(["--help"], clean_repo)
    assert result.exit_code == 0
    for command in ("check", "rule", "rules"):
        assert command in result.stdout
    check_help = cli(["check", "--help"], clean_repo).stdout
    for option in ("--output-format", "--output-file", "--select", "--extend-select", "--ignore", "--config", "--no-cache", "--exit-zero", "--statistics", "--now"):
        assert option in check_help


# --- exit codes -----------------------------------------------------------------------


def test_exit_0_when_clean(cli, clean_repo):
    result = cli(["."], clean_repo)
    assert result.exit_code == 0, result.output
    assert result.stdout == "All checks passed (1 file analysed).\n"


def test_exit_1_with_findings(cli, dirty_repo):
    assert cli(["."], dirty_repo).exit_code == 1


def test_exit_zero_flag(cli, dirty_repo):
    result = cli(["--exit-zero", "."], dirty_repo)
    assert result.exit_code == 0
    assert "FL001" in result.stdout


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["--no-such-option"], "No such option"),
        (["--output-format", "xml", "."], "Invalid value for '--output-format'"),
        (["--now", "yesterday", "."], "Invalid value for '--now'"),
        (["--now", "2024-02-30", "."], "Invalid value for '--now'"),
        (["rules", "--output-format", "yaml"], "Invalid value for '--output-format'"),
    ],
)
def test_usage_errors_exit_2(cli, clean_repo, args, fragment):
    result = cli(args, clean_repo)
    assert result.exit_code == 2
    assert fragment in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


@pytest.mark.parametrize(
    "option,value",
    [("--select", "FL9"), ("--select", "FL001,XYZ"), ("--extend-select", "FL0000"), ("--ignore", "E501"), ("--select", "F")],
)
def test_unknown_codes_exit_2(cli, clean_repo, option, value):
    result = cli([option, value, "."], clean_repo)
    assert result.exit_code == 2
    assert_one_line_error(result.stderr, option, "unknown rule code or prefix")


@pytest.mark.parametrize("value", ["", " ", ",", " , "])
def test_empty_select_exit_2(cli, dirty_repo, value):
    result = cli(["--select", value, "."], dirty_repo)
    assert result.exit_code == 2
    assert_one_line_error(result.stderr, "--select: no rule codes given")


def test_bad_config_exit_2_subprocess(repo_factory):
    repo = repo_factory({"flake.nix": CLEAN_FLAKE, "flakelint.toml": "selct = ['FL001']\n"})
    process = run_flakelint(".", cwd=repo)
    assert process.returncode == 2
    assert_one_line_error(process.stderr, "flakelint.toml", "unknown key 'selct'")
    assert process.stdout == ""


def test_missing_path_exit_2(cli, clean_repo):
    result = cli(["does-not-exist"], clean_repo)
    assert result.exit_code == 2
    assert_one_line_error(result.stderr, "does-not-exist")


def test_missing_config_file_exit_2(cli, clean_repo):
    result = cli(["--config", "nope.toml", "."], clean_repo)
    assert result.exit_code == 2
    assert_one_line_error(result.stderr, "nope.toml", "not found")


def test_unwritable_output_file_exit_2(cli, dirty_repo):
    result = cli(["--output-file", "no/such/dir/report.txt", "."], dirty_repo)
    assert result.exit_code == 2
    assert_one_line_error(result.stderr, "cannot write")


# --- output options -------------------------------------------------------------------


def test_statistics(cli, dirty_repo):
    result = cli(["--statistics", "."], dirty_repo)
    assert result.exit_code == 1
    assert result.stdout == (
        "    2  FL001  syntax-error  (error)\n"
        "    1  FL003  unused-suppression  (warning)\n"
        "Found 3 findings.\n"
    )


def test_statistics_clean(cli, clean_repo):
    result = cli(["--statistics", "."], clean_repo)
    assert result.exit_code == 0
    assert result.stdout == "Found 0 findings.\n"


def test_output_file(cli, dirty_repo, tmp_path):
    target = tmp_path / "report.json"
    result = cli(["--output-format", "json", "--output-file", str(target), "."], dirty_repo)
    assert result.exit_code == 1
    assert result.stdout == ""
    data = json.loads(target.read_text(encoding="utf-8"))
    assert sorted(d["code"] for d in data) == ["FL001", "FL001", "FL003"]
    assert result.stdout == cli(["--output-format", "json", "--output-file", str(target), "."], dirty_repo).stdout


def test_output_file_defaults_to_concise(cli, dirty_repo, tmp_path):
    target = tmp_path / "report.txt"
    cli(["--output-file", str(target), "."], dirty_repo)
    assert target.read_text(encoding="utf-8") == cli(["--output-format", "concise", "."], dirty_repo).stdout


def test_output_format_from_environment(cli, dirty_repo):
    result = cli(["."], dirty_repo, env={"FLAKELINT_OUTPUT_FORMAT": "json"})
    assert result.exit_code == 1
    assert {d["code"] for d in json.loads(result.stdout)} == {"FL001", "FL003"}
    # The option beats the variable.
    result = cli(["--output-format", "github", "."], dirty_repo, env={"FLAKELINT_OUTPUT_FORMAT": "json"})
    assert result.stdout.startswith("::error ")
    bad = cli(["."], dirty_repo, env={"FLAKELINT_OUTPUT_FORMAT": "yaml"})
    assert bad.exit_code == 2


def test_output_format_from_environment_subprocess(dirty_repo):
    process = run_flakelint(".", cwd=dirty_repo, env={"FLAKELINT_OUTPUT_FORMAT": "github"})
    assert process.returncode == 1
    assert all(line.startswith("::") for line in process.stdout.splitlines())


def test_default_format_is_concise_when_not_a_tty(cli, dirty_repo):
    piped = cli(["."], dirty_repo)
    assert piped.stdout == cli(["--output-format", "concise", "."], dirty_repo).stdout
    assert "|" not in piped.stdout


def test_default_format_is_full_on_a_tty(cli, dirty_repo, monkeypatch):
    monkeypatch.setattr("flakelint.cli._stdout_isatty", lambda: True)
    result = cli(["."], dirty_repo, env={"NO_COLOR": "1"})
    assert "a.nix:3:44: FL001 [syntax-error] syntax error: missing `;`" in result.stdout
    assert "\x1b" not in result.stdout


def test_broken_pipe_is_quiet(monkeypatch, capsys):
    """`flakelint . | head -n 1`: the reader goes away; no error message, no traceback."""
    import io

    from flakelint.cli import _write

    class ClosedPipe:
        buffer = None

        def write(self, data):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            pass

        def fileno(self):
            raise io.UnsupportedOperation("fileno")

    pipe = ClosedPipe()
    pipe.buffer = pipe
    monkeypatch.setattr(sys, "stdout", pipe)
    _write("a.nix:1:1: FL001 x\n" * 10_000, None)  # returns quietly
    assert capsys.readouterr().err == ""


# --- selection on the command line ------------------------------------------------------------


def codes(result) -> list[str]:
    return sorted(d["code"] for d in json.loads(result.stdout))


@pytest.mark.parametrize(
    "args,expected",
    [
        ([], ["FL001", "FL001", "FL003"]),
        (["--select", "FL0"], ["FL001", "FL001", "FL003"]),
        (["--select", "FL00"], ["FL001", "FL001", "FL003"]),
        (["--select", "FL001"], ["FL001", "FL001"]),
        (["--select", "fl003"], ["FL003"]),
        (["--select", "ALL", "--ignore", "FL001"], ["FL003"]),
        (["--ignore", "FL0"], []),
        (["--ignore", "FL00"], []),
        (["--select", "FL00", "--ignore", "FL001"], ["FL003"]),
        (["--ignore", "FL00", "--extend-select", "FL001"], ["FL001", "FL001"]),  # more specific wins
        (["--select", "FL001", "--ignore", "FL001"], []),  # ignore wins ties
        (["--select", "FL001,FL003"], ["FL001", "FL001", "FL003"]),
        (["--select", "FL001", "--select", "FL003"], ["FL001", "FL001", "FL003"]),
        (["--select", "FL001", "--extend-select", "FL003"], ["FL001", "FL001", "FL003"]),
        (["--ignore", " FL001 , FL003 "], []),
    ],
)
def test_selection_options(cli, dirty_repo, args, expected):
    result = cli(["--output-format", "json", *args, "."], dirty_repo)
    assert codes(result) == expected
    assert result.exit_code == (1 if expected else 0)


# --- time --------------------------------------------------------------------------------------------


@pytest.fixture
def now_repo(repo_factory, monkeypatch):
    monkeypatch.setitem(all_rules(), NowRule.code, NowRule)
    return repo_factory({"flake.nix": CLEAN_FLAKE, "now.nix": "null\n"})


def reported_now(result) -> float:
    (finding,) = [d for d in json.loads(result.stdout) if d["code"] == "FL097"]
    return float(finding["message"].removeprefix("now="))


def test_now_as_epoch(cli, now_repo):
    assert reported_now(cli(["--output-format", "json", "--now", "1700000000", "."], now_repo)) == 1_700_000_000.0


def test_now_as_date(cli, now_repo):
    expected = dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc).timestamp()
    assert expected == 1_704_153_600.0
    assert reported_now(cli(["--output-format", "json", "--now", "2024-01-02", "."], now_repo)) == expected


def test_source_date_epoch(cli, now_repo):
    result = cli(["--output-format", "json", "."], now_repo, env={"SOURCE_DATE_EPOCH": "1234567890"})
    assert reported_now(result) == 1_234_567_890.0
    # --now wins over the variable.
    result = cli(["--output-format", "json", "--now", "5", "."], now_repo, env={"SOURCE_DATE_EPOCH": "1234567890"})
    assert reported_now(result) == 5.0


def test_clock_when_nothing_says_otherwise(cli, now_repo):
    import time

    before = time.time()
    value = reported_now(cli(["--output-format", "json", "."], now_repo))
    assert before - 1 <= value <= time.time() + 1


def test_empty_source_date_epoch_means_unset(cli, now_repo):
    import time

    value = reported_now(cli(["--output-format", "json", "."], now_repo, env={"SOURCE_DATE_EPOCH": " "}))
    assert abs(value - time.time()) < 5


@pytest.mark.parametrize("value", ["soon", "12.5", "-", "²", "1e9", "-5"])
def test_bad_source_date_epoch_exit_2(cli, clean_repo, value):
    result = cli(["."], clean_repo, env={"SOURCE_DATE_EPOCH": value})
    assert result.exit_code == 2
    assert_one_line_error(result.stderr, "SOURCE_DATE_EPOCH")


@pytest.mark.parametrize("value", ["--5", "²", "2024-1-2", "2024-02-30", "1.5", "", "1" * 20])
def test_parse_now_rejects(value):
    import click

    with pytest.raises(click.BadParameter):
        parse_now(value)


def test_bad_now_subprocess(clean_repo):
    process = run_flakelint("--now", "tomorrow", ".", cwd=clean_repo)
    assert process.returncode == 2
    assert "--now" in process.stderr and "Traceback" not in process.stderr


# --- rule and rules --------------------------------------------------------------------------------------


def test_rule_by_code_and_name(cli, clean_repo):
    by_code = cli(["rule", "FL001"], clean_repo)
    by_name = cli(["rule", "syntax-error"], clean_repo)
    lower = cli(["rule", "fl001"], clean_repo)
    assert by_code.exit_code == by_name.exit_code == 0
    assert by_code.stdout == by_name.stdout == lower.stdout
    text = by_code.stdout
    assert text.startswith("# FL001 syntax-error\n")
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert section in text
    assert text == all_rules()["FL001"].doc().markdown("FL001", "syntax-error", Severity.ERROR)


def test_rule_subprocess():
    process = run_flakelint("rule", "unused-suppression")
    assert process.returncode == 0
    assert process.stdout.startswith("# FL003 unused-suppression\n")


@pytest.mark.parametrize("key", ["FL999", "no-such-rule", "\x1b[31m"])
def test_unknown_rule_exit_2(cli, clean_repo, key):
    result = cli(["rule", key], clean_repo)
    assert result.exit_code == 2
    assert_one_line_error(result.stderr, "no rule named")
    assert "\x1b" not in result.stderr


def test_rules_text(cli, clean_repo):
    result = cli(["rules"], clean_repo)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == list(all_rules())
    assert lines[0].split()[:3] == ["FL001", "syntax-error", "error"]


def test_rules_json(cli, clean_repo):
    data = json.loads(cli(["rules", "--output-format", "json"], clean_repo).stdout)
    assert [d["code"] for d in data] == list(all_rules())
    first = data[0]
    assert set(first) == {"code", "name", "severity", "default_enabled", "scope", "summary", "options"}
    assert first["code"] == "FL001" and first["name"] == "syntax-error" and first["default_enabled"] is True


def test_rules_markdown(cli, clean_repo):
    """The index of the rule pages (docs/rules/README.md), links relative to docs/rules/."""
    text = cli(["rules", "--output-format", "markdown"], clean_repo).stdout
    lines = text.splitlines()
    assert lines[0].startswith("<!-- generated by") and lines[1] == "# flakelint rules"
    assert "| [FL001](FL001-syntax-error.md) | `syntax-error` | error | Nix that does not parse. |" in lines
    assert sum(line.startswith("| [FL") for line in lines) == len(all_rules())


def test_rules_markdown_output_dir(cli, tmp_path):
    """`--output-dir` writes the pages and the index; a second run changes nothing."""
    from flakelint.docs import rule_docs_tree

    target = tmp_path / "docs" / "rules"
    (target).mkdir(parents=True)
    (target / "FL999-retired-rule.md").write_text("# gone\n", encoding="utf-8")
    (target / "notes.md").write_text("kept\n", encoding="utf-8")
    first = cli(["rules", "--output-format", "markdown", "--output-dir", str(target)], tmp_path)
    assert first.exit_code == 0
    assert sorted(p.name for p in target.iterdir()) == sorted([*rule_docs_tree(), "notes.md"])
    assert "removed" in first.stderr and "FL999-retired-rule.md" in first.stderr
    for name, text in rule_docs_tree().items():
        assert (target / name).read_text(encoding="utf-8") == text
    assert cli(["rules", "--output-format", "markdown", "--output-dir", str(target)], tmp_path).stderr == ""
    usage = cli(["rules", "--output-dir", str(target)], tmp_path)
    assert usage.exit_code == 2


# --- internal errors ------------------------------------------------------------------------------------


@pytest.fixture
def crashing_fl001(monkeypatch):
    """FL001 raises on files named boom.nix and works elsewhere."""
    rule = all_rules()["FL001"]
    original = rule.check

    def check(self, source):
        if source.path.endswith("boom.nix"):
            raise IndexError("list index out of range\nsecond line")
        return original(self, source)

    monkeypatch.setattr(rule, "check", check)
    return rule


def test_rule_crash_becomes_fl004(cli, repo_factory, crashing_fl001):
    repo = repo_factory({"flake.nix": CLEAN_FLAKE, "a.nix": BROKEN, "boom.nix": BROKEN, "b.nix": STALE})
    result = cli(["--output-format", "json", "."], repo)
    assert result.exit_code == 1
    found = {(d["path"], d["code"]) for d in json.loads(result.stdout)}
    assert found == {("a.nix", "FL001"), ("boom.nix", "FL004"), ("b.nix", "FL003")}
    (crash,) = [d for d in json.loads(result.stdout) if d["code"] == "FL004"]
    assert crash["message"] == (
        "rule FL001 (syntax-error) crashed on this file: IndexError: list index out of range second line"
    )
    assert crash["severity"] == "error"
    assert "Traceback" not in result.output


def test_a_narrow_select_never_hides_a_crash(cli, repo_factory, crashing_fl001):
    repo = repo_factory({"flake.nix": CLEAN_FLAKE, "boom.nix": BROKEN})
    result = cli(["--select", "FL001", "--output-format", "json", "."], repo)
    assert result.exit_code == 1
    assert [(d["path"], d["code"]) for d in json.loads(result.stdout)] == [("boom.nix", "FL004")]
    hidden = cli(["--select", "FL001", "--ignore", "FL004", "--output-format", "json", "."], repo)
    assert hidden.exit_code == 0 and json.loads(hidden.stdout) == []


def test_rule_crash_subprocess(repo_factory):
    repo = repo_factory({"flake.nix": CLEAN_FLAKE, "a.nix": BROKEN, "boom.nix": BROKEN})
    script = (
        "import sys\n"
        "from flakelint.registry import all_rules\n"
        "rule = all_rules()['FL001']\n"
        "original = rule.check\n"
        "def check(self, source):\n"
        "    if source.path == 'boom.nix':\n"
        "        raise ZeroDivisionError('boom')\n"
        "    return original(self, source)\n"
        "rule.check = check\n"
        "from flakelint.cli import main\n"
        "main()\n"
    )
    process = subprocess.run(
        [sys.executable, "-c", script, "--select", "FL0", "--output-format", "concise", "."],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert process.returncode == 1
    assert process.stdout == (
        "a.nix:3:44: FL001 syntax error: missing `;`\n"
        "boom.nix:1:1: FL004 rule FL001 (syntax-error) crashed on this file: ZeroDivisionError: boom\n"
        "Found 2 findings.\n"
    )
    assert process.stderr == ""


def _explode(*_args, **_kwargs):
    raise RuntimeError("disk on fire\nand smoke")


def test_crash_outside_rules_is_one_line(cli, clean_repo, monkeypatch):
    monkeypatch.setattr("flakelint.engine.discover", _explode)
    result = cli(["."], clean_repo)
    assert result.exit_code == 2
    assert_one_line_error(result.stderr, "internal error", "RuntimeError: disk on fire and smoke", "--debug")
    assert result.stdout == ""


def test_crash_outside_rules_debug_shows_traceback(cli, clean_repo, monkeypatch):
    monkeypatch.setattr("flakelint.engine.discover", _explode)
    result = cli(["--debug", "."], clean_repo)
    assert result.exit_code == 2
    assert "Traceback" in result.stderr
    assert "RuntimeError: disk on fire" in result.stderr


def test_crash_outside_rules_subprocess(clean_repo):
    script = (
        "import flakelint.engine as engine\n"
        "def explode(*args, **kwargs):\n"
        "    raise KeyError('lost')\n"
        "engine.discover = explode\n"
        "from flakelint.cli import main\n"
        "main()\n"
    )
    quiet = subprocess.run([sys.executable, "-c", script, "."], cwd=clean_repo, capture_output=True, text=True)
    assert quiet.returncode == 2
    assert_one_line_error(quiet.stderr, "KeyError")
    loud = subprocess.run([sys.executable, "-c", script, "--debug", "."], cwd=clean_repo, capture_output=True, text=True)
    assert loud.returncode == 2
    assert "Traceback (most recent call last)" in loud.stderr


def test_crash_in_rules_command_is_one_line(cli, clean_repo, monkeypatch):
    monkeypatch.setattr("flakelint.docs.rules_text", lambda: 1 / 0)
    result = cli(["rules"], clean_repo)
    assert result.exit_code == 2
    assert_one_line_error(result.stderr, "ZeroDivisionError")


# --- paths ------------------------------------------------------------------------------------------------


def test_single_file_argument_reports_only_that_file(cli, dirty_repo):
    result = cli(["--output-format", "json", "c/d.nix"], dirty_repo)
    assert {d["path"] for d in json.loads(result.stdout)} == {"c/d.nix"}


def test_paths_relative_to_working_directory(cli, dirty_repo):
    result = cli(["--output-format", "concise", dirty_repo.name], dirty_repo.parent)
    assert f"{dirty_repo.name}/a.nix:3:44: FL001" in result.stdout


def test_examples_seed_runs_without_internal_errors():
    process = run_flakelint("--output-format", "json", str(REPO_ROOT / "examples" / "seed"))
    assert process.returncode in (0, 1), process.stderr
    assert not [d for d in json.loads(process.stdout) if d["code"] in ("FL001", "FL002", "FL004")]
