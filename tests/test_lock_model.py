"""The flake.lock model: what Nix accepts is valid, what it refuses is FL115 with a location, nothing crashes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flakelint.lock import MAX_PROBLEMS, parse_lock, read_lock


def node(owner: str, repo: str, ref: str | None = None, inputs: dict | None = None, flake: bool = True) -> dict:
    result = {
        "locked": {"lastModified": 1763500000, "narHash": "sha256-AAAA", "owner": owner, "repo": repo, "rev": "0" * 40, "type": "github"},
        "original": {"owner": owner, "repo": repo, "type": "github", **({"ref": ref} if ref else {})},
    }
    if inputs:
        result["inputs"] = inputs
    if not flake:
        result["flake"] = False
    return result


def document(nodes: dict, root_inputs: dict, version: int = 7) -> dict:
    return {"nodes": {**nodes, "root": {"inputs": root_inputs}}, "root": "root", "version": version}


def parse(doc, indent: int | None = 2):
    return parse_lock(json.dumps(doc, indent=indent, sort_keys=True).encode())


HM = document(
    {
        "nixpkgs": node("NixOS", "nixpkgs", "nixos-25.05"),
        "home-manager": node("nix-community", "home-manager", "release-25.05", {"nixpkgs": ["nixpkgs"]}),
        "wallpapers": node("alice", "wallpapers", flake=False),
    },
    {"nixpkgs": "nixpkgs", "home-manager": "home-manager", "wallpapers": "wallpapers", "pkgs": ["nixpkgs"], "self-ref": []},
)


def test_a_valid_lock():
    lock = parse(HM)
    assert lock.valid and lock.version == 7
    assert set(lock.root_inputs) == {"nixpkgs", "home-manager", "wallpapers", "pkgs", "self-ref"}
    assert lock.root_inputs["pkgs"] == ("nixpkgs",)
    assert lock.input_target("home-manager", "nixpkgs") == "nixpkgs"
    assert lock.root_input_target("pkgs") == "nixpkgs"
    assert lock.resolve([]) == "root"  # follows = ""
    assert lock.root_input_target("self-ref") == "root"
    assert lock.nodes["wallpapers"].flake is False
    assert lock.nodes["nixpkgs"].original_ref.ref == "nixos-25.05"
    assert lock.nodes["nixpkgs"].last_modified == 1763500000


@pytest.mark.parametrize("version", [5, 6, 7])
def test_the_versions_nix_reads(version):
    doc = json.loads(json.dumps(HM))
    doc["version"] = version
    if version == 5:
        for key in ("nixpkgs", "home-manager", "wallpapers"):
            locked = doc["nodes"][key]["locked"]
            doc["nodes"][key]["info"] = {"lastModified": locked.pop("lastModified"), "narHash": locked.pop("narHash")}
    lock = parse(doc)
    assert lock.valid, lock.problems
    assert lock.nodes["nixpkgs"].last_modified == 1763500000  # from `info` in version 5


def test_nodes_nothing_refers_to_are_not_checked():
    doc = json.loads(json.dumps(HM))
    doc["nodes"]["leftover"] = {"locked": "garbage", "inputs": {"x": "missing"}}
    assert parse(doc).valid


def test_node_reference_cycles_of_old_versions_are_accepted():
    doc = json.loads(json.dumps(HM))
    doc["version"] = 6
    doc["nodes"]["home-manager"]["inputs"]["utils"] = "utils"
    doc["nodes"]["utils"] = node("numtide", "flake-utils", inputs={"hm": "home-manager"})
    lock = parse(doc)
    assert lock.valid
    assert lock.resolve(["home-manager", "utils", "hm", "nixpkgs"]) == "nixpkgs"


@pytest.mark.parametrize(
    "change, message, line_text",
    [
        (lambda d: d.update(version=4), "unknown lock version 4", '"version": 4'),
        (lambda d: d.update(version="7"), "`version` must be a whole number", '"version": "7"'),
        (lambda d: d.pop("version"), "has no `version`", None),
        (lambda d: d.pop("root"), "has no `root`", None),
        (lambda d: d.pop("nodes"), "has no `nodes`", None),
        (lambda d: d["nodes"].pop("root"), "`root` names node `root`", '"root": "root"'),
        (lambda d: d["nodes"]["root"]["inputs"].update(nixpkgs="nixpkgs_9"), "refers to node `nixpkgs_9`", '"nixpkgs": "nixpkgs_9"'),
        (lambda d: d["nodes"]["home-manager"]["inputs"].update(nixpkgs=["nixpkgs-stable"]), "follows `nixpkgs-stable`, which leads nowhere", '"nixpkgs": ['),
        (lambda d: d["nodes"]["home-manager"]["inputs"].update(back="root"), "refers back to the root node", '"back": "root"'),
        (lambda d: d["nodes"]["nixpkgs"].update(locked="github:NixOS/nixpkgs"), "`nodes.nixpkgs.locked` must be an object", '"locked": "github'),
        (lambda d: d["nodes"]["nixpkgs"].pop("original"), "`nodes.nixpkgs` has no `original`", '"nixpkgs": {'),
        (lambda d: d["nodes"]["nixpkgs"]["locked"].pop("type"), "has no `type` string", '"locked": {'),
        (lambda d: d["nodes"]["nixpkgs"].update(flake="false"), "must be true or false", '"flake": "false"'),
        (lambda d: d["nodes"]["root"].update(inputs=[]), "`nodes.root.inputs` must be an object", '"inputs": []'),
    ],
)
def test_what_nix_refuses(change, message, line_text):
    doc = json.loads(json.dumps(HM))
    change(doc)
    lock = parse(doc)
    assert not lock.valid
    problem = lock.problems[0]
    assert message in problem.message
    if line_text is not None:
        assert line_text in lock.line_text(problem.line), (problem, lock.line_text(problem.line))
        assert lock.line_text(problem.line)[problem.column - 1 :].startswith('"')


def test_follows_cycles_are_reported_and_terminate():
    doc = json.loads(json.dumps(HM))
    doc["nodes"]["home-manager"]["inputs"] = {"a": ["home-manager", "b"], "b": ["home-manager", "a"]}
    lock = parse(doc)
    assert not lock.valid
    assert all("follows cycle" in p.message for p in lock.problems)


def test_json_errors_carry_the_json_position():
    text = json.dumps(HM, indent=2, sort_keys=True)
    broken = text.replace('"repo": "nixpkgs",', '"repo": "nixpkgs"', 1).encode()
    lock = parse_lock(broken)
    assert not lock.valid and "not valid JSON" in lock.problems[0].message
    assert lock.problems[0].line > 1


def test_merge_conflict_markers_are_named():
    text = json.dumps(HM, indent=2, sort_keys=True)
    lines = text.splitlines()
    lines[5:5] = ["<<<<<<< HEAD", "=======", ">>>>>>> other"]
    lock = parse_lock("\n".join(lines).encode())
    assert "merge conflict" in lock.problems[0].message and lock.problems[0].line == 6


@pytest.mark.parametrize(
    "data",
    [b"", b"   ", b"[]", b"null", b"\xff\xfe{}", b'{"version": NaN}', b'{"version": 1e400}', b'{"version": true}', b"[" * 100_000 + b"]" * 100_000],
)
def test_garbage_is_invalid_not_a_crash(data):
    lock = parse_lock(data)
    assert not lock.valid
    assert all(p.line >= 1 and p.column >= 1 for p in lock.problems)


def test_a_bom_is_accepted():
    assert parse_lock(b"\xef\xbb\xbf" + json.dumps(HM).encode()).valid


def test_a_long_follows_chain_resolves_without_recursion():
    inputs = {f"a{i}": [f"a{i + 1}"] for i in range(30_000)}
    inputs["a30000"] = "x"
    doc = {"nodes": {"root": {"inputs": inputs}, "x": node("o", "x")}, "root": "root", "version": 7}
    lock = parse(doc, indent=None)
    assert lock.valid and lock.root_input_target("a0") == "x"


def test_a_broken_lock_reports_a_bounded_number_of_problems():
    inputs = {f"a{i}": f"missing{i}" for i in range(5_000)}
    lock = parse({"nodes": {"root": {"inputs": inputs}}, "root": "root", "version": 7}, indent=None)
    assert len(lock.problems) == MAX_PROBLEMS + 1


def test_a_large_lock_is_read():
    nodes = {f"n{i}": node("o", f"r{i}") for i in range(20_000)}
    doc = document(nodes, {f"i{i}": f"n{i}" for i in range(20_000)})
    lock = parse(doc, indent=None)
    assert lock.valid and len(lock.nodes) == 20_001


def test_read_lock_skips_git_crypt_and_absent_files(tmp_path):
    assert read_lock(str(tmp_path)) is None
    (tmp_path / "flake.lock").write_bytes(b"\0GITCRYPT\0\x91\xac")
    assert read_lock(str(tmp_path)) is None


def test_read_lock_never_follows_a_symlink_out_of_the_flake(tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps(HM))
    root = tmp_path / "flake"
    root.mkdir()
    (root / "flake.lock").symlink_to(outside)
    lock = read_lock(str(root))
    assert lock is not None and not lock.valid and "outside the flake root" in lock.problems[0].message


def test_a_directory_named_flake_lock(tmp_path):
    (tmp_path / "flake.lock").mkdir()
    lock = read_lock(str(tmp_path))
    assert lock is not None and not lock.valid


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_any_json_never_crashes(value):
    lock = parse_lock(json.dumps(value).encode())
    for problem in lock.problems:
        assert problem.line >= 1 and problem.column >= 1
        lock.position(problem.location)


KEYS = st.sampled_from(["nixpkgs", "home-manager", "root", "x", "", "nodes"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["nixpkgs", "home-manager", "root", "wallpapers"]), KEYS, JSON), max_size=4))
def test_mutated_locks_never_crash(mutations):
    doc = json.loads(json.dumps(HM))
    for node_name, key, value in mutations:
        target = doc["nodes"].get(node_name)
        if isinstance(target, dict):
            if key in ("", "nodes"):
                target["inputs"] = value
            else:
                target.setdefault("inputs", {})
                if isinstance(target["inputs"], dict):
                    target["inputs"][key] = value
    lock = parse(doc)
    for name in list(lock.root_inputs):
        lock.root_input_target(name)
    for problem in lock.problems:
        assert problem.line >= 1


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_never_crash(data):
    parse_lock(data)
