"""FL401-FL407 read per-file summaries: the repository stage needs no tree of theirs.

A flake with a finding of every FL40x rule, plus enough files for the
per-file stage to run in worker processes: the findings are the same with
and without workers, the main process parses none of those files again, and
what the workers send back is small plain data.
"""

from __future__ import annotations

import pickle

import pytest

from conftest import make_repo
from flakelint.engine import Overrides, lint
from flakelint.parse import parse_source
from flakelint.pool import MIN_FILES

NOW = 1_763_600_000.0

FILES = {
    "flake.nix": """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";
  outputs = inputs@{ self, nixpkgs, home-manager, ... }: {
    overlays.default = self: super: { };
    nixosConfigurations.box = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      specialArgs = { inherit inputs; };
      modules = [ ./configuration.nix home-manager.nixosModules.home-manager ];
    };
  };
}
""",
    "configuration.nix": """{ inputs, ... }:
let
  other = import inputs.nixpkgs { config.allowUnfree = true; };
in
{
  imports = [ ./overlays/module.nix ];
  nixpkgs.overlays = [
    (final: { a = 1; })
    (final: prev: { hello = final.hello.override { }; })
  ];
  home-manager.useGlobalPkgs = true;
  home-manager.users.alice = ./home.nix;
  environment.systemPackages = [ other.hello ];
}
""",
    "home.nix": "{ ... }:\n{\n  nixpkgs.config.allowUnfree = true;\n  home.stateVersion = \"25.05\";\n}\n",
    "overlays/forgotten.nix": "final: prev: { }\n",
    "overlays/onearg.nix": "final: { x = 1; }\n",
    # The same text, but imported as a NixOS module: not an overlay file.
    "overlays/module.nix": "final: { x = 1; }\n",
}

CODES = ["FL401", "FL402", "FL403", "FL404", "FL405", "FL406", "FL407"]


@pytest.fixture(scope="module")
def flake(tmp_path_factory):
    files = dict(FILES)
    files.update({f"filler/m{i}.nix": "{ ... }: { }\n" for i in range(MIN_FILES)})
    return make_repo(tmp_path_factory.mktemp("overlays") / "flake", files)


def findings(result):
    return [(d.code, d.path.rsplit("/flake/", 1)[-1], d.start.line, d.start.column, d.end, d.message, d.hint, d.level) for d in result.diagnostics]


@pytest.fixture(scope="module")
def pooled(flake):
    return lint([str(flake)], Overrides(jobs=2, select=CODES), now=NOW, keep_repos=True, use_cache=False)


def test_every_rule_fires_and_workers_change_nothing(flake, pooled):
    serial = lint([str(flake)], Overrides(jobs=1, select=CODES), now=NOW, use_cache=False)
    assert findings(pooled) == findings(serial)
    assert {code for code, *_ in findings(pooled)} == set(CODES)


def test_the_file_site_follows_the_import_graph(pooled):
    paths = {(code, path) for code, path, *_ in findings(pooled)}
    assert ("FL401", "overlays/onearg.nix") in paths
    assert not any(path == "overlays/module.nix" for _, path in paths)
    assert ("FL404", "overlays/forgotten.nix") in paths


def test_the_main_process_parses_none_of_their_files(pooled):
    sources = pooled.repos[0].sources
    assert set(sources.parsed_paths()) <= {"flake.nix"}


def test_summaries_are_small_plain_data(pooled):
    summaries = pooled.repos[0].summaries
    assert set(CODES) <= set(summaries)
    for code in CODES:
        for path, summary in summaries.get(code, {}).items():
            assert _plain(summary), (code, path, summary)
            assert pickle.loads(pickle.dumps(summary)) == summary
    # Most files say nothing about overlays: no summary worth a pickle.
    assert all(summaries["FL401"][f"filler/m{i}.nix"] is None for i in range(10))


def _plain(value) -> bool:
    if isinstance(value, tuple):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, (str, int, bool))


@pytest.mark.parametrize(
    "text,names",
    [
        ("{ nixpkgs.overlays = [ ]; x = 1; }", ["nixpkgs.overlays"]),
        ('{ nixpkgs = { "overlays" = [ ]; config = { }; }; }', ['"overlays"']),
        ("{ flake = { overlays = { a = final: prev: { }; }; }; }", ["overlays"]),
        ("{ my-overlay = 1; other = overlay; inherit overlay; }", ["my-overlay"]),
        ("# overlay\n{ x = \"overlay\"; }", []),
    ],
)
def test_named_bindings(text, names):
    from flakelint.overlays import named_bindings

    source = parse_source(text.encode(), "x.nix")
    found = named_bindings(source, b"overlay")
    assert [source.text(b.child_by_field_name("attrpath")) for b in found] == names


def test_nested_overlay_outputs_of_a_module_are_found():
    from flakelint.overlays import file_sites

    source = parse_source(b"{ flake = { overlays = { a = final: prev: { }; b = final: { }; }; }; }", "parts/overlays.nix")
    assert [(site.where, site.name) for site in file_sites(source)] == [("output", "a"), ("output", "b")]


def test_nixpkgs_imports_are_found_once_per_file():
    from flakelint.overlays import nixpkgs_imports

    source = parse_source(b"{ a = import inputs.nixpkgs-unstable { }; b = (import nixpkgs) { }; c = lib.id (builtins.import nixpkgs { }); }", "x.nix")
    assert [call.target for call in nixpkgs_imports(source)] == ["inputs.nixpkgs-unstable", "nixpkgs", "nixpkgs"]
    assert [call.target for call in nixpkgs_imports(source, set())] == ["nixpkgs", "nixpkgs"]
    assert nixpkgs_imports(source) is not nixpkgs_imports(source)  # callers get their own list
