"""flakelint.toml / .flakelint.toml: discovery, every key, validation errors, selection semantics."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from flakelint.cli import main
from flakelint.config import (
    ConfigError,
    Settings,
    glob_matches,
    load_settings,
    parse_size,
    settings_from_mapping,
)
from flakelint.diagnostic import Severity
from flakelint.engine import Overrides, lint
from flakelint.parse import DEFAULT_MAX_FILE_SIZE
from flakelint.registry import all_rules
from flakelint.rule import FileRule, Option

BROKEN = "{ pkgs, ... }:\n{\n  environment.systemPackages = [ pkgs.git ]\n}\n"
CLEAN_FLAKE = "{\n  outputs = _: { };\n}\n"
STALE = "{ x = 1; } # flakelint: ignore[FL999]\n"

_DOC = """Test-only rule.

    ## What it does
    Test.

    ## Why is this bad?
    Test.

    ## Example
    ```nix
    null
    ```

    ## Use instead
    ```nix
    null
    ```
    """


class OptionsRule(FileRule):
    __doc__ = _DOC
    code = "FL096"
    name = "test-options"
    severity = Severity.WARNING
    runnable_examples = False
    options = {
        "max-age-days": Option(int, 30, "days"),
        "ratio": Option(float, 0.5, "a ratio"),
        "strict": Option(bool, False, "be strict"),
        "names": Option(list, [], "some names"),
        "label": Option((str, int), "x", "a label"),
    }

    def check(self, source):
        if source.path == "opt.nix":
            yield self.diagnostic(source, start=0, end=1, message=json.dumps(self.settings, sort_keys=True))


class InfoRule(FileRule):
    __doc__ = _DOC
    code = "FL095"
    name = "test-info"
    severity = Severity.INFO
    runnable_examples = False

    def check(self, source):
        yield self.diagnostic(source, start=0, end=1, message="info")


@pytest.fixture(autouse=True)
def test_registry():
    """The engine's rules (FL0xx) plus the two test-only rules above; restored afterwards, order included."""
    registry = all_rules()
    saved = dict(registry)
    for code in [c for c in registry if not c.startswith("FL0")]:
        del registry[code]
    registry[InfoRule.code] = InfoRule
    registry[OptionsRule.code] = OptionsRule
    yield
    registry.clear()
    registry.update(saved)


def run(repo, monkeypatch, overrides=None, paths=(".",)):
    monkeypatch.chdir(repo)
    result = lint(list(paths), overrides or Overrides(), now=0.0)
    return sorted((d.path, d.code) for d in result.diagnostics)


def cli(repo, monkeypatch, *args):
    monkeypatch.chdir(repo)
    monkeypatch.delenv("FLAKELINT_OUTPUT_FORMAT", raising=False)
    return CliRunner().invoke(main, list(args))


DIRTY = {"flake.nix": CLEAN_FLAKE, "a.nix": BROKEN, "b.nix": STALE}


# --- discovery -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["flakelint.toml", ".flakelint.toml"])
def test_config_at_the_flake_root_is_used(repo_factory, monkeypatch, name):
    repo = repo_factory({**DIRTY, name: 'ignore = ["FL001"]\n'})
    assert run(repo, monkeypatch) == [("b.nix", "FL003")]


def test_flakelint_toml_wins_over_the_dotfile(repo_factory, monkeypatch):
    repo = repo_factory({**DIRTY, "flakelint.toml": 'ignore = ["FL001"]\n', ".flakelint.toml": 'ignore = ["FL003"]\n'})
    assert run(repo, monkeypatch) == [("b.nix", "FL003")]


def test_config_found_from_a_subdirectory_path(repo_factory, monkeypatch):
    repo = repo_factory({**DIRTY, "hosts/x.nix": BROKEN, "flakelint.toml": 'ignore = ["FL001"]\n'})
    assert run(repo, monkeypatch, paths=("hosts/x.nix",)) == []
    monkeypatch.chdir(repo / "hosts")
    # The flake root (and its config) is found upwards from the working directory.
    assert {d.code for d in lint(["."], now=0.0).diagnostics} == {"FL003"}


