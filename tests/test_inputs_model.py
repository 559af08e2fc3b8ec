"""The flake.nix inputs model and flake references: every declaration style and url scheme."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flakelint.inputs import (
    branch_of,
    differences,
    from_attrs,
    is_nixos_nixpkgs,
    parse_flakeref,
    read_inputs,
    repository,
)
from flakelint.parse import parse_source
from flakelint.releases import end_of_life, is_maintained, maintained_releases, parse_branch

DAY = 86400
NOV_2025 = 1_764_000_000  # 2025-11-24


@pytest.mark.parametrize(
    "url, expected",
    [
        ("github:NixOS/nixpkgs/nixos-unstable", dict(type="github", owner="NixOS", repo="nixpkgs", ref="nixos-unstable")),
        ("github:NixOS/nixpkgs?ref=nixos-24.05&dir=lib", dict(type="github", ref="nixos-24.05", dir="lib")),
        ("github:NixOS/nixpkgs/" + "a" * 40, dict(type="github", rev="a" * 40, ref=None)),
        ("github:owner/repo/release/1.0", dict(type="github", ref="release/1.0")),
        ("github:owner/repo?host=github.example.com", dict(type="github", host="github.example.com")),
        ("gitlab:veloren%2Fdev/veloren", dict(type="gitlab", owner="veloren%2Fdev", repo="veloren")),
        ("sourcehut:~sircmpwn/scdoc/master", dict(type="sourcehut", owner="~sircmpwn", repo="scdoc", ref="master")),
        ("git+https://example.org/a/b.git?ref=main&rev=" + "b" * 40, dict(type="git", url="https://example.org/a/b.git", ref="main", rev="b" * 40)),
        ("git+ssh://git@github.com/alice/secrets", dict(type="git", url="ssh://git@github.com/alice/secrets")),
        ("git+file:///home/alice/x?dir=sub", dict(type="git", url="file:///home/alice/x", dir="sub")),
        ("git://example.org/x", dict(type="git", url="git://example.org/x")),
        ("hg+https://example.org/x", dict(type="hg", url="https://example.org/x")),
        ("path:/home/alice/x", dict(type="path", path="/home/alice/x")),
        ("path:./sub", dict(type="path", path="./sub")),
        ("./sub", dict(type="path", path="./sub")),
        ("/abs/flake", dict(type="path", path="/abs/flake")),
        ("https://example.org/x.tar.gz", dict(type="tarball", url="https://example.org/x.tar.gz")),
        ("https://example.org/x.tar.gz?narHash=sha256-x", dict(type="tarball", url="https://example.org/x.tar.gz")),
        ("https://example.org/file", dict(type="file", url="https://example.org/file")),
        ("tarball+https://example.org/x", dict(type="tarball", url="https://example.org/x")),
        ("file+https://example.org/x.tar.gz", dict(type="file", url="https://example.org/x.tar.gz")),
        ("file:///srv/x.tar.gz", dict(type="tarball", url="file:///srv/x.tar.gz")),
        ("nixpkgs", dict(type="indirect", id="nixpkgs", ref=None)),
        ("nixpkgs/nixos-24.05", dict(type="indirect", id="nixpkgs", ref="nixos-24.05")),
        ("nixpkgs/" + "c" * 40, dict(type="indirect", id="nixpkgs", rev="c" * 40)),
        ("flake:nixpkgs/nixos-24.05", dict(type="indirect", id="nixpkgs", ref="nixos-24.05")),
        ("flake:home-manager", dict(type="indirect", id="home-manager")),
        ("github:NixOS", dict(type=None)),
        ("github:NixOS/nixpkgs/nixos-$2", dict(type=None)),
        ("weird:thing", dict(type=None)),
        ("", dict(type=None)),
    ],
)
def test_parse_flakeref(url, expected):
    ref = parse_flakeref(url)
    for key, value in expected.items():
        assert getattr(ref, key) == value, (url, key, ref)


@pytest.mark.parametrize(
    "url, original",
    [
        ("github:NixOS/nixpkgs/nixos-unstable", {"owner": "NixOS", "ref": "nixos-unstable", "repo": "nixpkgs", "type": "github"}),
        ("github:nixos/nixpkgs?ref=nixos-unstable", {"owner": "NixOS", "ref": "nixos-unstable", "repo": "nixpkgs", "type": "github"}),
        ("git+https://github.com/NixOS/nixpkgs?ref=refs/heads/nixos-25.05&shallow=1", {"ref": "nixos-25.05", "shallow": True, "type": "git", "url": "https://github.com/NixOS/nixpkgs.git"}),
        ("gitlab:veloren%2Fdev/veloren", {"owner": "veloren/dev", "repo": "veloren", "type": "gitlab"}),
        ("https://example.org/x.tar.gz", {"type": "file", "url": "https://example.org/x.tar.gz"}),
        ("path:./sub", {"path": "sub", "type": "path"}),
        ("nixpkgs/nixos-24.05", {"id": "nixpkgs", "ref": "nixos-24.05", "type": "indirect"}),
        ("github:a/b?dir=.", {"owner": "a", "repo": "b", "type": "github"}),
    ],
)
def test_the_lock_original_normalises_the_url(url, original):
    assert differences(parse_flakeref(url), from_attrs(original)) == []


@pytest.mark.parametrize(
    "url, original, differ",
    [
        ("github:NixOS/nixpkgs/nixos-25.05", {"owner": "NixOS", "ref": "nixos-24.11", "repo": "nixpkgs", "type": "github"}, ["ref"]),
        ("github:alice/nixpkgs/nixos-25.05", {"owner": "NixOS", "ref": "nixos-25.05", "repo": "nixpkgs", "type": "github"}, ["owner"]),
        ("github:NixOS/nixpkgs", {"owner": "NixOS", "ref": "nixos-25.05", "repo": "nixpkgs", "type": "github"}, ["ref"]),
        ("gitlab:NixOS/nixpkgs", {"owner": "NixOS", "repo": "nixpkgs", "type": "github"}, ["type"]),
        ("github:a/b?dir=x", {"owner": "a", "repo": "b", "type": "github"}, ["dir"]),
        ("git+https://a.org/x", {"type": "git", "url": "https://a.org/y"}, ["url"]),
    ],
)
def test_real_differences(url, original, differ):
    assert differences(parse_flakeref(url), from_attrs(original)) == differ


def test_unknown_references_are_not_compared():
    assert differences(parse_flakeref("weird:x"), from_attrs({"type": "github"})) is None
    assert differences(parse_flakeref("path:./a"), from_attrs({"path": "/abs/a", "type": "path"})) is None


def test_repository_identity():
    assert repository(parse_flakeref("github:NixOS/nixpkgs/nixos-unstable")) == repository(
        parse_flakeref("git+https://github.com/nixos/nixpkgs.git?ref=nixos-unstable")
    )
    assert is_nixos_nixpkgs(parse_flakeref("https://channels.nixos.org/nixos-25.05/nixexprs.tar.xz"))
    assert is_nixos_nixpkgs(parse_flakeref("https://flakehub.com/f/NixOS/nixpkgs/0.1.*.tar.gz"))
    assert is_nixos_nixpkgs(from_attrs({"type": "tarball", "url": "https://api.flakehub.com/f/pinned/NixOS/nixpkgs/0.1.1%2Brev-x/01/source.tar.gz"}))
    assert not is_nixos_nixpkgs(parse_flakeref("github:NixOS/nixpkgs?dir=lib"))
    assert not is_nixos_nixpkgs(parse_flakeref("github:alice/nixpkgs"))
    assert repository(parse_flakeref("path:/x")) is None
    assert repository(parse_flakeref("nixpkgs")) is None


@pytest.mark.parametrize(
    "url, branch",
    [
        ("github:NixOS/nixpkgs/nixos-25.05", "nixos-25.05"),
        ("https://channels.nixos.org/nixos-23.11/nixexprs.tar.xz", "nixos-23.11"),
        ("https://github.com/NixOS/nixpkgs/archive/nixos-24.05.tar.gz", "nixos-24.05"),
        ("https://github.com/NixOS/nixpkgs/archive/" + "d" * 40 + ".tar.gz", None),
        ("https://flakehub.com/f/NixOS/nixpkgs/0.2505.*.tar.gz", "nixos-25.05"),
        ("https://flakehub.com/f/NixOS/nixpkgs/0.1", "nixpkgs-unstable"),
        ("https://flakehub.com/f/NixOS/nixpkgs/=0.2505.1", None),
        ("github:NixOS/nixpkgs/" + "e" * 40, None),
    ],
)
def test_branch_of(url, branch):
    assert branch_of(parse_flakeref(url)) == branch


# ---------------------------------------------------------------- declarations


def model(text: str):
    return read_inputs(parse_source(text.encode(), "flake.nix"))


def test_every_declaration_style():
    m = model(
        '''
        let version = "25.05"; in
        {
          inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
          inputs.home-manager.url = "github:nix-community/home-manager";
          inputs.home-manager.inputs.nixpkgs.follows = "nixpkgs";
          inputs = {
            disko = { url = "github:nix-community/disko"; inputs.nixpkgs.follows = ""; };
            "nixos-hardware".url = "github:NixOS/nixos-hardware";
            wallpapers = { url = "github:alice/wallpapers"; flake = false; };
            typed = { type = "github"; owner = "numtide"; repo = "flake-utils"; ref = "main"; };
            old.url = github:alice/old;
            pkgs.follows = "nixpkgs";
            deep.inputs.a.inputs.b.follows = "nixpkgs/lib";
            computed.url = "github:NixOS/nixpkgs/nixos-${version}";
          };
          inputs.self.submodules = true;
          outputs = { self, nixpkgs, home-manager, extra ? null, ... }@inputs: { };
        }
        '''
    )
    assert m.complete
    assert list(m.inputs) == ["nixpkgs", "home-manager", "disko", "nixos-hardware", "wallpapers", "typed", "old", "pkgs", "deep", "computed"]
    assert m.inputs["home-manager"].inputs["nixpkgs"].follows == "nixpkgs"
    assert m.inputs["disko"].inputs["nixpkgs"].follows == ""
    assert m.inputs["wallpapers"].flake is False
    assert m.inputs["typed"].flakeref.owner == "numtide" and m.inputs["typed"].flakeref.ref == "main"
    assert m.inputs["old"].flakeref.repo == "old"
    assert m.inputs["pkgs"].follows == "nixpkgs" and m.inputs["pkgs"].flakeref is None
    assert m.inputs["deep"].inputs["a"].inputs["b"].follows == "nixpkgs/lib"
    assert m.inputs["deep"].flakeref.is_indirect  # no url: the registry
    assert m.inputs["computed"].url_computed and m.inputs["computed"].flakeref is None
    assert m.follows_targets() == {"nixpkgs"}
    assert m.outputs.alias == "inputs" and m.outputs.ellipsis
    assert [f.name for f in m.outputs.formals] == ["self", "nixpkgs", "home-manager", "extra"]
    assert [f.name for f in m.implicit] == ["extra"]


def test_spans_point_at_the_name():
    text = '{\n  inputs = {\n    nixpkgs.url = "github:NixOS/nixpkgs";\n  };\n  outputs = _: { };\n}\n'
    m = model(text)
    decl = m.inputs["nixpkgs"]
    assert text.encode()[decl.start : decl.end] == b"nixpkgs"
    assert text.encode()[decl.url_span[0] : decl.url_span[1]] == b'"github:NixOS/nixpkgs"'


@pytest.mark.parametrize(
    "text",
    [
        "{ inputs = import ./inputs.nix; outputs = _: { }; }",
        '{ ${"inputs"}.nixpkgs.url = "github:NixOS/nixpkgs"; outputs = _: { }; }',
        '{ inputs.${"nix" + "pkgs"}.url = "github:NixOS/nixpkgs"; outputs = _: { }; }',
        "import ./flake-body.nix",
        '{ inputs.nixpkgs.url = "github:NixOS/nixpkgs" outputs = _: { }; }',
    ],
)
def test_what_cannot_be_read_is_unknown(text):
    assert not model(text).complete


def test_an_inherited_input_is_known_by_name_only():
    m = model("{ inputs = { inherit (import ./x.nix) nixpkgs; }; outputs = _: { }; }")
    assert list(m.inputs) == ["nixpkgs"]
    assert not m.inputs["nixpkgs"].known and m.inputs["nixpkgs"].flakeref is None


def test_outputs_styles():
    assert model("{ outputs = inputs: { }; }").outputs.formals is None
    assert model("{ outputs = inputs: { }; }").outputs.alias == "inputs"
    comma_first = model("{ outputs = { self\n , nixpkgs\n , ... }: { }; }").outputs
    assert [f.name for f in comma_first.formals] == ["self", "nixpkgs"] and comma_first.ellipsis
    trailing = model("{ outputs = { self, nixpkgs, }: { }; }").outputs
    assert [f.name for f in trailing.formals] == ["self", "nixpkgs"]
    assert not model("{ outputs = import ./outputs.nix; }").outputs.known


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet='{}[]()=;:.,"@? \n inputsurlfollowsflakenixpkgs/$\\', max_size=200))
def test_random_text_never_crashes(text):
    model(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_url_parses_without_crashing(url):
    ref = parse_flakeref(url)
    repository(ref)
    branch_of(ref)
    ref.describe()


# ---------------------------------------------------------------- releases


def test_release_calendar():
    assert end_of_life("24.05").isoformat() == "2024-12-31"
    assert end_of_life("24.11").isoformat() == "2025-06-30"
    assert maintained_releases(NOV_2025) == ["25.05", "25.11"]
    assert maintained_releases(1_751_500_000) == ["25.05"]  # 2025-07-03: 24.11 ended, 25.11 not branched
    assert is_maintained("25.05", NOV_2025) and not is_maintained("24.11", NOV_2025)
    assert not is_maintained("24.13", NOV_2025)


@pytest.mark.parametrize(
    "name, track, version, channel",
    [
        ("nixos-unstable", "unstable", None, True),
        ("nixos-unstable-small", "unstable", None, True),
        ("nixpkgs-unstable", "unstable", None, True),
        ("master", "unstable", None, False),
        ("nixos-25.05", "release", "25.05", True),
        ("nixos-25.05-small", "release", "25.05", True),
        ("nixpkgs-25.05-darwin", "release", "25.05", True),
        ("release-25.05", "release", "25.05", False),
        ("nix-darwin-25.05", "release", "25.05", False),
        ("refs/heads/nixos-25.05", "release", "25.05", True),
        ("staging-next", "other", None, False),
    ],
)
def test_parse_branch(name, track, version, channel):
    branch = parse_branch(name)
    assert (branch.track, branch.version, branch.channel) == (track, version, channel)
