"""Generated documentation is up to date, and the README tells the truth about the project.

When this fails after you changed a rule, run ``python -m flakelint.docs --write``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib

import pytest

from flakelint.config import settings_from_mapping
from flakelint.docs import (
    README_BEGIN,
    README_END,
    STATUS_BEGIN,
    STATUS_END,
    out_of_date,
    readme_with_table,
    rule_doc_files,
    rule_index_json,
    rules_markdown_table,
    status_markdown,
)
from flakelint.registry import all_rules
from flakelint.report import FORMATS

from conftest import REPO_ROOT

README = REPO_ROOT / "README.md"
FIX = "run `python -m flakelint.docs --write` and commit the result"


def readme() -> str:
    return README.read_text(encoding="utf-8")


def section(text: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


def test_generated_docs_are_up_to_date():
    problems = out_of_date(REPO_ROOT)
    assert problems == [], "\n".join(problems) + f"\n{FIX}"


def test_one_page_per_rule():
    pages = sorted(p.name for p in (REPO_ROOT / "docs" / "rules").glob("FL*.md"))
    assert pages == sorted(f"{code}-{rule.name}.md" for code, rule in all_rules().items()), FIX


def test_readme_rule_table_matches_the_registry():
    text = readme()
    assert text.count(README_BEGIN) == 1 and text.count(README_END) == 1
    assert text.count(STATUS_BEGIN) == 1 and text.count(STATUS_END) == 1
    table = text[text.index(README_BEGIN) + len(README_BEGIN) : text.index(README_END)].strip()
    codes = re.findall(r"^\| \[(FL\d{3})\]\(docs/rules/(FL\d{3})-([a-z0-9-]+)\.md\)", table, re.M)
    assert [c for c, _, _ in codes] == list(all_rules()), FIX
    for code, link_code, name in codes:
        assert link_code == code and (REPO_ROOT / "docs" / "rules" / f"{code}-{name}.md").exists()


def test_check_and_write_on_a_stale_copy(tmp_path):
    root = tmp_path / "checkout"
    (root / "docs" / "rules").mkdir(parents=True)
    shutil.copy(README, root / "README.md")
    stale = readme().replace(rules_markdown_table(), "| code |\n|---|\n")
    (root / "README.md").write_text(stale, encoding="utf-8")
    (root / "docs" / "rules" / "FL999-retired-rule.md").write_text("# gone\n", encoding="utf-8")
    (root / "docs" / "rules" / "notes.md").write_text("hand-written, kept\n", encoding="utf-8")
    first = next(iter(rule_doc_files()))
    (root / "docs" / "rules" / first).write_text("edited by hand\n", encoding="utf-8")

    def docs(*args):
        return subprocess.run(
            [sys.executable, "-m", "flakelint.docs", *args, "--root", str(root)], capture_output=True, text=True
        )

    check = docs("--check")
    assert check.returncode == 1
    assert "README.md" in check.stderr and "FL999-retired-rule.md" in check.stderr and first in check.stderr
    assert "flakelint/data/rules.json is out of date" in check.stderr  # the copy has no rule index
    assert "--write" in check.stderr
    write = docs("--write")
    assert write.returncode == 0, write.stderr
    assert docs("--check").returncode == 0
    assert not (root / "docs" / "rules" / "FL999-retired-rule.md").exists()
    assert (root / "docs" / "rules" / "notes.md").exists()
    assert (root / "README.md").read_text(encoding="utf-8") == readme_with_table(readme())
    assert (root / "flakelint" / "data" / "rules.json").read_text(encoding="utf-8") == rule_index_json()
    assert docs("--write").stdout == ""  # nothing left to change


def test_readme_without_markers_is_reported(tmp_path):
    (tmp_path / "README.md").write_text("# nothing here\n", encoding="utf-8")
    assert any("lacks the markers" in p for p in out_of_date(tmp_path))
    with pytest.raises(ValueError):
        readme_with_table("# nothing here\n")


def test_status_table_lists_every_family():
    status = status_markdown()
    families = {code[:3] for code in all_rules()}
    for digit in "0123456":
        row = next(line for line in status.splitlines() if line.startswith(f"| FL{digit}xx |"))
        assert ("planned" in row) is (f"FL{digit}" not in families)


# --- the README's claims ----------------------------------------------------------------------------


def test_quick_start_has_exactly_two_commands():
    quick = section(readme(), "Quick start")
    blocks = re.findall(r"```sh\n(.*?)```", quick, re.S)
    assert len(blocks) == 2
    commands = [block.strip() for block in blocks]
    assert all("\n" not in command for command in commands)
    install, test = commands
    assert install.startswith("python3 -m venv .venv && .venv/bin/pip install . && ")
    assert install.endswith(".venv/bin/flakelint examples/seed")
    assert (REPO_ROOT / "examples" / "seed" / "flake.nix").exists()
    assert test == "bash .ci/run"


def test_ci_script_runs_the_documented_pytest_invocation():
    script = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert script.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in script
    assert "export CI=true" in script
    assert "pip install --quiet -e '.[test]'" in script
    assert re.search(r'-m pytest -q tests "\$@"', script)
    assert "5)" in script  # pytest's "no tests collected" is a failure
    assert "apt-get update" in script and "nix-bin" in script
    # The README's development section names the same invocation.
    assert "python -m pytest -q tests" in section(readme(), "Development")


def test_ci_script_is_valid_bash():
    assert subprocess.run(["bash", "-n", str(REPO_ROOT / ".ci" / "run")]).returncode == 0


def test_readme_config_example_is_valid():
    config = section(readme(), "Configuration")
    (example,) = re.findall(r"```toml\n(.*?)```", config, re.S)
    settings = settings_from_mapping(tomllib.loads(example), "README.md")
    assert settings.max_file_size == 4 * 2**20
    assert settings.per_file_ignores
    for key in ("select", "extend-select", "ignore", "per-file-ignores", "exclude", "max-file-size"):
        assert f"`{key}`" in config


def test_readme_documents_the_interface():
    text = readme()
    from click.testing import CliRunner

    from flakelint.cli import main

    check_help = CliRunner().invoke(main, ["check", "--help"]).stdout
    options = set(re.findall(r"(--[a-z][a-z-]+)", check_help)) - {"--help"}
    for option in sorted(options):
        assert option in text, f"README.md does not document {option}"
    for fmt in FORMATS:
        assert f"`{fmt}`" in text
    for command in ("flakelint rule ", "flakelint rules", "flakelint graph", "--version"):
        assert command in text
    exit_codes = section(text, "Command line")
    for code in ("| 0 |", "| 1 |", "| 2 |"):
        assert code in exit_codes
    assert "FLAKELINT_OUTPUT_FORMAT" in text and "SOURCE_DATE_EPOCH" in text and "NO_COLOR" in text


def test_readme_links_exist():
    for target in re.findall(r"\]\(((?:docs|examples)/[^)#]*)\)", readme()):
        assert (REPO_ROOT / target).exists(), target


def test_output_formats_doc_covers_every_format():
    text = (REPO_ROOT / "docs" / "output-formats.md").read_text(encoding="utf-8")
    for fmt in FORMATS:
        assert f"## `{fmt}`" in text


def test_changelog_has_an_unreleased_section():
    text = (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n")
    assert "## [Unreleased]" in text
    assert "Keep a Changelog" in text


def test_pre_commit_hook_definition():
    text = (REPO_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    try:
        import yaml
    except ImportError:
        yaml = None
    if yaml is not None:
        (hook,) = yaml.safe_load(text)
    else:  # a flat list with one mapping: simple enough to read by hand
        hook = {}
        for line in text.splitlines():
            match = re.match(r"^(?:- |  )([a-z_]+): (.*)$", line)
            if match:
                value = match.group(2)
                hook[match.group(1)] = (
                    value.strip("'") if value.startswith("'") else {"true": True, "false": False}.get(value, value)
                )
    assert hook["id"] == "flakelint"
    assert hook["language"] == "python"
    assert hook["entry"] == "flakelint"
    assert hook["pass_filenames"] is False
    assert hook["require_serial"] is True
    pattern = re.compile(hook["files"])
    for path in ("flake.nix", "hosts/a/configuration.nix", "flake.lock", "sub/flake.lock"):
        assert pattern.search(path), path
    for path in ("README.md", "notflake.lock", "x.nix.orig"):
        assert not pattern.search(path), path


# --- the integration snippets in the README ----------------------------------------------------------


def fenced(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def concise_lines(tmp_path) -> list[str]:
    """Real `concise` output, with a directory name holding a colon."""
    from conftest import make_repo, run_flakelint

    repo = make_repo(
        tmp_path / "repo",
        {"flake.nix": "{ outputs = _: { }; }\n", "odd:dir/a.nix": "{ x = 1 }\n", "b.nix": "{ y = [ }\n"},
    )
    result = run_flakelint("--select", "FL001", "--output-format", "concise", ".", cwd=repo)
    assert result.returncode == 1
    return result.stdout.splitlines()


def test_editor_patterns_parse_concise_output(tmp_path):
    text = section(readme(), "Editors")
    lines = concise_lines(tmp_path)
    expected = [("b.nix", "1", "3", "FL001"), ("odd:dir/a.nix", "1", "8", "FL001")]
    # VS Code's problem matcher (a JavaScript regex; this one means the same in Python).
    (tasks,) = fenced(text, "json")
    matcher = json.loads(tasks)["tasks"][0]["problemMatcher"]
    assert matcher["fileLocation"][0] == "relative"
    pattern = matcher["pattern"]
    vscode = [re.match(pattern["regexp"], line) for line in lines]
    assert [(m.group(pattern["file"]), m.group(pattern["line"]), m.group(pattern["column"]), m.group(pattern["code"])) for m in vscode if m] == expected
    assert vscode[-1] is None  # the closing "Found ..." line is not a problem
    # nvim-lint's Lua pattern, translated (`.-` is lazy `.*?`, `%d` is a digit).
    (lua,) = fenced(text, "lua")
    lua_pattern = re.search(r'from_pattern\(\s*"(.*?)",', lua).group(1)
    python_pattern = lua_pattern.replace(".-", ".*?").replace("%d", r"\d")
    nvim = [re.match(python_pattern, line) for line in lines]
    assert [m.groups()[:4] for m in nvim if m] == expected and nvim[-1] is None
    # efm-langserver: the error format and the command.
    (efm,) = fenced(text, "yaml")
    import yaml

    tool = yaml.safe_load(efm)["tools"]["flakelint"]
    assert tool["lint-formats"] == ["%f:%l:%c: %m"]
    assert tool["lint-command"] == "flakelint --output-format concise ${INPUT}"


def test_git_hooks_nix_snippet_matches_the_hook():
    import shutil

    import yaml

    text = section(readme(), "pre-commit")
    (snippet,) = fenced(text, "nix")
    hook = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))[0]
    files = re.search(r'files = "(.*?)";', snippet).group(1).replace("\\\\", "\\")
    assert files == hook["files"]
    assert "pass_filenames = false;" in snippet and "require_serial = true;" in snippet
    (config,) = fenced(text, "yaml")
    assert yaml.safe_load(config)["repos"][0]["hooks"] == [{"id": hook["id"]}]
    if shutil.which("nix-instantiate"):
        parsed = subprocess.run(["nix-instantiate", "--parse", "-E", snippet], capture_output=True, text=True)
        assert parsed.returncode == 0, parsed.stderr


def test_action_snippet_uses_real_inputs_and_outputs():
    import yaml

    action = yaml.safe_load((REPO_ROOT / "action.yml").read_text(encoding="utf-8"))
    text = section(readme(), "GitHub Action")
    (snippet,) = fenced(text, "yaml")
    steps = yaml.safe_load(snippet)["steps"]
    ours = next(step for step in steps if step.get("id") == "flakelint")
    assert set(ours["with"]) <= set(action["inputs"])
    assert "security-events: write" in snippet
    for name in re.findall(r"steps\.flakelint\.outputs\.([a-z-]+)", snippet):
        assert name in action["outputs"]
    table_inputs = re.findall(r"^\| `([a-z-]+)` \|", text, re.M)
    assert set(action["inputs"]) | set(action["outputs"]) == set(table_inputs)


def test_rule_page_sarif_help_and_rule_command_share_one_text():
    """docs/rules/<page>, `flakelint rule CODE` and SARIF's help.markdown/helpUri agree."""
    from click.testing import CliRunner

    from flakelint.cli import main
    from flakelint.report import ReportContext
    from flakelint.report.sarif import build_log

    pages = rule_doc_files()
    descriptors = build_log([], ReportContext())["runs"][0]["tool"]["driver"]["rules"]
    assert [d["id"] for d in descriptors] == list(all_rules())
    for descriptor in descriptors:
        name = f"{descriptor['id']}-{descriptor['name']}.md"
        note, body = pages[name].split("\n", 1)
        assert note.startswith("<!-- generated by")
        assert descriptor["help"]["markdown"] == body
        assert descriptor["helpUri"].endswith(f"/blob/main/docs/rules/{name}")
        assert (REPO_ROOT / "docs" / "rules" / name).read_text(encoding="utf-8") == pages[name]
        assert CliRunner().invoke(main, ["rule", descriptor["id"]]).stdout == body


def test_rules_index_links_every_page():
    from flakelint.docs import rules_index_markdown

    index = (REPO_ROOT / "docs" / "rules" / "README.md").read_text(encoding="utf-8")
    assert index == rules_index_markdown()
    links = re.findall(r"\]\((FL\d{3}-[a-z0-9-]+\.md)\)", index)
    assert links == [f"{code}-{rule.name}.md" for code, rule in all_rules().items()]
    for link in links:
        assert (REPO_ROOT / "docs" / "rules" / link).exists()
