"""The overlay model (flakelint.overlays) and the FL4xx rules on small, focused repositories."""

from __future__ import annotations

import pytest

from flakelint.engine import Overrides, lint
from flakelint.parse import parse_source
from flakelint.overlays import file_sites, nixpkgs_imports, overlay_references, overlay_shape, strip

from conftest import make_repo

NOW = 1_764_000_000.0


def parse(text: str):
    from flakelint.parse import nix_language
    import tree_sitter

    tree = tree_sitter.Parser(nix_language()).parse(text.encode())
    return text.encode(), tree.root_node.child_by_field_name("expression")


class FakeSource:
    def __init__(self, text: str, path: str = "x.nix"):
        self.data, expression = parse(text)
        self.root_node = expression.parent
        self.path = path
        self.derived = {}

    def captures(self, pattern: str) -> dict[str, list]:
        from flakelint import nixast

        return nixast.captures(pattern, self.root_node)


@pytest.mark.parametrize(
    "text,kind",
    [
        ("final: prev: { }", "overlay"),
        ("(self: super: with super; { a = 1; })", "overlay"),
        ("_: prev: let x = 1; in { }", "overlay"),
        ("final: { }", "one-arg"),
        ("final: let x = 1; in with x; { }", "one-arg"),
        ("{ pkgs, ... }: { }", "formals"),
        ("{ a = 1; }", "attrset"),
        ("inputs: final: prev: { }", "wrapper"),
        ("final: prev.foo", "unknown"),
        ("import ./x.nix", "unknown"),
        ("final: { a, b }: { }", "unknown"),
    ],
)
def test_overlay_shape(text, kind):
    data, node = parse(text)
    assert overlay_shape(data, node).kind == kind


def test_overlay_shape_names_the_arguments():
    data, node = parse("f: p: { }")
    shape = overlay_shape(data, node)
    assert (shape.final, shape.prev) == ("f", "p")
    assert strip(shape.body).type == "attrset_expression"


def test_overlay_references():
    names, whole = overlay_references(FakeSource("[ self.overlays.default inputs.self.overlays.extra ]"))
    assert names == {"default", "extra"} and not whole
    assert overlay_references(FakeSource("builtins.attrValues self.overlays"))[1]
    assert overlay_references(FakeSource("self.overlays.${name}"))[1]
    assert overlay_references(FakeSource("{ inherit (self) overlays; }"))[1]


def test_nixpkgs_imports_need_a_declared_input():
    source = FakeSource("[ (import inputs.nixpkgs-unstable { }) (import nixpkgsPath { }) (import nixpkgs { system = 1; }) ]")
    assert sorted(c.input for c in nixpkgs_imports(source)) == ["nixpkgs", "nixpkgs-unstable", "nixpkgsPath"]
    assert sorted(c.input for c in nixpkgs_imports(source, {"nixpkgs-unstable"})) == ["nixpkgs", "nixpkgs-unstable"]


def run(tmp_path, files: dict[str, str], code: str):
    repo = make_repo(tmp_path / "repo", files)
    result = lint([str(repo)], Overrides(select=["FL001", code]), now=NOW)
    return [(d.path.rsplit("/repo/", 1)[-1], d.start.line, d.code) for d in result.diagnostics]


def module(overlay: str) -> dict[str, str]:
    return {"default.nix": "{ ... }:\n{\n  nixpkgs.overlays = [\n" + overlay + "\n  ];\n}\n"}


@pytest.mark.parametrize(
    "overlay,fires",
    [
        ("(final: prev: { x = final.x; })", True),
        ("(self: super: { x = self.x.override { }; })", True),
        ("(f: p: { x = let y = f.x; in y; })", True),
        ("(f: p: { x = { nested.deep = f.x.y; }; })", True),
        ("(final: prev: { x = prev.x.overrideAttrs (o: { passthru.t = final.x.tests; }); })", True),
        ("(final: prev: { inherit (final) x; })", True),
        ("(final: prev: { x = prev.x; })", False),
        ("(final: prev: { x = final.y; })", False),
        ("(_: prev: { x = prev.x; })", False),
        ("(f: p: { x = p.x.overrideAttrs (f: o: { v = f.x; }); })", False),
        ("(final: prev: { x = prev.x.override { self = final.x; }; })", False),
        ("(final: prev: { x = (final: final.x) 1; })", False),
        ("(self: super: { x = super.x; y = self.x; })", False),
        ("(final: prev: { x = prev.x // { a = final.x.b; }; })", False),
        ("(final: prev: { x = prev.x // { a = final.x; }; })", True),
    ],
)
def test_self_reference(tmp_path, overlay, fires):
    found = run(tmp_path, module(overlay), "FL402")
    assert bool(found) == fires, found


