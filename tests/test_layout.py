"""Layout presets, auto-detection, ``[layout]``, and where the chosen preset is reported.

The rules themselves are pinned down by the FL3xx fixtures; these tests pin
the part every layout rule depends on: which convention a repository is
taken to follow. A wrong guess would turn a whole repository into findings,
so the repositories that must get *no* layout are as important as the ones
that must be recognised.
"""

from __future__ import annotations

import json
import tomllib

import jsonschema
import pytest

from flakelint.config import ConfigError, settings_from_mapping
from flakelint.layout import PRESETS, choose, detect, parse_layout_table

from conftest import SARIF_SCHEMA, make_repo, run_flakelint

NIX = "{ ... }: { }\n"


def flake_with_input(url: str, call: str) -> bytes:
    return f'{{ inputs.fw.url = "{url}"; outputs = inputs: {call}; }}'.encode()


@pytest.mark.parametrize(
    "files, preset",
    [
        (["hosts/a/configuration.nix", "hosts/a/hardware-configuration.nix", "home/u/home.nix"], "seed"),
        (["hosts/a/configuration.nix", "modules/services/x.nix", "modules/desktop/y.nix"], "seed"),
        (["nixos/configuration.nix", "home-manager/home.nix", "modules/nixos/default.nix"], "starter"),
        # hosts/<h>/default.nix and modules/nixos/: another convention
        (["hosts/a/default.nix", "modules/nixos/x.nix", "home/u/home.nix"], "none"),
        # modules sorted by system, not by the seed categories
        (["hosts/a/configuration.nix", "modules/system/x.nix", "modules/user/y.nix", "modules/themes/z.nix"], "none"),
        # hosts alone are not enough evidence
        (["hosts/a/configuration.nix", "lib/default.nix"], "none"),
        # homes not written as home/<u>/home.nix
        (["hosts/a/configuration.nix", "modules/services/x.nix", "home/u/default.nix", "home/v/default.nix"], "none"),
        (["machines/a/default.nix", "flake.nix"], "none"),
        ([], "none"),
    ],
)
def test_detection_by_directories(files, preset):
    assert detect(files, b"{ outputs = _: { }; }").name == preset


@pytest.mark.parametrize(
    "text, preset, prefix",
    [
        (flake_with_input("github:snowfallorg/lib", "inputs.fw.mkFlake { inherit inputs; src = ./.; }"), "snowfall", ""),
        (
            flake_with_input("github:snowfallorg/lib", "inputs.fw.mkFlake { inherit inputs; src = ./.; snowfall.root = ./nix; }"),
            "snowfall",
            "nix",
        ),
        (flake_with_input("github:numtide/blueprint", "inputs.blueprint { inherit inputs; }"), "blueprint", ""),
        (flake_with_input("github:numtide/blueprint", 'inputs.blueprint { inherit inputs; prefix = "nix/"; }'), "blueprint", "nix"),
        (flake_with_input("github:srid/nixos-unified", "inputs.nixos-unified.lib.mkFlake { inherit inputs; root = ./.; }"), "nixos-unified", ""),
        (flake_with_input("github:ehllie/ez-configs", "{ ezConfigs.root = ./.; }"), "ez-configs", ""),
    ],
)
def test_detection_by_framework(text, preset, prefix):
    choice = detect(["flake.nix"], text)
    assert choice.name == preset
    assert choice.layout.prefix == prefix


@pytest.mark.parametrize(
    "text",
    [
        # frameworks whose layout flakelint does not check
        flake_with_input("git+https://git.clan.lol/clan/clan-core", "inputs.fw.lib.buildClan { }"),
        flake_with_input("github:nix-community/haumea", "{ }"),
        flake_with_input("github:vic/import-tree", "{ }"),
        flake_with_input("github:divnix/std", "{ }"),
        # a framework told to load from a computed directory
        flake_with_input("github:numtide/blueprint", "inputs.blueprint { inherit inputs; prefix = builtins.getEnv \"X\"; }"),
        flake_with_input("github:ehllie/ez-configs", "{ ezConfigs.nixos.configurationsDirectory = ./machines; }"),
    ],
)
def test_unknown_frameworks_get_no_layout(text):
    # even with a perfect seed tree beside them
    files = ["hosts/a/configuration.nix", "home/u/home.nix", "modules/services/x.nix"]
    assert detect(files, text).layout is None


