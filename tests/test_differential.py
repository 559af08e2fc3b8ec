"""FL001 against the reference parser, ``nix-instantiate --parse``.

Every ``.nix`` file under ``tests/`` (fixtures of every rule included) is
given to Nix and to flakelint's FL001 check; flakelint must report a syntax
error on exactly the files Nix rejects. A second corpus of one-line snippets
(written to a temporary directory) pins the corners found while comparing the
two parsers: grammar gaps of tree-sitter-nix in both directions.

Nix's verdict is read from its first error line:

* ``undefined variable`` comes from a pass that runs after a successful
  parse, so the syntax was accepted;
* ``already defined`` and ``duplicate formal function argument`` are raised
  by the parser itself, which stops there: the text before the reported
  position parsed, nothing is known about the rest ("undecided");
* any other error is a rejection.

FL001 is taken straight from the rule (parse + check), not from a lint run,
so suppressions and per-file-ignores in the fixtures cannot hide it.

Without ``nix-instantiate`` the tests skip locally and fail under CI (the
``CI`` environment variable is set), where the Debian package ``nix-bin``
must be installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import pytest

from flakelint.engine import load_source
from flakelint.parse import DEFAULT_MAX_FILE_SIZE, SourceFile, Unreadable, parse_source
from flakelint.registry import all_rules

from conftest import REPO_ROOT

TESTS = REPO_ROOT / "tests"
NIX = shutil.which("nix-instantiate")
AFTER_PARSE = ("undefined variable",)
DURING_PARSE = ("already defined", "duplicate formal function argument")
_POSITION = re.compile(r"\bat .*?:(\d+):(\d+):?\s*$", re.M)


def require_nix():
    if NIX is None:
        if os.environ.get("CI"):
            pytest.fail("nix-instantiate is not installed; CI must install it (Debian package nix-bin)")
        pytest.skip("nix-instantiate is not installed (Debian package nix-bin)")


def nix_verdict(path: Path) -> tuple[str, str, tuple[int, int] | None]:
    """("accepted" | "rejected" | "undecided", Nix's first error line, its position)."""
    result = subprocess.run(
        [NIX, "--parse", str(path)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=60,
        env={**os.environ, "NIX_PATH": ""},
    )
    if result.returncode == 0:
        return "accepted", "", None
    first = next((line for line in result.stderr.splitlines() if line.strip()), "")
    match = _POSITION.search(result.stderr)
    position = (int(match.group(1)), int(match.group(2))) if match else None
    if any(marker in first for marker in AFTER_PARSE):
        return "accepted", first, position
    if any(marker in first for marker in DURING_PARSE):
        return "undecided", first, position
    return "rejected", first, position


def syntax_errors(source: SourceFile) -> list:
    return list(all_rules()["FL001"]().check(source))


def corpus_files() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.nix") if not p.is_dir())


@lru_cache(maxsize=1)
def nix_verdicts() -> dict[Path, tuple[str, str, tuple[int, int] | None]]:
    """Nix's verdict on every corpus file, several processes at a time."""
    files = corpus_files()
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(files, pool.map(nix_verdict, files)))


def describe(findings) -> str:
    return "; ".join(f"{d.start.line}:{d.start.column} {d.message}" for d in findings) or "no FL001"


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.relative_to(TESTS).as_posix())
def test_fl001_agrees_with_nix(path: Path):
    require_nix()
    relative = path.relative_to(TESTS).as_posix()
    loaded = load_source(str(TESTS), relative, DEFAULT_MAX_FILE_SIZE)
    if isinstance(loaded, Unreadable):
        pytest.skip(f"flakelint reports FL002 for this file ({loaded.reason}); Nix's parser is not comparable")
    if loaded is None:
        pytest.skip("git-crypt ciphertext: skipped by flakelint on purpose")
    verdict, message, position = nix_verdicts()[path]
    found = syntax_errors(loaded)
    if verdict == "accepted":
        assert not found, f"Nix accepts {relative} but flakelint reports: {describe(found)}"
    elif verdict == "rejected":
        assert found, f"Nix rejects {relative} ({message}) but flakelint reports no FL001"
        if position is not None:
            first = min((d.start.line, d.start.column) for d in found)
            assert first <= position, f"flakelint's first FL001 is after Nix's error at {position}: {describe(found)}"
    else:
        assert position is not None, message
        early = [d for d in found if (d.start.line, d.start.column) < position]
        assert not early, f"Nix parsed {relative} up to {position} ({message}), flakelint reports: {describe(early)}"


