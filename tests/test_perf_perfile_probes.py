"""FL113 and FL503 find their nodes by descents at byte offsets instead of whole-tree queries: same nodes."""

from flakelint import nixast
from flakelint.parse import parse_source
from flakelint.rules.hygiene.computed_state_version import _state_version_bindings
from flakelint.rules.inputs.lookup_path import _lookup_paths

LOOKUP_SOURCES = [
    b'{ pkgs ? import <nixpkgs> { } }: pkgs.mkShell { }',
    b'# <nixpkgs> in a comment\n{ a = "<nixpkgs>"; b = <nixpkgs/lib>; c = <x.y/z+w-v_u>; d = a<b; e = x: x > <c>; }',
    b"{ a = ''<home-manager/nixos>''; b = [ <a> <b> <c/d> ]; }",
    b'{ a = <nixpkgs; b = <nixpkgs> }',  # syntax errors: the query, as before
]

STATE_VERSION_SOURCES = [
    b'{ system.stateVersion = "24.05"; home-manager.users.a = { home.stateVersion = "24.05"; }; }',
    b'{ lib, ... }: { system = { stateVersion = lib.trivial.release; }; "stateVersion" = 1; }',
    b'{ x."state\\Version" = 1; y = "stateVersion"; }',  # an escape: every binding
    b'{ ${"stateVersion"} = 1; inherit stateVersion; options.stateVersion = 2; }',
    b'{ system.stateVersion = "24.05" }',  # syntax error: the query, as before
]


def _spans(nodes):
    return [(node.start_byte, node.end_byte, node.type) for node in nodes]


def test_lookup_paths_are_the_spath_expressions_in_file_order():
    for text in LOOKUP_SOURCES:
        source = parse_source(text, "x.nix")
        queried = nixast.captures("(spath_expression) @path", source.root_node).get("path", [])
        assert _spans(_lookup_paths(source)) == _spans(sorted(queried, key=lambda n: n.start_byte)), text


def test_lookup_paths_skip_comments_and_strings():
    source = parse_source(LOOKUP_SOURCES[1], "x.nix")
    assert [source.text(node) for node in _lookup_paths(source)] == ["<nixpkgs/lib>", "<x.y/z+w-v_u>", "<c>"]


def test_state_version_bindings_hold_every_binding_the_rule_reads():
    for text in STATE_VERSION_SOURCES:
        source = parse_source(text, "x.nix")
        wanted = [
            binding
            for binding in nixast.captures("(binding) @b", source.root_node).get("b", [])
            if (nixast.binding_path(source.data, binding) or [None])[-1] == "stateVersion"
        ]
        found = _spans(_state_version_bindings(source))
        assert wanted, text
        assert set(_spans(wanted)) <= set(found), text
        assert found == sorted(found), text
