"""Property tests: random and mutated Nix never make flakelint raise.

Each input goes through what the engine does to one file: the text checks
(FL002), the parser, every registered file rule (called directly, so a crash
fails the test instead of becoming FL004), the engine's finish step
(selection, suppressions, FL003) and every report format.

The default examples keep the suite fast; ``pytest -m fuzz`` runs the long
variants.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flakelint.config import Settings
from flakelint.diagnostic import Diagnostic
from flakelint.discover import Flake
from flakelint.engine import finish
from flakelint.parse import ParseTimeout, check_text, parse_source
from flakelint.registry import all_rules
from flakelint.repo import Repo
from flakelint.report import FORMATS, ReportContext, render
from flakelint.rule import FileRule

from conftest import FIXTURES

NOW = 1_764_000_000.0
QUICK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
LONG = settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)

SEEDS = sorted(p.read_bytes() for p in FIXTURES.rglob("*.nix") if p.is_file() and not p.is_symlink())
TOKENS = [
    "{", "}", "[", "]", "(", ")", "${", "''", '"', ";", ",", ":", "@", "?", "=", ".", "...", "//", "/", "./a",
    "~/x", "<nixpkgs>", "or", "let", "in", "rec", "with", "inherit", "assert", "if", "then", "else", "x", "a.b",
    "1", "-", "++", "!", "->", "#", "# flakelint: ignore[FL001]", "/*", "*/", "\n", "\r\n", "\r", " ", "\t",
    "\\", "$", "é", "\u202e", "\x00", "\ufeff", "|>", "99999999999999999999", "x:x",
]


def lint_bytes(data: bytes, relpath: str = "fuzz/input.nix") -> list[Diagnostic]:
    """One file through the engine's per-file path, with no fault isolation."""
    problem = check_text(data, relpath)
    if problem is not None:
        assert problem.position.line >= 1 and problem.position.column >= 1
        return []
    try:
        source = parse_source(data, relpath, time_limit=30)
    except ParseTimeout:
        return []
    configuration = Settings(select=["ALL"])
    enabled = configuration.enabled_codes()
    raw: list[Diagnostic] = []
    for code, rule_class in all_rules().items():
        if issubclass(rule_class, FileRule):
            raw.extend(rule_class(None, NOW).check(source))
    repo = Repo(flake=Flake(root=os.path.abspath("fuzz-root"), files=[relpath]), settings=configuration, now=NOW)
    repo.sources[relpath] = source
    result = finish(raw, repo, enabled)
    lines = source.data.count(b"\n") + 1
    for diagnostic in result:
        assert diagnostic.path == relpath
        assert 1 <= diagnostic.start.line <= lines, diagnostic
        assert diagnostic.start.column >= 1, diagnostic
        assert diagnostic.end is None or diagnostic.end >= diagnostic.start, diagnostic
    context = ReportContext(files_analysed=1, flakes=1)
    for format_name in FORMATS:
        render(format_name, result, context)
    return result


def mutate(data: bytes, operations) -> bytes:
    for kind, a, b, token in operations:
        size = len(data)
        i, j = sorted((a % (size + 1), b % (size + 1)))
        if kind == "delete":
            data = data[:i] + data[j:]
        elif kind == "duplicate":
            data = data[:j] + data[i:j] + data[j:]
        elif kind == "flip" and size:
            index = a % size
            data = data[:index] + bytes([data[index] ^ (1 << (b % 8))]) + data[index + 1 :]
        elif kind == "truncate":
            data = data[:i]
        elif kind == "insert":
            data = data[:i] + token.encode() + data[i:]
        elif kind == "swap":
            data = data[:i] + data[j:] + data[i:j]
    return data


operations = st.lists(
    st.tuples(
        st.sampled_from(["delete", "duplicate", "flip", "truncate", "insert", "swap"]),
        st.integers(min_value=0, max_value=1 << 16),
        st.integers(min_value=0, max_value=1 << 16),
        st.sampled_from(TOKENS),
    ),
    min_size=1,
    max_size=6,
)
token_soup = st.lists(st.sampled_from(TOKENS), max_size=80).map("".join)


def test_seed_corpus_is_not_empty():
    assert len(SEEDS) >= 20
    for seed in SEEDS:
        lint_bytes(seed)


@QUICK
@given(st.binary(max_size=400))
def test_random_bytes(data):
    lint_bytes(data)


@QUICK
@given(st.text(max_size=200))
def test_random_text(text):
    lint_bytes(text.encode("utf-8", "surrogatepass"))


@QUICK
@given(token_soup)
def test_token_soup(text):
    lint_bytes(text.encode("utf-8"))


@QUICK
@given(st.sampled_from(SEEDS), operations)
def test_mutated_fixtures(seed, ops):
    lint_bytes(mutate(seed, ops))


@pytest.mark.fuzz
@LONG
@given(st.one_of(st.binary(max_size=4000), token_soup.map(str.encode)))
def test_long_random(data):
    lint_bytes(data)


@pytest.mark.fuzz
@LONG
@given(st.sampled_from(SEEDS), operations)
def test_long_mutated_fixtures(seed, ops):
    lint_bytes(mutate(seed, ops))


@pytest.mark.fuzz
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(st.sampled_from(SEEDS), st.integers(min_value=2, max_value=40))
def test_long_repeated_fixtures(seed, times):
    """Large inputs built from real files: many bindings, deep repetition."""
    lint_bytes(seed * times)
    lint_bytes(b"{ x = " * (times * 50) + seed)
