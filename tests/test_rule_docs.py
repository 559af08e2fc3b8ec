"""Every rule's docstring is complete, and its examples are true.

For each rule with ``runnable_examples``, the first ```nix block of
``## Example`` is written into a fresh git repository and must make the rule
fire; the one of ``## Use instead`` must make it (and FL001) stay silent.
A block may hold several files: a line ``# file: PATH`` starts a new file
(``flakelint.docs.example_files``); text before the first marker is
``default.nix``. Everything is ``git add``-ed, so a ``.gitignore`` in the
example keeps ignored files untracked.
"""

from __future__ import annotations

import pytest

from flakelint.docs import example_files
from flakelint.engine import Overrides, lint
from flakelint.registry import all_rules
from flakelint.rule import KNOWN_SECTIONS, REQUIRED_SECTIONS, validate_rule_class

from conftest import make_repo

RULES = list(all_rules().values())
RUNNABLE = [rule for rule in RULES if rule.runnable_examples]
NOW = 1_764_000_000.0  # 2025-11-24, as in test_fixtures


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: f"{rule.code}-{rule.name}")
def test_docstring_sections(rule):
    assert validate_rule_class(rule) == []
    doc = rule.doc()
    assert doc.summary and not doc.summary.startswith("#")
    for section in REQUIRED_SECTIONS:
        assert doc.sections.get(section, "").strip(), f"{rule.code}: empty '## {section}'"
    assert set(doc.sections) <= set(KNOWN_SECTIONS)
    markdown = doc.markdown(rule.code, rule.name, rule.severity)
    assert markdown.startswith(f"# {rule.code} {rule.name}\n")
    if rule.options:
        options = doc.sections.get("Options", "")
        for key in rule.options:
            assert f"`{key}`" in options, f"{rule.code}: option `{key}` is not documented under '## Options'"


@pytest.mark.parametrize("rule", RUNNABLE, ids=lambda rule: f"{rule.code}-{rule.name}")
def test_examples_are_nix(rule):
    doc = rule.doc()
    for section in ("Example", "Use instead"):
        assert doc.code_block(section) is not None, f"{rule.code}: '## {section}' needs a ```nix block"


def lint_example(tmp_path, rule, section: str):
    block = rule.doc().code_block(section)
    repo = make_repo(tmp_path / section.replace(" ", "-"), example_files(block))
    result = lint([str(repo)], Overrides(select=sorted({rule.code, "FL001"})), now=NOW)
    return [(d.path, d.start.line, d.code, d.message) for d in result.diagnostics]


@pytest.mark.parametrize("rule", RUNNABLE, ids=lambda rule: f"{rule.code}-{rule.name}")
def test_example_fires(rule, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    found = lint_example(tmp_path, rule, "Example")
    assert any(code == rule.code for _, _, code, _ in found), f"{rule.code}: the Example does not fire: {found}"
    if rule.code != "FL001":
        assert not [f for f in found if f[2] == "FL001"], f"{rule.code}: the Example is not valid Nix: {found}"


@pytest.mark.parametrize("rule", RUNNABLE, ids=lambda rule: f"{rule.code}-{rule.name}")
def test_use_instead_is_clean(rule, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    found = lint_example(tmp_path, rule, "Use instead")
    assert found == [], f"{rule.code}: 'Use instead' is not clean: {found}"


# --- the `# file:` splitting ---------------------------------------------------------------------------


def test_single_block_is_default_nix():
    assert example_files("{ }\n") == {"default.nix": "{ }\n"}


def test_file_markers_split_the_block():
    block = "# file: flake.nix\n{ outputs = _: { }; }\n# file: hosts/a/configuration.nix\n{ ... }: { }\n"
    assert example_files(block) == {
        "flake.nix": "{ outputs = _: { }; }\n",
        "hosts/a/configuration.nix": "{ ... }: { }\n",
    }


def test_text_before_the_first_marker_is_default_nix():
    block = "{ imports = [ ./b.nix ]; }\n#file:   b.nix  \n{ }\n"
    assert example_files(block) == {"default.nix": "{ imports = [ ./b.nix ]; }\n", "b.nix": "{ }\n"}


def test_a_marker_may_name_an_empty_file():
    assert example_files("# file: .keep\n# file: a.nix\n1\n") == {".keep": "", "a.nix": "1\n"}


def test_ordinary_comments_stay():
    block = "# a comment\n# files: not a marker\n{ }\n"
    assert example_files(block) == {"default.nix": block}


@pytest.mark.parametrize("path", ["/etc/x.nix", "../x.nix", "a/../../x.nix"])
def test_markers_stay_inside_the_repository(path):
    with pytest.raises(ValueError):
        example_files(f"# file: {path}\n{{ }}\n")
