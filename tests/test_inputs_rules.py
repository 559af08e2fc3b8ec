"""FL1xx rules on small repositories: the cases fixtures do not show well."""

from __future__ import annotations

import json

import pytest

from flakelint.engine import Overrides, lint

from conftest import run_flakelint

NOW = 1_764_000_000.0  # 2025-11-24, as in test_fixtures
RECENT = 1_763_500_000


def gh(owner, repo, ref=None, inputs=None, last_modified=RECENT, flake=True):
    node = {
        "locked": {"lastModified": last_modified, "narHash": "sha256-AAAA", "owner": owner, "repo": repo, "rev": "0" * 40, "type": "github"},
        "original": {"owner": owner, "repo": repo, "type": "github", **({"ref": ref} if ref else {})},
    }
    if inputs:
        node["inputs"] = inputs
    if not flake:
        node["flake"] = False
    return node


def lock_text(nodes, root_inputs):
    return json.dumps({"nodes": {**nodes, "root": {"inputs": root_inputs}}, "root": "root", "version": 7}, indent=2, sort_keys=True) + "\n"


NIXPKGS_LOCK = lock_text({"nixpkgs": gh("NixOS", "nixpkgs", "nixos-25.05")}, {"nixpkgs": "nixpkgs"})


def findings(repo, codes, now=NOW):
    result = lint([str(repo)], Overrides(select=codes), now=now)
    return [(d.path, d.start.line, d.code, d.message) for d in result.diagnostics]


# ---------------------------------------------------------------- FL111 flows


def unused(repo_factory, flake: str, files: dict | None = None, lock: str | None = None):
    inputs = {"nixpkgs": gh("NixOS", "nixpkgs", "nixos-25.05"), "extra": gh("alice", "extra")}
    repo = repo_factory({"flake.nix": flake, "flake.lock": lock or lock_text(inputs, {"nixpkgs": "nixpkgs", "extra": "extra"}), **(files or {})})
    return [f[3].split("`")[1] for f in findings(repo, ["FL111"])]


FLAKE_HEAD = '''{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  inputs.extra.url = "github:alice/extra";
'''


@pytest.mark.parametrize(
    "outputs, files",
    [
        # used through the @-alias in flake.nix
        ("outputs = { nixpkgs, ... }@inputs: { x = inputs.extra.lib; };", {}),
        # the single parameter, no formals
        ("outputs = inputs: { x = inputs.extra.lib; };", {}),
        # passed to a file, which receives it under another name
        ("outputs = inputs: import ./outputs.nix inputs;", {"outputs.nix": "flakeInputs: { x = flakeInputs.extra.lib; }\n"}),
        # outputs itself is a file
        ("outputs = import ./outputs.nix;", {"outputs.nix": "{ self, nixpkgs, ... }@all: { x = all.extra.lib; }\n"}),
        # a let-bound carrier of specialArgs
        (
            "outputs = { nixpkgs, ... }@inputs: let specialArgs = { inherit inputs; }; in { nixosConfigurations.a = nixpkgs.lib.nixosSystem { inherit specialArgs; modules = [ ./m.nix ]; }; };",
            {"m.nix": "{ inputs, ... }: { imports = [ inputs.extra.nixosModules.default ]; }\n"},
        ),
        # a renamed module argument
        (
            "outputs = { nixpkgs, ... }@inputs: { nixosConfigurations.a = nixpkgs.lib.nixosSystem { specialArgs.flake-inputs = inputs; modules = [ ./m.nix ]; }; };",
            {"m.nix": "{ flake-inputs, ... }: { imports = [ flake-inputs.extra.nixosModules.default ]; }\n"},
        ),
        # home-manager's extraSpecialArgs inside a module
        (
            "outputs = { nixpkgs, ... }@inputs: { nixosConfigurations.a = nixpkgs.lib.nixosSystem { specialArgs = { inherit inputs; }; modules = [ ./m.nix ]; }; };",
            {
                "m.nix": "{ inputs, ... }: { home-manager.extraSpecialArgs = { inherit inputs; }; home-manager.users.alice = ./home.nix; }\n",
                "home.nix": "{ inputs, ... }: { imports = [ inputs.extra.homeModules.default ]; }\n",
            },
        ),
        # a helper that returns the set, called for specialArgs
        (
            "outputs = { nixpkgs, ... }@inputs: let args = system: inputs // { inherit system; }; in { nixosConfigurations.a = nixpkgs.lib.nixosSystem { specialArgs = args \"x86_64-linux\"; modules = [ ./m.nix ]; }; };",
            {"m.nix": "{ extra, ... }: { imports = [ extra.nixosModules.default ]; }\n"},
        ),
        # _module.args
        (
            "outputs = { nixpkgs, ... }@inputs: { nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ { _module.args = { inherit inputs; }; } ./m.nix ]; }; };",
            {"m.nix": "{ inputs, ... }: { environment.etc.x.source = inputs.extra; }\n"},
        ),
        # a follows target
        ('inputs.nixpkgs.inputs.whatever.follows = "extra"; outputs = { nixpkgs, ... }: { };', {}),
        # `with`
        ("outputs = inputs: with inputs; { x = extra.lib; y = nixpkgs.lib; };", {}),
    ],
)
def test_uses_are_found(repo_factory, outputs, files):
    flake = FLAKE_HEAD + "  " + outputs + "\n}\n"
    assert "extra" not in unused(repo_factory, flake, files)


