"""The import graph: path facts, reach, contexts, `flakelint graph`, and the library API."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

import flakelint
from flakelint.facts import file_facts
from flakelint.parse import parse_source

from conftest import REPO_ROOT, run_flakelint

SEED = REPO_ROOT / "examples" / "seed"


def refs_of(text: str, path: str = "hosts/laptop/configuration.nix"):
    return file_facts(parse_source(text.encode(), path)).refs


def test_path_forms_resolve_relative_to_the_file():
    refs = refs_of(
        '{ self, ... }: { imports = [ ./a.nix ../b (./. + "/c.nix") fonts/default.nix ]; x = self + "/lib"; y = "${self}/pkgs"; }'
    )
    assert [(r.kind, r.target, r.usage) for r in refs] == [
        ("exact", "hosts/laptop/a.nix", "imports"),
        ("exact", "hosts/b", "imports"),
        ("exact", "hosts/laptop/c.nix", "imports"),
        ("exact", "hosts/laptop/fonts/default.nix", "imports"),
        ("exact", "lib", "value"),
        ("exact", "pkgs", "value"),
    ]


def test_interpolated_paths_become_patterns_and_unknown_suffixes_reach_below():
    refs = refs_of('name: { a = ./hosts/${name}/configuration.nix; b = ./. + someVar; c = ./modules + "/${name}.nix"; }', "flake.nix")
    assert [(r.kind, r.target) for r in refs] == [
        ("pattern", "hosts/*/configuration.nix"),
        ("pattern", "**"),
        ("pattern", "modules/*.nix"),
    ]


def test_paths_outside_the_root_and_absolute_paths_are_classified():
    refs = refs_of("{ a = ../../../x.nix; b = /etc/nixos/y.nix; c = <nixpkgs>; d = ~/z.nix; }")
    assert [(r.kind, r.target) for r in refs] == [("outside", "../x.nix"), ("absolute", "/etc/nixos/y.nix")]


def test_usages():
    text = """{ pkgs, lib, inputs, ... }: {
      a = import ./a.nix { };
      b = pkgs.callPackage ./b { };
      c = builtins.readDir ./c;
      d = inputs.import-tree ./d;
      e = pkgs.stdenv.mkDerivation { src = ./e; };
      f = builtins.readFile ./f.txt;
      g = if builtins.pathExists ./g.nix then 1 else 2;
      h = lib.mkOption { example = ./h.nix; };
      home-manager.users.alice = ./home.nix;
      imports = [ (import ./i.nix) ];
    }"""
    usages = {r.target.rsplit("/", 1)[-1]: (r.usage, r.anonymous) for r in refs_of(text, "x.nix")}
    assert usages == {
        "a.nix": ("import", False),
        "b": ("callPackage", False),
        "c": ("value", False),
        "d": ("tree", False),
        "e": ("src", False),
        "f.txt": ("read", False),
        "g.nix": ("guard", False),
        "h.nix": ("doc", False),
        "home.nix": ("home-module", False),
        "i.nix": ("import", True),
    }


def test_module_lists_joined_with_plus_plus_share_one_group():
    refs = refs_of("{ lib, ... }: { imports = [ ./a.nix ] ++ lib.optionals true [ ./b.nix ]; }")
    assert len({r.group for r in refs}) == 1 and refs[0].group is not None


def test_deeply_nested_file_is_analysed_without_recursion_error():
    text = "{ imports = [ ./a.nix ]; x = " + "[" * 20000 + "]" * 20000 + "; }"
    assert [r.target for r in refs_of(text, "x.nix")] == ["a.nix"]


def test_load_repo_api_on_the_bundled_example():
    repo = flakelint.load_repo(str(SEED))
    graph = repo.graph
    assert graph.roots == ["flake.nix"]
    assert set(graph.nodes) == {p for p in repo.sources}
    assert graph.nodes["hosts/laptop/configuration.nix"] == {"nixos"}
    assert graph.nodes["home/alice/home.nix"] == {"home-manager"}
    assert graph.nodes["pkgs/hello/default.nix"] == {"package"}
    targets = {e.target for e in graph.edges if e.source == "hosts/laptop/configuration.nix"}
    assert "modules/desktop/gnome.nix" in targets and "home/alice/home.nix" in targets


def test_contexts_inside_home_manager_users_of_a_nixos_module(repo_factory):
    repo_dir = repo_factory(
        {
            "flake.nix": "{ outputs = { nixpkgs, ... }: { nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ ./host.nix ]; }; }; }",
            "host.nix": "{ ... }: { imports = [ ./common.nix ]; home-manager.users.alice = { imports = [ ./alice.nix ]; }; }",
            "common.nix": "{ ... }: { }",
            "alice.nix": "{ ... }: { home.stateVersion = \"25.05\"; }",
        }
    )
    graph = flakelint.load_repo(str(repo_dir)).graph
    assert graph.nodes["common.nix"] == {"nixos"}
    assert graph.nodes["alice.nix"] == {"home-manager"}


def test_graph_json_is_documented_shape():
    result = run_flakelint("graph", str(SEED), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["version"] == 1 and data["roots"] == ["flake.nix"]
    assert data["reached"] == data["files"] == 14 and data["unreached"] == 0
    node = next(n for n in data["nodes"] if n["path"] == "hosts/laptop/configuration.nix")
    assert node == {"path": "hosts/laptop/configuration.nix", "contexts": ["nixos"], "root": False, "orphan": False}
    assert {"source": "flake.nix", "target": "hosts/laptop/configuration.nix", "kind": "modules", "line": 27} in data["edges"]


def test_graph_marks_orphans(repo_factory):
    repo_dir = repo_factory({"flake.nix": "{ outputs = _: { nixosModules.a = ./a.nix; }; }", "a.nix": "{ }", "old.nix": "{ }"})
    data = json.loads(run_flakelint("graph", str(repo_dir), "--format", "json").stdout)
    assert [n["path"] for n in data["nodes"] if n["orphan"]] == ["old.nix"]


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")
def test_graph_dot_renders_with_graphviz():
    result = run_flakelint("graph", str(SEED), "--format", "dot")
    assert result.returncode == 0
    rendered = subprocess.run(["dot", "-Tsvg"], input=result.stdout, capture_output=True, text=True, timeout=60)
    assert rendered.returncode == 0, rendered.stderr
    assert "hosts/laptop/configuration.nix" in rendered.stdout


def test_graph_dot_and_mermaid_escape_hostile_names(repo_factory):
    name = 'we"ird] --> x{y}.nix'
    repo_dir = repo_factory({"flake.nix": "{ outputs = _: { nixosModules.a = ./a.nix; }; }", "a.nix": "{ }", name: "{ }"})
    dot = run_flakelint("graph", str(repo_dir), "--format", "dot").stdout
    assert 'label="we\\"ird] --> x{y}.nix"' in dot
    mermaid = run_flakelint("graph", str(repo_dir), "--format", "mermaid").stdout
    assert "#quot;" in mermaid and '"we"' not in mermaid
    if shutil.which("dot"):
        assert subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True).returncode == 0


def test_graph_mermaid_is_a_fenced_flowchart():
    text = run_flakelint("graph", str(SEED), "--format", "mermaid").stdout
    lines = text.splitlines()
    assert lines[0] == "```mermaid" and lines[1] == "flowchart LR" and lines[-1] == "```"
    node = re.compile(r'^\s+n\d+\["[^"]*"\]$')
    edge = re.compile(r"^\s+n\d+ -->\|[^|]+\| n\d+$")
    other = re.compile(r"^\s+(subgraph g\d+\[\"[^\"]*\"\]|end|classDef .*|class [n\d,]+ \w+)$")
    for line in lines[2:-1]:
        assert node.match(line) or edge.match(line) or other.match(line), line


def test_path_refs_are_built_exactly_like_the_dataclass():
    """facts builds PathRef instances without __init__ (speed): every field, in order, equal and pickled alike."""
    import dataclasses
    import pickle

    from flakelint.facts import PathRef

    source = parse_source(
        b'{ inputs, ... }: { imports = [ ./a.nix (import ./b.nix) "${./c}/d.nix" ] ++ [ (inputs.self + "/e.nix") ]; x = builtins.readFile ./f.txt; }\n',
        "hosts/box/default.nix",
    )
    refs = file_facts(source).refs
    assert len(refs) >= 5
    names = [field.name for field in dataclasses.fields(PathRef)]
    for ref in refs:
        assert list(vars(ref)) == names
        rebuilt = PathRef(**{name: getattr(ref, name) for name in names})
        assert rebuilt == ref and hash(rebuilt) == hash(ref)
        assert pickle.loads(pickle.dumps(ref)) == ref