def test_config_below_the_root_is_not_used(repo_factory, monkeypatch):
    repo = repo_factory({**DIRTY, "hosts/flakelint.toml": 'ignore = ["FL001"]\n'})
    assert run(repo, monkeypatch) == [("a.nix", "FL001"), ("b.nix", "FL003")]


def test_config_option_file(repo_factory, monkeypatch, tmp_path):
    repo = repo_factory({**DIRTY, "flakelint.toml": 'ignore = ["FL001"]\n'})
    elsewhere = tmp_path / "shared.toml"
    elsewhere.write_text('ignore = ["FL003"]\n', encoding="utf-8")
    # --config replaces the discovered file (it is not merged with it).
    assert run(repo, monkeypatch, Overrides(config_path=str(elsewhere))) == [("a.nix", "FL001")]
    result = cli(repo, monkeypatch, "--config", str(elsewhere), "--output-format", "json", ".")
    assert [d["code"] for d in json.loads(result.stdout)] == ["FL001"]


def test_no_config_means_defaults(repo_factory, monkeypatch):
    repo = repo_factory(DIRTY)
    assert run(repo, monkeypatch) == [("a.nix", "FL001"), ("b.nix", "FL003")]
    assert Settings().max_file_size == DEFAULT_MAX_FILE_SIZE == 2 * 1024 * 1024


# --- every key -------------------------------------------------------------------------------------------


def test_select(repo_factory, monkeypatch):
    repo = repo_factory({**DIRTY, "flakelint.toml": 'select = ["FL003"]\n'})
    assert run(repo, monkeypatch) == [("b.nix", "FL003")]


def test_select_a_string_is_one_code(repo_factory, monkeypatch):
    repo = repo_factory({**DIRTY, "flakelint.toml": 'select = "FL001"\n'})
    assert run(repo, monkeypatch) == [("a.nix", "FL001")]


def test_extend_select_enables_info_rules(repo_factory, monkeypatch):
    repo = repo_factory({"flake.nix": CLEAN_FLAKE, "flakelint.toml": 'extend-select = ["FL095"]\n'})
    assert run(repo, monkeypatch) == [("flake.nix", "FL095")]


def test_ignore_prefix(repo_factory, monkeypatch):
    repo = repo_factory({**DIRTY, "flakelint.toml": 'ignore = ["FL00"]\n'})
    assert run(repo, monkeypatch) == []


PER_FILE = {
    "flake.nix": CLEAN_FLAKE,
    "a.nix": BROKEN,
    "hosts/laptop/default.nix": BROKEN,
    "hosts/laptop/hardware.nix": BROKEN,
    "hosts/server/deep/x.nix": BROKEN,
    "modules/generated.nix": BROKEN,
    "modules/sub/generated.nix": BROKEN,
    "vendor/lib.nix": BROKEN,
}