@pytest.mark.parametrize(
    "outputs, files",
    [
        # registry pinning: every input is used, but flakelint cannot name them
        ("outputs = { nixpkgs, ... }@inputs: { nixosModules.r = { nix.registry = nixpkgs.lib.mapAttrs (_: flake: { inherit flake; }) inputs; }; };", {}),
        ("outputs = inputs: { x = builtins.attrValues inputs; };", {}),
        ('outputs = inputs: { x = inputs.${"ex" + "tra"}; };', {}),
        # snowfall-lib and other frameworks do what they like with the inputs
        ("outputs = inputs: inputs.nixpkgs.lib.mkFlake { inherit inputs; src = ./.; };", {}),
        # handed to a module outside the flake
        (
            "outputs = { nixpkgs, ... }@inputs: { nixosConfigurations.a = nixpkgs.lib.nixosSystem { specialArgs = { inherit inputs; }; modules = [ /etc/nixos/configuration.nix ]; }; };",
            {},
        ),
        # a file of the flake cannot be parsed
        ("outputs = { nixpkgs, ... }@inputs: { nixosModules.a = import ./m.nix; };", {"m.nix": "{ inputs, ... }: { imports = [ inputs.extra. ]; }\n"}),
    ],
)
def test_silent_when_the_inputs_go_where_flakelint_cannot_see(repo_factory, outputs, files):
    flake = FLAKE_HEAD + "  " + outputs + "\n}\n"
    assert unused(repo_factory, flake, files) == []


def test_an_unused_input_is_reported(repo_factory):
    flake = FLAKE_HEAD + "  outputs = { nixpkgs, extra, ... }: { packages.x86_64-linux.default = nixpkgs.legacyPackages.x86_64-linux.hello; };\n}\n"
    assert unused(repo_factory, flake) == ["extra"]


def test_flake_parts_uses_nixpkgs_itself(repo_factory):
    flake = '''{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  inputs.flake-parts.url = "github:hercules-ci/flake-parts";
  inputs.extra.url = "github:alice/extra";
  outputs = inputs@{ flake-parts, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } {
      systems = [ "x86_64-linux" ];
      perSystem = { pkgs, ... }: { packages.default = pkgs.hello; };
    };
}
'''
    nodes = {"nixpkgs": gh("NixOS", "nixpkgs", "nixos-25.05"), "flake-parts": gh("hercules-ci", "flake-parts"), "extra": gh("alice", "extra")}
    lock = lock_text(nodes, {k: k for k in nodes})
    assert unused(repo_factory, flake, lock=lock) == ["extra"]


# ---------------------------------------------------------------- other rules


def test_lock_findings_carry_the_lock_line_as_snippet(repo_factory):
    nodes = {"nixpkgs": gh("NixOS", "nixpkgs", "nixos-25.05"), "gone": gh("alice", "gone")}
    repo = repo_factory({
        "flake.nix": '{\n  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";\n  outputs = { nixpkgs, ... }: { };\n}\n',
        "flake.lock": lock_text(nodes, {"nixpkgs": "nixpkgs", "gone": "gone"}),
    })
    result = lint([str(repo)], Overrides(select=["FL103"]), now=NOW)
    [finding] = result.diagnostics
    assert finding.path.endswith("flake.lock") and '"gone": "gone"' in finding.snippet


def test_an_invalid_lock_silences_the_rules_that_need_it(repo_factory):
    repo = repo_factory({
        "flake.nix": '{\n  inputs.nixpkgs.url = "nixpkgs";\n  inputs.extra.url = "github:alice/extra";\n  outputs = { nixpkgs, ... }: { };\n}\n',
        "flake.lock": '{ "nodes": { "root": { "inputs": { "nixpkgs": "nope" } } }, "root": "root", "version": 7 }\n',
    })
    codes = sorted({f[2] for f in findings(repo, ["FL1"])})
    assert codes == ["FL104", "FL111", "FL115"]