@pytest.mark.parametrize(
    "overlay,fires",
    [
        ("(final: prev: { })", False),
        ("(_final: _prev: { })", False),
        ("(_: _: { })", False),
        ("(self: super: { })", True),
        ("(final: super: { })", True),
    ],
)
def test_arg_names(tmp_path, overlay, fires):
    assert bool(run(tmp_path, module(overlay), "FL403")) == fires


def test_arg_names_on_a_flake_output_mention_flake_check(tmp_path):
    repo = make_repo(tmp_path / "repo", {"flake.nix": "{ outputs = _: { overlays.default = self: super: { }; }; }\n"})
    result = lint([str(repo)], Overrides(select=["FL403"]), now=NOW)
    assert [d.code for d in result.diagnostics] == ["FL403"]
    assert "nix flake check" in result.diagnostics[0].message


def test_not_function_in_a_let_bound_overlay_list(tmp_path):
    files = {"default.nix": "{ ... }:\nlet\n  mine = [ (final: { }) ];\nin\n{\n  nixpkgs.overlays = mine;\n}\n"}
    assert run(tmp_path, files, "FL401") == [("default.nix", 3, "FL401")]


def test_exported_overlays_option(tmp_path):
    files = {
        "flake.nix": (
            "{\n  outputs = { self, nixpkgs, ... }: {\n    overlays.default = final: prev: { };\n"
            "    nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ ./c.nix ]; };\n  };\n}\n"
        ),
        "c.nix": "{ ... }: { nixpkgs.overlays = [ (final: prev: { }) ]; }\n",
    }
    assert run(tmp_path, files, "FL404") == [("flake.nix", 3, "FL404")]
    files["flakelint.toml"] = "[rules.FL404]\nexported-overlays-are-used = true\n"
    assert run(tmp_path / "second", files, "FL404") == []


def test_flake_parts_module_output(tmp_path):
    files = {"parts/overlays.nix": "{ ... }:\n{\n  flake.overlays.default = final: { };\n}\n"}
    assert run(tmp_path, files, "FL401") == [("parts/overlays.nix", 3, "FL401")]


def test_a_let_bound_overlay_both_exported_and_applied_is_applied(tmp_path):
    # `overlays.shared = shared;` and `nixpkgs.overlays = [ shared ]` name one
    # expression: it is applied, whichever binding is found first (this used
    # to depend on which queries had run on the file before).
    flake = (
        "{\n  outputs = { self, nixpkgs, ... }:\n    let\n      shared = final: prev: { };\n    in\n    {\n"
        "      overlays.shared = shared;\n"
        "      nixosConfigurations.a = nixpkgs.lib.nixosSystem {\n"
        "        modules = [ { nixpkgs.overlays = [ shared ]; } ];\n      };\n    };\n}\n"
    )
    assert run(tmp_path, {"flake.nix": flake}, "FL404") == []
    sites = [site for site in file_sites(parse_source(flake.encode(), "flake.nix")) if site.node.start_byte == flake.index("final: prev")]
    assert [site.where for site in sites] == ["nixpkgs.overlays"]
    # Same answer when the other binding is listed first.
    reordered = flake.replace("      overlays.shared = shared;\n", "").replace("    };\n}\n", "      overlays.shared = shared;\n    };\n}\n")
    sites = [site for site in file_sites(parse_source(reordered.encode(), "flake.nix")) if site.node.start_byte == reordered.index("final: prev")]
    assert [site.where for site in sites] == ["nixpkgs.overlays"]