@pytest.mark.parametrize(
    "pattern,silenced",
    [
        ("a.nix", {"a.nix"}),  # a basename matches at any depth ...
        ("generated.nix", {"modules/generated.nix", "modules/sub/generated.nix"}),
        ("/a.nix", {"a.nix"}),  # ... unless anchored with a slash
        ("hosts/laptop/default.nix", {"hosts/laptop/default.nix"}),
        ("hosts/*/default.nix", {"hosts/laptop/default.nix"}),
        ("hosts/**", {"hosts/laptop/default.nix", "hosts/laptop/hardware.nix", "hosts/server/deep/x.nix"}),
        ("hosts/**/x.nix", {"hosts/server/deep/x.nix"}),
        ("**/generated.nix", {"modules/generated.nix", "modules/sub/generated.nix"}),
        ("hosts/", {"hosts/laptop/default.nix", "hosts/laptop/hardware.nix", "hosts/server/deep/x.nix"}),
        ("vendor", {"vendor/lib.nix"}),  # a directory name covers what is below it
        ("hosts/laptop", {"hosts/laptop/default.nix", "hosts/laptop/hardware.nix"}),
        ("*.nix", set(PER_FILE)),
        ("hosts/*", {"hosts/laptop/default.nix", "hosts/laptop/hardware.nix", "hosts/server/deep/x.nix"}),
        ("hosts/laptop/[dh]*.nix", {"hosts/laptop/default.nix", "hosts/laptop/hardware.nix"}),
        ("hosts/laptop/[!d]*.nix", {"hosts/laptop/hardware.nix"}),
        ("?.nix", {"a.nix", "hosts/server/deep/x.nix"}),
    ],
)
def test_per_file_ignores(repo_factory, monkeypatch, pattern, silenced):
    config = f'[per-file-ignores]\n"{pattern}" = ["FL001"]\n'
    repo = repo_factory({**PER_FILE, "flakelint.toml": config})
    found = {path for path, code in run(repo, monkeypatch)}
    assert found == set(PER_FILE) - silenced - {"flake.nix"}


def test_per_file_ignores_only_named_codes(repo_factory, monkeypatch):
    repo = repo_factory(
        {**DIRTY, "c.nix": BROKEN + "# flakelint: ignore[FL999]\n", "flakelint.toml": '[per-file-ignores]\n"c.nix" = ["FL001"]\n'}
    )
    assert run(repo, monkeypatch) == [("a.nix", "FL001"), ("b.nix", "FL003"), ("c.nix", "FL003")]


def test_exclude(repo_factory, monkeypatch):
    repo = repo_factory({**PER_FILE, "flakelint.toml": 'exclude = ["hosts/**", "vendor", "generated.nix"]\n'})
    assert run(repo, monkeypatch) == [("a.nix", "FL001")]


def test_exclude_a_string(repo_factory, monkeypatch):
    repo = repo_factory({**PER_FILE, "flakelint.toml": 'exclude = "hosts"\n'})
    assert ("hosts/laptop/default.nix", "FL001") not in run(repo, monkeypatch)


@pytest.mark.parametrize("value,limit", [("100", 100), ('"1KiB"', 1024), ('"1kb"', 1000)])
def test_max_file_size(repo_factory, monkeypatch, value, limit):
    big = "{\n" + "".join(f"  a{i} = {i};\n" for i in range(200)) + "}\n"
    assert len(big.encode()) > limit
    repo = repo_factory({"flake.nix": CLEAN_FLAKE, "big.nix": big, "flakelint.toml": f"max-file-size = {value}\n"})
    monkeypatch.chdir(repo)
    (finding,) = lint(["."], now=0.0).diagnostics
    assert (finding.path, finding.code) == ("big.nix", "FL002")
    assert f"max-file-size limit of {limit} bytes" in finding.message


@pytest.mark.parametrize(
    "value,size",
    [(1, 1), (4096, 4096), ("4MiB", 4 * 2**20), ("4 MiB", 4 * 2**20), ("2mb", 2_000_000), ("1GiB", 2**30), ("10", 10), ("7b", 7)],
)
def test_parse_size(value, size):
    assert parse_size(value, "x") == size


@pytest.mark.parametrize("value", [0, -1, True, 1.5, "4 parsecs", "", "MiB", "0MiB", [1]])
def test_parse_size_rejects(value):
    with pytest.raises(ConfigError, match="size"):
        parse_size(value, "f.toml: 'max-file-size'")


def test_rule_options_reach_the_rule(repo_factory, monkeypatch):
    config = '[rules.FL096]\nmax-age-days = 7\nratio = 2\nstrict = true\nnames = ["a"]\nlabel = 3\n'
    repo = repo_factory({"flake.nix": CLEAN_FLAKE, "opt.nix": "null\n", "flakelint.toml": config})
    monkeypatch.chdir(repo)
    (finding,) = lint(["."], now=0.0).diagnostics
    assert json.loads(finding.message) == {"label": 3, "max-age-days": 7, "names": ["a"], "ratio": 2, "strict": True}