def test_config_table_overrides_and_round_trips():
    table = parse_layout_table({"preset": "seed", "categories": ["services", "gaming"], "host-dir": "machines/{host}"}, "f")
    choice = choose([], None, table)
    assert choice.layout.categories == ("services", "gaming")
    assert choice.layout.host_dir == "machines/{host}"
    assert choice.layout.host_of("machines/box/x.nix") == ("box", "machines/box")
    # `flakelint init` prints TOML that reads back to the same layout
    printed = tomllib.loads(choice.layout.as_toml())
    assert choose([], None, parse_layout_table(printed["layout"], "f")).layout == choice.layout
    # preset = "none" turns the rules off, whatever the tree looks like
    assert choose(["hosts/a/configuration.nix", "home/u/home.nix"], None, {"preset": "none"}).layout is None
    # a setting without a preset adjusts what was detected (or the seed layout)
    assert choose([], None, {"preset": "auto", "packages_dir": "packages"}).layout.packages_dir == "packages"


def test_settings_keep_the_table_as_plain_data():
    settings = settings_from_mapping({"layout": {"extra-dirs": ["parts"]}}, "f")
    assert json.dumps(settings.layout)  # the cache key hashes it
    with pytest.raises(ConfigError, match="unknown key 'dirs'"):
        settings_from_mapping({"layout": {"dirs": []}}, "f")


def test_snowfall_home_names_map_to_users():
    layout = PRESETS["snowfall"]
    assert layout.home_of("homes/x86_64-linux/alice@laptop/default.nix") == ("alice", "homes/x86_64-linux/alice@laptop")
    assert layout.host_of("systems/aarch64-darwin/mac/default.nix") == ("mac", "systems/aarch64-darwin/mac")


SEED = {
    "flake.nix": '{ inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05"; outputs = { nixpkgs, ... }: '
    "{ nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ ./hosts/a/configuration.nix ]; }; }; }\n",
    "hosts/a/configuration.nix": "{ ... }: { imports = [ ../../modules/services/x.nix ]; }\n",
    "modules/services/x.nix": NIX,
    "stray.nix": NIX,
}


def test_full_header_and_sarif_properties_name_the_preset(tmp_path):
    repo = make_repo(tmp_path / "r", SEED)
    full = run_flakelint("--output-format", "full", "--select", "FL306", str(repo))
    assert full.returncode == 1
    assert full.stdout.splitlines()[0].startswith("layout: seed (hosts/<host>/configuration.nix")
    assert "FL306" in full.stdout
    sarif = run_flakelint("--output-format", "sarif", "--select", "FL306", str(repo))
    log = json.loads(sarif.stdout)
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))).validate(log)
    properties = log["runs"][0]["properties"]
    assert properties["layout"] == "seed"
    assert properties["layouts"][0]["flake"] == "."
    graph = json.loads(run_flakelint("graph", "--format", "json", str(repo)).stdout)
    assert graph["layout"]["preset"] == "seed"


def test_unknown_layout_is_reported_as_none_and_rules_stay_silent(tmp_path):
    files = {**SEED, "hosts/a/default.nix": NIX, "hosts/b/default.nix": NIX, "hosts/c/default.nix": NIX}
    files["modules/nixos/y.nix"] = files["modules/gaming/z.nix"] = NIX
    repo = make_repo(tmp_path / "r", files)
    result = run_flakelint("--output-format", "full", "--select", "FL3", str(repo))
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("layout: none (")


def test_init_prints_a_table_and_writes_nothing(tmp_path):
    repo = make_repo(tmp_path / "r", SEED)
    before = sorted(p.relative_to(repo) for p in repo.rglob("*"))
    result = run_flakelint("init", str(repo))
    assert result.returncode == 0
    assert "# Detected: seed" in result.stdout
    table = tomllib.loads(result.stdout)["layout"]
    assert table["preset"] == "seed" and table["host-dir"] == "hosts/{host}"
    assert sorted(p.relative_to(repo) for p in repo.rglob("*")) == before
    bare = make_repo(tmp_path / "bare", {"flake.nix": "{ outputs = _: { }; }\n", "machines/x/default.nix": NIX})
    unknown = run_flakelint("init", str(bare))
    assert "# Detected: none" in unknown.stdout
    assert tomllib.loads(unknown.stdout) == {}  # the seed table is offered commented out