def test_outside_git_only_presence_counts(repo_factory):
    repo = repo_factory({"flake.nix": '{\n  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";\n  outputs = { nixpkgs, ... }: { x = nixpkgs; };\n}\n', "flake.lock": NIXPKGS_LOCK}, use_git=False)
    assert findings(repo, ["FL101"]) == []


def test_outdated_follows_the_now_option(repo_factory):
    repo = repo_factory({"flake.nix": '{\n  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";\n  outputs = { nixpkgs, ... }: { x = nixpkgs; };\n}\n', "flake.lock": NIXPKGS_LOCK})
    assert findings(repo, ["FL108"]) == []
    later = findings(repo, ["FL108"], now=RECENT + 40 * 86400)
    assert [f[2] for f in later] == ["FL108"] and "40 days old" in later[0][3]
    process = run_flakelint("--select", "FL108", "--output-format", "concise", str(repo), env={"SOURCE_DATE_EPOCH": str(RECENT + 40 * 86400)})
    assert "FL108" in process.stdout


def test_unsupported_branch_follows_the_calendar(repo_factory):
    repo = repo_factory({"flake.nix": '{\n  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";\n  outputs = { nixpkgs, ... }: { x = nixpkgs; };\n}\n', "flake.lock": NIXPKGS_LOCK})
    assert findings(repo, ["FL109"]) == []
    january = findings(repo, ["FL109"], now=1_767_400_000)  # 2026-01-03
    assert [f[2] for f in january] == ["FL109"] and "2025-12-31" in january[0][3]


def test_missing_follows_names_the_fix(repo_factory):
    nodes = {
        "nixpkgs": gh("NixOS", "nixpkgs", "nixos-unstable"),
        "nixpkgs_2": gh("NixOS", "nixpkgs", "nixpkgs-unstable"),
        "tool": gh("alice", "tool", inputs={"nixpkgs": "nixpkgs_2"}),
    }
    repo = repo_factory({
        "flake.nix": '{\n  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";\n  inputs.tool.url = "github:alice/tool";\n  outputs = { nixpkgs, tool, ... }: { x = [ nixpkgs tool ]; };\n}\n',
        "flake.lock": lock_text(nodes, {"nixpkgs": "nixpkgs", "tool": "tool"}),
    })
    result = lint([str(repo)], Overrides(select=["FL106"]), now=NOW)
    [finding] = result.diagnostics
    assert finding.start.line == 3 and "`nixpkgs`" in finding.message
    assert 'inputs.tool.inputs.nixpkgs.follows = "nixpkgs"' in finding.hint


def test_hostile_flake_nix_never_crashes(repo_factory):
    deep = "{ inputs = " + "{ a = " * 3000 + "1" + "; }" * 3000 + "; outputs = _: { }; }\n"
    repo = repo_factory({"flake.nix": deep, "flake.lock": NIXPKGS_LOCK})
    assert not [f for f in findings(repo, ["FL1", "FL004"]) if f[2] == "FL004"]


# ---------------------------------------------------------------- the fixtures, across the family

from conftest import FIXTURES, copy_fixture  # noqa: E402

GOOD_FL1 = sorted(p for p in FIXTURES.glob("FL1*/good*") if p.is_dir())


@pytest.mark.parametrize("case", GOOD_FL1, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_good_fl1_fixtures_are_clean_for_the_whole_family(case, tmp_path, monkeypatch):
    """A clean repository for one FL1xx rule is clean for all of them (fixtures select only their own rule)."""
    repo = copy_fixture(case, tmp_path / "repo")
    monkeypatch.chdir(repo)
    result = lint(["."], Overrides(select=["FL1", "FL004"]), now=NOW)
    assert [f"{d.path}:{d.start.line}: {d.code} {d.message}" for d in result.diagnostics] == []


def test_inputs_used_from_scripts_count(repo_factory):
    flake = FLAKE_HEAD + "  outputs = { nixpkgs, ... }: { packages.x86_64-linux.default = nixpkgs.legacyPackages.x86_64-linux.hello; };\n}\n"
    assert unused(repo_factory, flake) == ["extra"]
    assert unused(repo_factory, flake, {".github/workflows/ci.yml": "steps:\n  - run: nix run --inputs-from . extra#checker -- --strict\n"}) == []