def test_rule_option_defaults(repo_factory, monkeypatch):
    repo = repo_factory({"flake.nix": CLEAN_FLAKE, "opt.nix": "null\n"})
    monkeypatch.chdir(repo)
    (finding,) = lint(["."], now=0.0).diagnostics
    assert json.loads(finding.message) == {"label": "x", "max-age-days": 30, "names": [], "ratio": 0.5, "strict": False}


def test_rules_table_lowercase_code(repo_factory, monkeypatch):
    repo = repo_factory({"flake.nix": CLEAN_FLAKE, "opt.nix": "null\n", "flakelint.toml": "[rules.fl096]\nmax-age-days = 1\n"})
    monkeypatch.chdir(repo)
    (finding,) = lint(["."], now=0.0).diagnostics
    assert json.loads(finding.message)["max-age-days"] == 1


# --- the command line over the file ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "config,args,expected",
    [
        ('ignore = ["FL003"]\n', ["--extend-select", "FL003"], ["FL001", "FL003"]),
        ('ignore = ["FL003"]\n', ["--select", "FL003"], ["FL003"]),
        ('select = ["FL001"]\n', ["--select", "FL003"], ["FL003"]),
        ('select = ["FL001"]\n', ["--extend-select", "FL003"], ["FL001", "FL003"]),
        ('select = ["FL001"]\n', [], ["FL001"]),
        ('extend-select = ["FL095"]\n', ["--ignore", "FL09"], ["FL001", "FL003"]),
        ('extend-select = ["FL095"]\n', ["--select", "FL00"], ["FL001", "FL003"]),
        ('extend-select = ["FL095"]\n', [], ["FL001", "FL003", "FL095", "FL095", "FL095"]),
        ('select = ["ALL"]\nignore = ["FL095", "FL096"]\n', ["--ignore", "FL001"], ["FL003"]),
    ],
)
def test_command_line_overrides_the_file(repo_factory, monkeypatch, config, args, expected):
    repo = repo_factory({**DIRTY, "flakelint.toml": config})
    result = cli(repo, monkeypatch, "--output-format", "json", *args, ".")
    assert sorted(d["code"] for d in json.loads(result.stdout)) == expected