def test_corpus_has_teeth():
    """The fixture corpus holds plenty of both verdicts, so agreement means something."""
    require_nix()
    verdicts = [v for v, _, _ in nix_verdicts().values()]
    assert verdicts.count("accepted") >= 30
    assert verdicts.count("rejected") >= 20


# One-line corners found by comparing the two parsers. Each is checked against
# Nix too, so a wrong expectation here fails as loudly as a flakelint bug.
VALID = [
    "{ a, }: a",
    "{ a ? 1, b ? { }, }: a",
    "{ f ? ({ x ? { y, }: y, }: x), }: f",
    "{ a, # comment\n}: a",
    "{ a, }@args: args",
    "args@{ a, }: args",
    "{ ... }@inputs:\ninputs",
    "x: x.or",
    "x: x.or or 1",
    "{ or = 1; }.or",
    "let or = 1; id = x: x; in id or",
    "let or = 1; id = x: x; in [ id or ]",
    "let or = 1; in { inherit or; }",
    "x: x ? or",
    "let a = { }; b = { }; in a//b",
    "let a = { }; in a//./b.nix",
    "x: ./a/${x}//b.nix",
    "x: ./a/${x}",
    "x: x:x",
    "9223372036854775807",
    "''$${x}''",
    "''''${x}''",
    "\"\\${x}\"",
    "# a carriage return ends a comment\r1",
    "1\r\n",
    "\t[ 1\t2 ]",
    "let in 1",
    "let ${\"a\"} = 1; in 2",
    "rec { a = 1; b = a; }",
    "x: -x",
    "x: assert x; x",
    "x: with x; y",
    "x: if x then 1 else 2",
]
INVALID = [
    "",
    "# nothing but a comment\n",
    "/* nothing */",
    "\ufeff1",
    "{ ..., }: 1",
    "{ , }: 1",
    "{ a,, }: a",
    "[ 1, ]",
    "{ a = 1, }",
    "{ a = 1; };",
    ";",
    "{ a = 1;",
    "[ (1",
    "\"abc",
    "''abc",
    "let a = 1;",
    "let a = 1; in",
    "x: x |> toString",
    "{ or }: 1",
    "or: 1",
    "or",
    "[ or ]",
    "x: x or or",
    "x: x.a.b or or",
    "let or = 1; in (or)",
    "x: x.if",
    "x: x.rec",
    "{ f, inherit }: f",
    "x: { inherit x if; }",
    "let then = 1; in 2",
    "./foo/",
    "x: ./a/${x}/",
    "~/foo/",
    "./foo//bar",
    ".///x",
    "9223372036854775808",
    "-9223372036854775808",
    "{ a, }@args:args",
    "{\x0ca = 1; }",
    "{\u00a0a = 1; }",
    "{ café = 1; }",
    "<nixpkgs/>",
]


@pytest.mark.parametrize(
    "snippet,expected",
    [pytest.param(s, "accepted", id=f"valid-{i}") for i, s in enumerate(VALID)]
    + [pytest.param(s, "rejected", id=f"invalid-{i}") for i, s in enumerate(INVALID)],
)
def test_snippet_agrees_with_nix(snippet: str, expected: str, tmp_path):
    require_nix()
    path = tmp_path / "snippet.nix"
    path.write_bytes(snippet.encode("utf-8"))
    verdict, message, _ = nix_verdict(path)
    assert verdict == expected, f"the expectation is wrong: Nix says {verdict} ({message}) for {snippet!r}"
    found = syntax_errors(parse_source(snippet.encode("utf-8"), "snippet.nix"))
    assert bool(found) == (expected == "rejected"), f"{snippet!r}: Nix {verdict} ({message}); flakelint: {describe(found)}"
