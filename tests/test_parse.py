"""flakelint.parse and FL001: grammar-gap handling, positions, messages, depth."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flakelint.parse as parse_module
from flakelint.diagnostic import Position
from flakelint.engine import lint, load_source
from flakelint.parse import (
    UTF8_BOM,
    ParseTimeout,
    Unreadable,
    error_tokens,
    iter_error_subtree,
    locate,
    parse_source,
    trailing_formal_commas,
)
from flakelint.registry import all_rules

from conftest import FIXTURES

DEPTH = 50_000


def parse(text: str | bytes):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_source(data, "x.nix")


def fl001(text: str | bytes) -> list:
    return list(all_rules()["FL001"]().check(parse(text)))


def one(text: str | bytes):
    found = fl001(text)
    assert len(found) == 1, [(d.start, d.message) for d in found]
    return found[0]


def at(d) -> tuple[int, int]:
    return d.start.line, d.start.column


# -- trailing commas in formals ---------------------------------------------


@pytest.mark.parametrize(
    "text,commas",
    [
        ("{ a, }: a", [3]),
        ("{ a, b, }: a", [6]),
        ("{a ? 1, }: a", [6]),
        ("args@{ a, }: a", [8]),
        ("{ a, }@args: a", [3]),
        ("{ a, # why\n}: a", [3]),
        ("{ a, /* why */ }: a", [3]),
        ("{ f ? { x, }: x, }: f", [9, 15]),
        ("{\n  a,\n  b ? [ 1 ],\n}:\na", [18]),
    ],
)
def test_trailing_formal_commas_are_blanked_with_offsets_kept(text, commas):
    data = text.encode()
    raw = parse_module._parser().parse(data)
    assert raw.root_node.has_error, "tree-sitter-nix 0.1.0 gets these wrong; the workaround is needed"
    assert trailing_formal_commas(raw.root_node) == commas
    source = parse(text)
    assert source.patched_offsets == tuple(commas)
    assert source.data == data, "the file's bytes are never changed"
    assert all(source.data[offset : offset + 1] == b"," for offset in commas)
    assert not source.root_node.has_error
    # Node ranges index into the original bytes.
    function = source.root_node.named_children[0]
    assert source.text(function) == text
    assert fl001(text) == []


@pytest.mark.parametrize(
    "text",
    ["{ ..., }: 1", "{ , }: 1", "{ a,, }: a", "[ 1, ]", "{ a = 1, }", "{ a ? , }: a", "f { a, }"],
)
def test_commas_nix_rejects_stay_errors(text):
    source = parse(text)
    assert source.patched_offsets == ()
    assert source.root_node.has_error
    assert fl001(text)


def test_clean_files_are_not_searched_for_commas():
    source = parse("{ a, b }: a")
    assert source.patched_offsets == ()
    assert list(iter_error_subtree(source.root_node)) == [source.root_node]
    assert list(error_tokens(source.root_node)) == []


def test_lone_carriage_return_ends_a_comment_as_in_nix():
    source = parse(b"# classic Mac OS line ending\r{ a = 1; }\r")
    assert source.data.count(b"\r") == 2
    assert [c.type for c in source.root_node.children] == ["comment", "attrset_expression"]
    assert fl001(source.data) == []
    assert fl001(b"# a comment\r\n") != [], "CRLF: still only a comment, so no expression"


# -- positions and line text ------------------------------------------------


def test_position_counts_code_points_not_bytes():
    text = 'x: "é日🎉" + x'
    source = parse(text)
    data = source.data
    plus = data.index(b"+")
    assert source.position(plus) == Position(1, text.index("+") + 1)
    assert source.position(0) == Position(1, 1)
    assert source.position(len(data)) == Position(1, len(text) + 1)


def test_position_skips_the_bom_and_handles_crlf():
    source = parse(UTF8_BOM + "{\r\n  a = \"ü\";\r\n  b = 1;\r\n}\r\n".encode())
    data = source.data
    assert source.position(0) == Position(1, 1)
    assert source.position(3) == Position(1, 1), "the BOM is not a column"
    assert source.position(4) == Position(1, 2)
    b = data.index(b"b =")
    assert source.position(b) == Position(3, 3)
    end_of_line_two = data.index(b"\r\n", data.index(b"a ="))
    assert source.position(end_of_line_two) == Position(2, 11)


def test_line_text():
    source = parse(UTF8_BOM + "{ a = 1;\r\n  b = \"日本\";\n}".encode())
    assert source.line_text(1) == "{ a = 1;"
    assert source.line_text(2) == '  b = "日本";'
    assert source.line_text(3) == "}"
    assert source.line_text(0) == ""
    assert source.line_text(4) == ""


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("ab \n\r\té日🎉{};=\"")), max_size=60), st.booleans(), st.data())
def test_position_matches_a_naive_count(text, bom, data):
    raw = (UTF8_BOM if bom else b"") + text.encode()
    source = parse_source(raw, "x.nix")
    boundaries = [i for i in range(len(raw) + 1) if i >= (3 if bom else 0) and (i == len(raw) or raw[i] & 0xC0 != 0x80)]
    offset = data.draw(st.sampled_from(boundaries))
    before = raw[len(UTF8_BOM) if bom else 0 : offset].decode()
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    assert source.position(offset) == Position(line, column)


def test_locate_agrees_with_tree_sitter_lookups():
    for path in sorted(FIXTURES.rglob("*.nix"))[:80]:
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        source = parse_source(data, path.name)
        offsets = list(range(0, len(data), 7))
        for found in locate(source.root_node, offsets):
            expected = source.root_node.descendant_for_byte_range(found.offset, found.offset + 1)
            assert (found.node.start_byte, found.node.end_byte, found.node.type) == (
                expected.start_byte,
                expected.end_byte,
                expected.type,
            ), (path, found.offset)
            parent = expected.parent
            if parent is None:
                assert found.parent is None
            else:
                assert (found.parent.start_byte, found.parent.type) == (parent.start_byte, parent.type)


# -- FL001 messages -------------------------------------------------------------


def test_message_quotes_the_offending_text_at_its_start():
    d = one("{\n  a = 1, \n}\n")
    assert at(d) == (2, 3)
    assert d.message == "syntax error: unexpected `a = 1,`"
    d = one("{\n  a = 1;\n};\n")
    assert at(d) == (3, 2)
    assert d.message == "syntax error: unexpected `;`"


def test_columns_are_code_points():
    d = one('{ a = "日本🎉"; b = 1, }')
    assert at(d) == (1, 14)


def test_bom_is_reported_and_not_counted_in_later_columns():
    found = fl001(UTF8_BOM + b"[ 1, ]")
    assert [at(d) for d in found] == [(1, 1), (1, 4)]
    assert "byte order mark" in found[0].message
    assert found[1].message == "syntax error: unexpected `,`"
    assert [at(d) for d in fl001(UTF8_BOM)] == [(1, 1)]


@pytest.mark.parametrize(
    "text,where,opener",
    [
        ("{ a = 1;", (1, 1), "`{`"),
        ("{ a = 1;\n  # a trailing comment\n", (1, 1), "`{`"),
        ("{\n  a = {\n    b = [ 1\n", (3, 9), "`[`"),
        ("[ (1", (1, 3), "`(`"),
        ("let a = 1;", (1, 1), "`let`"),
        ('{ a = "x${y', (1, 9), "`${`"),
        ('x: { a = "x${x}', (1, 10), "string"),
        ("(" * 100, (1, 100), "`(`"),
    ],
)
def test_unexpected_end_of_file_points_at_the_innermost_unclosed_opener(text, where, opener):
    d = one(text)
    assert d.message == f"syntax error: unexpected end of file; this {opener} is never closed"
    assert at(d) == where


def test_end_of_file_without_an_opener():
    d = one("let a = 1; in")
    assert d.message == "syntax error: unexpected end of file"


def test_unclosed_strings():
    assert one('"abc').message == "syntax error: this string is never closed"
    assert one("''abc").message == "syntax error: this string is never closed"
    d = one('{\n  a = "ok";\n  b = "not closed;\n}\n')
    assert at(d) == (3, 7)


def test_long_regions_are_clipped():
    d = one("{ " + "a" * 100 + " = 1, }")
    assert d.message.endswith("…`")
    assert len(d.message) < 100


def test_pipe_operator_hint():
    d = one("f: x: x |> f")
    assert d.message == "syntax error: unexpected `|>`"
    assert "experimental" in d.hint
    assert one("f: x: f <| x").message == "syntax error: unexpected `<|`"


def test_odd_characters_are_named():
    assert one("{\u00a0a = 1; }").message == "syntax error: unexpected character U+00A0 (no-break space)"
    d = one("{\n  a = 1;\x0c\n}")
    assert at(d) == (2, 9)
    assert "U+000C (form feed)" in d.message
    assert fl001('{ a = "\x0c"; /* \x0b */ }') == []


@pytest.mark.parametrize(
    "text,where,fragment",
    [
        ("", (1, 1), "no Nix expression"),
        ("# only a comment\n", (1, 1), "no Nix expression"),
        ("{ imports = [ ./modules/ ]; }", (1, 15), "`./modules/` ends with a slash"),
        ("x: ./a/${x}/", (1, 12), "ends with a slash"),
        ("./src//lib.nix", (1, 1), "contains `//`"),
        ("{ a = 9223372036854775808; }", (1, 7), "too large"),
        ("x: x.if", (1, 6), "keyword `if`"),
        ("{ pkgs, inherit }: pkgs", (1, 9), "keyword `inherit`"),
        ("[ or ]", (1, 3), "keyword `or`"),
        ("{ a, }@args:args", (1, 8), "URI"),
    ],
)
def test_what_nix_rejects_although_the_grammar_accepts(text, where, fragment):
    d = one(text)
    assert at(d) == where
    assert fragment in d.message


@pytest.mark.parametrize(
    "text",
    [
        "x: x.or or 1",
        "{ or = 1; }",
        "let or = 1; f = x: x; in [ (f or) [ f or ] ]",
        "let a = { }; b = { }; in a//b",
        "./a/b.nix",
        "x: ./a/${x}",
        "x: ./a/${x}//b",
        "9223372036854775807",
        '"./a/ and 99999999999999999999 and x.if"',
        "# ./a/ 99999999999999999999 x.if\n1",
    ],
)
def test_valid_nix_near_those_checks_stays_silent(text):
    assert fl001(text) == []


def test_one_finding_per_region_and_a_cap():
    found = fl001("[ " + "[ , " * 150 + "]" * 151)
    assert len(found) == 101
    assert [at(d) for d in found[:2]] == [(1, 5), (1, 9)]
    assert found[-1].message == "syntax error: 50 more syntax error regions in this file are not listed"


# -- time and depth -------------------------------------------------------------


def test_pathological_input_hits_the_parse_budget():
    data = b"-" * 30_000 + b"1"
    start = time.monotonic()
    with pytest.raises(ParseTimeout) as caught:
        parse_source(data, "x.nix", time_limit=0.2)
    assert time.monotonic() - start < 5
    assert "too long to parse" in str(caught.value)
    # The shared parser is usable again afterwards.
    assert not parse("{ a = 1; }").root_node.has_error


def test_engine_reports_a_parse_timeout_as_fl002(tmp_path, monkeypatch):
    monkeypatch.setattr(parse_module, "PARSE_SECONDS_BASE", 0.1)
    (tmp_path / "slow.nix").write_bytes(b"-" * 30_000 + b"1")
    outcome = load_source(str(tmp_path), "slow.nix", 10**6)
    assert isinstance(outcome, Unreadable)
    assert "too long to parse" in outcome.reason


DEEP = {
    "lists.nix": "[" * DEPTH + "]" * DEPTH,
    "parens.nix": "(" * DEPTH + "1" + ")" * DEPTH,
    "sets.nix": "{ a = " * DEPTH + "1" + "; }" * DEPTH,
    "lets.nix": "let a = " * DEPTH + "1" + "; in a" * DEPTH,
    "functions.nix": "x: " * DEPTH + "x",
}


def test_deep_nesting_through_the_whole_engine(repo_factory, monkeypatch):
    files = {name: text + "\n" for name, text in DEEP.items()}
    files["truncated.nix"] = "[" * DEPTH + "]" * (DEPTH // 2) + "\n"
    repo = repo_factory(files)
    monkeypatch.chdir(repo)
    result = lint(["."])
    by_file = {}
    for d in result.diagnostics:
        by_file.setdefault(d.path, []).append(d)
    assert result.files_analysed == len(files)
    assert not [d for d in result.diagnostics if d.code in ("FL002", "FL004")], [
        (d.path, d.code, d.message) for d in result.diagnostics
    ]
    for name in DEEP:
        assert "FL001" not in {d.code for d in by_file.get(name, [])}, name
    truncated = [d for d in by_file["truncated.nix"] if d.code == "FL001"]
    assert len(truncated) == 1
    assert truncated[0].message == "syntax error: unexpected end of file; this `[` is never closed"
    assert at(truncated[0]) == (1, DEPTH // 2)


def test_deep_errors_are_found_without_climbing_the_tree():
    # Thousands of error regions, each nested one level deeper: parent walks
    # would cost depth squared per region.
    start = time.monotonic()
    found = fl001("[ , " * 20_000 + "]" * 20_000)
    assert len(found) == 101
    assert time.monotonic() - start < 10


# -- reading ------------------------------------------------------------------------


def test_read_source_outcomes(tmp_path):
    from flakelint.parse import Skipped, check_text, read_source

    (tmp_path / "ok.nix").write_bytes(b"{ }\n")
    (tmp_path / "crypt.nix").write_bytes(b"\x00GITCRYPT\x00\x01\x02")
    (tmp_path / "big.nix").write_bytes(b" " * 101)
    root = str(tmp_path)
    assert read_source(str(tmp_path / "ok.nix"), "ok.nix", root, 100) == b"{ }\n"
    assert read_source(str(tmp_path / "crypt.nix"), "crypt.nix", root, 100) == Skipped("crypt.nix", "git-crypt encrypted")
    assert read_source(str(tmp_path / "big.nix"), "big.nix", root, 100) == Unreadable(
        "big.nix", "is 101 bytes, over the max-file-size limit of 100 bytes"
    )
    assert read_source(str(tmp_path / "gone.nix"), "gone.nix", root, 100).reason.startswith("file disappeared")
    # Positions of undecodable bytes follow SourceFile.position: the BOM is no column.
    problem = check_text(UTF8_BOM + b"ab\xff", "x.nix")
    assert problem.position == Position(1, 3)
    assert "byte 0xff at line 1, column 3" in problem.reason
    nul = check_text(b"{\n  a = \x00;\n}", "x.nix")
    assert nul.position == Position(2, 7) and "NUL" in nul.reason


def test_query_captures_come_in_document_order():
    """Nested matches (bindings inside bindings) in file order, every time the query runs.

    py-tree-sitter lists them in the order the matches complete, which
    differed between two runs of the same query in one process.
    """
    from flakelint import nixast

    text = b"{ flake = { overlays = { a = final: prev: { }; b = final: { }; }; }; x = f (g (h 1)); }"
    for _ in range(5):
        source = parse(text.decode())
        bindings = nixast.captures("(binding) @b", source.root_node)["b"]
        assert [b.start_byte for b in bindings] == [2, 12, 25, 47, 69]
        applications = nixast.captures("(apply_expression) @a", source.root_node)["a"]
        assert [(a.start_byte, a.end_byte) for a in applications] == sorted(
            ((a.start_byte, a.end_byte) for a in applications), key=lambda span: (span[0], -span[1])
        )
        assert len(applications) == 3