# --- errors ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,fragments",
    [
        ("selct = []\n", ["unknown key 'selct'"]),
        ("[tool]\nx = 1\n", ["unknown key 'tool'"]),
        ("select = 5\n", ["'select'", "list of strings"]),
        ('select = ["FL001", 2]\n', ["'select'", "list of strings"]),
        ('select = ["FL9"]\n', ["'select'", "unknown rule code or prefix 'FL9'"]),
        ('select = ["syntax-error"]\n', ["'select'", "unknown rule code or prefix 'syntax-error'"]),
        ('select = [""]\n', ["'select'", "unknown rule code or prefix ''"]),
        ('extend-select = ["XX1"]\n', ["'extend-select'", "'XX1'"]),
        ('ignore = ["FL0000"]\n', ["'ignore'", "'FL0000'"]),
        ("ignore = true\n", ["'ignore'", "list of strings"]),
        ("exclude = 3\n", ["'exclude'", "list of strings"]),
        ('exclude = [""]\n', ["'exclude'", "empty glob"]),
        ('exclude = ["[z-a]"]\n', ["'exclude'", "invalid glob pattern"]),
        ('per-file-ignores = ["a.nix"]\n', ["'per-file-ignores'", "table"]),
        ('[per-file-ignores]\n"a.nix" = "FL9"\n', ['per-file-ignores."a.nix"', "'FL9'"]),
        ('[per-file-ignores]\n"a.nix" = 1\n', ['per-file-ignores."a.nix"', "list of strings"]),
        ('max-file-size = "huge"\n', ["'max-file-size'", "size"]),
        ("max-file-size = 0\n", ["'max-file-size'", "positive"]),
        ("max-file-size = 1.5\n", ["'max-file-size'"]),
        ("[rules.FL999]\nx = 1\n", ["[rules.FL999]", "unknown rule code"]),
        ("[rules.syntax-error]\n", ["[rules.syntax-error]", "unknown rule code"]),
        ("[rules.FL001]\nx = 1\n", ["[rules.FL001]", "unknown option 'x'", "none"]),
        ("[rules.FL096]\nmax-age = 1\n", ["[rules.FL096]", "unknown option 'max-age'", "max-age-days"]),
        ('[rules.FL096]\nmax-age-days = "7"\n', ["[rules.FL096]", "'max-age-days' must be int"]),
        ("[rules.FL096]\nmax-age-days = true\n", ["'max-age-days' must be int"]),
        ("[rules.FL096]\nmax-age-days = 1.5\n", ["'max-age-days' must be int"]),
        ("[rules.FL096]\nstrict = 1\n", ["'strict' must be bool"]),
        ('[rules.FL096]\nratio = "x"\n', ["'ratio' must be float"]),
        ("[rules.FL096]\nlabel = true\n", ["'label' must be str or int"]),
        ("rules = 1\n", ["'rules'", "table"]),
        ("[rules]\nFL096 = 1\n", ["[rules.FL096]", "must be a table"]),
        ("[layout]\npreset = 'x'\n", ["[layout]", "'preset' must be one of", "snowfall"]),
        ("[layout]\nhosts = 'x'\n", ["[layout]", "unknown key 'hosts'", "host-dir"]),
        ("[layout]\nhost-dir = '../x/{host}'\n", ["[layout]", "'host-dir'", "without '..'"]),
        ("[layout]\nhost-dir = 'x/{name}'\n", ["[layout]", "unknown placeholder {name}"]),
        ("[layout]\ncategories = 'desktop'\n", ["[layout]", "'categories' must be a list"]),
        ("layout = 1\n", ["'layout' must be a table"]),
        ("select = [\n", ["not valid TOML"]),
        ('select = ["FL001"\nignore = []\n', ["not valid TOML", "line 2"]),
        ("a = 1\na = 2\n", ["not valid TOML"]),
    ],
)
def test_errors_name_the_file_and_the_key(repo_factory, monkeypatch, text, fragments):
    repo = repo_factory({**DIRTY, "flakelint.toml": text})
    with pytest.raises(ConfigError) as caught:
        run(repo, monkeypatch)
    message = str(caught.value)
    assert message.startswith(str(repo / "flakelint.toml") + ": ")
    for fragment in fragments:
        assert fragment in message
    # Through the CLI: exit 2, one line on stderr, no traceback.
    result = cli(repo, monkeypatch, ".")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("flakelint: error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_not_utf8_config(repo_factory, monkeypatch):
    repo = repo_factory({**DIRTY, "flakelint.toml": b'select = ["\xff"]\n'})
    with pytest.raises(ConfigError, match="not valid TOML"):
        run(repo, monkeypatch)


def test_unreadable_config_directory(repo_factory, monkeypatch):
    repo = repo_factory(DIRTY)
    (repo / "flakelint.toml").mkdir()
    # A directory of that name is not a config file; the dotfile is not there either.
    assert run(repo, monkeypatch) == [("a.nix", "FL001"), ("b.nix", "FL003")]


def test_error_message_is_escaped(repo_factory, monkeypatch):
    repo = repo_factory({**DIRTY, "flakelint.toml": '"evil\\u001b[31m\\nkey" = 1\n'})
    result = cli(repo, monkeypatch, ".")
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr and result.stderr.count("\n") == 1


# --- selection semantics ------------------------------------------------------------------------------------


def enabled(**kwargs) -> set[str]:
    cli_layer = kwargs.pop("cli", None)
    settings = settings_from_mapping(kwargs, "test.toml")
    if cli_layer is not None:
        settings.apply_cli(cli_layer.get("select"), cli_layer.get("extend-select", []), cli_layer.get("ignore", []))
    return set(settings.enabled_codes())


ENGINE = {"FL001", "FL002", "FL003", "FL004"}


def test_default_excludes_info_rules():
    assert enabled() == ENGINE | {"FL096"}
    assert "FL095" not in enabled()


def test_select_all_includes_info_rules():
    assert enabled(select=["ALL"]) == ENGINE | {"FL095", "FL096"}
    assert enabled(select=["FL"]) == ENGINE | {"FL095", "FL096"}


def test_most_specific_selector_wins():
    assert enabled(select=["FL0"], ignore=["FL00"]) == {"FL095", "FL096"}
    assert enabled(select=["FL001"], ignore=["FL0"]) == {"FL001"}
    assert enabled(**{"extend-select": ["FL095"], "ignore": ["FL0"]}) == {"FL095"}
    assert enabled(**{"extend-select": ["FL001"], "ignore": ["FL00"]}) == {"FL001", "FL096"}


def test_ignore_wins_ties():
    assert enabled(select=["FL001"], ignore=["FL001"]) == set()
    assert enabled(**{"extend-select": ["FL09"], "ignore": ["FL09"]}) == ENGINE


def test_select_empty_list_enables_nothing():
    assert enabled(select=[]) == set()


def test_cli_select_starts_afresh():
    assert enabled(select=["FL001"], ignore=["FL003"], cli={"select": ["FL003"]}) == {"FL003"}
    assert enabled(**{"extend-select": ["FL095"]}, cli={"select": ["FL00"]}) == {"FL001", "FL002", "FL003", "FL004"}


def test_cli_adjusts_the_file_layer():
    assert enabled(ignore=["FL003"], cli={"extend-select": ["FL003"]}) == ENGINE | {"FL096"}
    assert enabled(**{"extend-select": ["FL095"]}, cli={"ignore": ["FL0"]}) == set()
    assert enabled(select=["FL001"], cli={"extend-select": ["FL002"]}) == {"FL001", "FL002"}


def test_apply_cli_is_idempotent():
    settings = Settings()
    settings.apply_cli(["FL001"], ["FL002"], ["FL001"])
    settings.apply_cli(["FL001"], ["FL002"], ["FL001"])
    assert settings.enabled_codes() == {"FL002"}


def test_load_settings_none_is_default():
    settings = load_settings(None)
    assert settings.select is None and settings.ignore == [] and settings.source is None


# --- globs -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern,path,matches",
    [
        ("*.nix", "a.nix", True),
        ("*.nix", "x/y/a.nix", True),
        ("*.nix", "a.nixx", False),
        ("/a.nix", "a.nix", True),
        ("/a.nix", "x/a.nix", False),
        ("x/*.nix", "x/a.nix", True),
        ("x/*.nix", "x/y/a.nix", False),
        ("x/*.nix", "z/x/a.nix", False),
        ("x/**/a.nix", "x/a.nix", True),
        ("x/**/a.nix", "x/y/z/a.nix", True),
        ("**/a.nix", "a.nix", True),
        ("x/**", "x/y/z", True),
        ("x/**", "x", False),
        ("x", "x/y/z.nix", True),
        ("x/", "a/x/b.nix", True),
        ("x", "xy/z.nix", False),
        ("a?c.nix", "abc.nix", True),
        ("a?c.nix", "a/c.nix", False),
        ("[ab].nix", "a.nix", True),
        ("[!ab].nix", "c.nix", True),
        ("[!ab].nix", "a.nix", False),
        ("[]].nix", "].nix", True),
        ("[].nix", "[].nix", True),
        ("a[.nix", "a[.nix", True),
        ("100%.nix", "100%.nix", True),
        ("a+b(c).nix", "a+b(c).nix", True),
        ("*.nix", "dir\nname/a.nix", True),
    ],
)
def test_glob_matches(pattern, path, matches):
    assert glob_matches(pattern, path) is matches
