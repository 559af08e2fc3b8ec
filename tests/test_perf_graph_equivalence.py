"""The import graph's faster structures answer exactly as the plain ones they replace.

Links and lazily built edges, memoised listings and path resolution, shared
path statuses, closures kept as bit sets: each is checked here against the
straightforward computation on a small repository with a root reference
(``src = ./.``), patterns, nested directories and a file outside every host.
"""

from __future__ import annotations

import flakelint
from flakelint.graph import _EXTRA_ROOT_REF, Edge, FileIndex, ImportGraph, Link, PathChecker, path_statuses
from flakelint.wiring import Closure, closure_of, reachability

FILES = {
    "flake.nix": """{
      outputs = { self, nixpkgs, ... }: {
        nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ ./hosts/a/configuration.nix ]; };
        nixosConfigurations.b = nixpkgs.lib.nixosSystem { modules = [ ./hosts/b/configuration.nix ]; };
        packages.x86_64-linux.default = nixpkgs.legacyPackages.x86_64-linux.callPackage ./pkgs/hello { src = ./.; };
        checks = someHelper ./.;
      };
    }""",
    "hosts/a/configuration.nix": "{ ... }: { imports = [ ../../modules/common.nix ./hardware.nix ]; }",
    "hosts/a/hardware.nix": "{ ... }: { }",
    "hosts/b/configuration.nix": "{ name, ... }: { imports = [ ../../modules/common.nix ./${name}.nix ]; }",
    "hosts/b/extra.nix": "{ ... }: { }",
    "modules/common.nix": "{ ... }: { imports = [ ./sub ]; x = import ./lib.nix; }",
    "modules/lib.nix": "{ }",
    "modules/sub/default.nix": "{ ... }: { }",
    "modules/_private/skip.nix": "{ }",
    "pkgs/hello/default.nix": "{ stdenv, src }: stdenv.mkDerivation { inherit src; }",
    "stray/alone.nix": "{ }",
}


def _repo(repo_factory):
    return flakelint.load_repo(str(repo_factory(FILES)))


def test_edges_are_the_links_one_by_one(repo_factory):
    graph = _repo(repo_factory).graph
    expected = [Edge(link.source, target, link.kind, link.ref) for link in graph.links for target in link.targets]
    assert graph.edges == expected
    assert all(link.kind == link.ref.usage for link in graph.links)
    # The root handed to an unknown function reaches every .nix file, in path order.
    (root,) = [link for link in graph.links if link.ref.target == "." and link.ref.usage == "value"]
    assert list(root.targets) == sorted(p for p in FILES if p.endswith(".nix"))


def test_graph_given_its_edges_groups_them_into_links():
    ref = _EXTRA_ROOT_REF
    edges = [Edge("a.nix", "b.nix", "import", ref), Edge("a.nix", "a.nix", "import", ref)]
    graph = ImportGraph(["a.nix"], {"a.nix": set(), "b.nix": set()}, edges)
    assert graph.links == [Link("a.nix", "import", ref, ("b.nix", "a.nix"))]
    assert graph.edges is edges
    assert graph.targets_where(lambda r: True) == {"a.nix", "b.nix"}


def test_file_index_listings_match_a_scan_of_every_file():
    files = ["b/x.nix", "a/y.txt", "a/z.nix", "a/_p/q.nix", "a0/w.nix", "a/b/c/d.nix", "top.nix"]
    index = FileIndex(files)
    naive_dirs = {"/".join(f.split("/")[:depth]) for f in files for depth in range(1, f.count("/") + 1)}
    assert index.directories == naive_dirs
    for directory in [".", "a", "a/b", "a/_p", "b", "nothing"]:
        prefix = "" if directory == "." else directory + "/"
        below = sorted(f for f in files if f.startswith(prefix))
        assert index.files_under(directory) == below
        assert index.nix_under(directory) == [f for f in below if f.endswith(".nix")]
        skipped = [f for f in below if f.endswith(".nix") and not any(p.startswith("_") for p in f[len(prefix) :].split("/"))]
        assert index.nix_under(directory, skip_underscore=True) == skipped
        result = index.nix_under(directory)
        result.append("changed")  # a copy: the memo is not touched
        assert "changed" not in index.nix_under(directory)


def test_path_statuses_are_each_references_status(repo_factory):
    repo = _repo(repo_factory)
    fresh = PathChecker(repo, FileIndex(repo.files))
    expected = [
        (ref, *fresh.status(ref)) for _p, refs in sorted(repo.graph.refs.items()) for ref in fresh.checkable(refs)
    ]
    assert path_statuses(repo) == expected
    assert ("missing", "hosts/b") not in [(s, shown) for _r, s, shown in expected]


def test_closures_as_bits_answer_like_their_files(repo_factory):
    repo = _repo(repo_factory)
    reach = reachability(repo)
    starts = ["hosts/a/configuration.nix", "not/in/graph.nix"]
    lazy = closure_of(repo, starts)
    files, certain = reach.closure(starts)
    plain = Closure(files, lazy.complete)
    assert lazy.files == files and "modules/lib.nix" in files
    for directory in [".", "", "hosts", "hosts/a", "hosts/b", "modules/", "not", "not/in", "stray", "/"]:
        assert lazy.touches(directory) == plain.touches(directory), directory
    for path in sorted(repo.files) + ["not/in/graph.nix"]:
        assert lazy.holds(path) == (path in files)
    assert lazy.with_complete(False).files == files


_FL111_FLAKE = """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  inputs.extra.url = "github:alice/extra";
  inputs.other.url = "github:alice/other";
  outputs = { nixpkgs, ... }@inputs: {
    nixosConfigurations.a = nixpkgs.lib.nixosSystem { specialArgs = { inherit inputs; }; modules = [ ./hosts/a.nix ./hosts/b.nix ./hosts/c.nix ./hosts/d.nix ]; };
  };
}
"""
_FL111_FILES = {
    "flake.nix": _FL111_FLAKE,
    # only an input name flake.nix already mentions: nothing new, not parsed again
    "hosts/a.nix": '{ ... }: { nixpkgs.hostPlatform = "x86_64-linux"; }\n',
    # a name spelt with an escape: scanned
    "hosts/b.nix": '{ ... }: { x = "oth\\er"; nixpkgs.config = { }; }\n',
    # a new alias of the inputs set by @: scanned
    "hosts/c.nix": "{ nixpkgs, ... }@args: { y = args.extra; }\n",
    "hosts/d.nix": "{ inputs, ... }: { }\n",
}


def test_unused_input_skips_only_files_that_add_nothing(repo_factory, monkeypatch):
    from flakelint.engine import Overrides, lint
    from flakelint.rules.inputs import unused_input

    repo = repo_factory(_FL111_FILES)

    def messages():
        return [d.message for d in lint([str(repo)], Overrides(select=["FL111"])).diagnostics]

    skipped = []
    original = unused_input._Analysis._nothing_new

    def recording(self, path, data):
        result = original(self, path, data)
        if result:
            skipped.append(path)
        return result

    monkeypatch.setattr(unused_input._Analysis, "_nothing_new", recording)
    fast = messages()
    monkeypatch.setattr(unused_input._Analysis, "_nothing_new", lambda self, path, data: False)
    assert messages() == fast
    assert skipped == ["hosts/a.nix"]
    assert not any("`extra`" in m or "`other`" in m for m in fast)
