"""The Markdown job summary (``flakelint --summary FILE``, flakelint/summary.py).

Rendered with cmark-gfm (``cmarkgfm``, GitHub's own Markdown library) where
it is installed, to check what GitHub would show: repository text stays
text (no HTML, no links, no table cell of its own), whatever it contains.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner

from flakelint import HOMEPAGE
from flakelint.cli import main
from flakelint.diagnostic import Diagnostic, Position, Severity
from flakelint.summary import MAX_GRAPH_NODES, md_code, md_text, render_summary

from conftest import run_flakelint

FLAKE = """{
  inputs = { };
  outputs = { self }: {
    nixosConfigurations.box = {
      modules = [ ./hosts/box.nix ];
    };
  };
}
"""
HOSTILE_TEXTS = [
    "a|b|c",
    "`code` and ``double``",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "line\nbreak\r\nand\x1b[31mred",
    "[click](javascript:alert(1)) ![img](https://evil.example/x.png)",
    "**bold** _it_ ~~gone~~ $x^2$ :smile: @octocat #1",
    "https://evil.example and www.evil.example",
    "&lt;b&gt; &amp; \\| \\",
    "::error::injected",
    "</details><details open>",
    "\u202etxt.nix",
]


def finding(path: str, message: str, code: str = "FL202", line: int = 1, severity=Severity.ERROR, hint=None) -> Diagnostic:
    names = {"FL202": "missing-path", "FL201": "orphan-file", "FL001": "syntax-error"}
    return Diagnostic(
        code=code,
        message=message,
        path=path,
        start=Position(line, 3),
        end=Position(line, 9),
        hint=hint,
        name=names[code],
        severity=severity,
    )


class Html(HTMLParser):
    """Tags, links and table rows of rendered HTML."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.links: list[str] = []
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "a":
            self.links.append(dict(attrs).get("href", ""))
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def github_html(markdown: str) -> Html:
    cmarkgfm = pytest.importorskip("cmarkgfm", reason="cmarkgfm (GitHub's Markdown renderer) is not installed")
    from cmarkgfm.cmark import Options

    # UNSAFE: render raw HTML as GitHub would before its sanitizer, so any
    # HTML that got through shows up as a tag here.
    rendered = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    parser = Html()
    parser.feed(rendered)
    return parser


# --- content ----------------------------------------------------------------------------------------


def test_clean_run():
    text = render_summary([], files_analysed=3)
    assert text.startswith("## flakelint ")
    assert "All checks passed (3 files analysed)." in text
    assert "### Findings" not in text


def test_counts_and_table():
    diagnostics = [
        finding("flake.nix", "`./a.nix` points at a.nix, which does not exist", line=2),
        finding("flake.nix", "second", line=4),
        finding("old.nix", "nothing reachable from flake.nix imports or refers to this file", code="FL201", severity=Severity.WARNING),
    ]
    text = render_summary(diagnostics, files_analysed=5)
    assert "**3 findings** (2 errors, 1 warning) in 5 files." in text
    counts = text[text.index("### Findings per rule") : text.index("### Findings\n")]
    rows = [line for line in counts.splitlines() if line.startswith("| [FL")]
    assert rows == [
        f"| [FL202]({HOMEPAGE}/blob/main/docs/rules/FL202-missing-path.md) | `missing-path` | error | 2 |",
        f"| [FL201]({HOMEPAGE}/blob/main/docs/rules/FL201-orphan-file.md) | `orphan-file` | warning | 1 |",
    ]
    assert "| error | `flake.nix:2:3` | [FL202]" in text
    assert "more finding" not in text


def test_table_is_capped():
    diagnostics = [finding(f"f{index:03}.nix", "m") for index in range(57)]
    text = render_summary(diagnostics, files_analysed=57, max_rows=50)
    assert sum(line.startswith("| error |") for line in text.splitlines()) == 50
    assert "and 7 more findings not shown here" in text
    assert "f049.nix" in text and "f050.nix" not in text
    assert "and 1 more finding not shown" in render_summary(diagnostics[:51], files_analysed=51, max_rows=50)


def test_hint_is_part_of_the_message():
    text = render_summary([finding("a.nix", "bad", hint="do this")], files_analysed=1)
    assert "bad \\(hint\\: do this\\)" in text


# --- escaping ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_escaped_text_is_one_line_without_html(text):
    for escaped in (md_text(text), md_code(text)):
        assert "\n" not in escaped and "\r" not in escaped and "\x1b" not in escaped
        assert re.search(r"(?<!\\)\|", escaped) is None  # every pipe escaped
    # Inside a code span < is literal; in text it must be an entity.
    assert "<" not in md_text(text) and ">" not in md_text(text)


def test_hostile_repository_text_renders_as_text():
    diagnostics = [finding(f"dir/{text}.nix", text, line=index + 1) for index, text in enumerate(HOSTILE_TEXTS)]
    markdown = render_summary(diagnostics, files_analysed=1)
    page = github_html(markdown)
    assert set(page.tags) <= {"h2", "h3", "p", "strong", "table", "thead", "tbody", "tr", "th", "td", "code", "a"}
    assert page.links and all(link.startswith(f"{HOMEPAGE}/blob/main/docs/rules/") for link in page.links)
    findings = [row for row in page.rows if row and row[0] == "error"]
    assert len(findings) == len(HOSTILE_TEXTS)
    from flakelint.escape import clean

    for row, text in zip(findings, HOSTILE_TEXTS):
        assert len(row) == 4, row
        assert row[1] == f"dir/{clean(text)}.nix:{HOSTILE_TEXTS.index(text) + 1}:3"
        assert row[3] == clean(text)


def test_code_span_fences_around_backticks():
    assert md_code("plain") == "`plain`"
    assert md_code("a`b") == "``a`b``"
    assert md_code("`x`") == "`` `x` ``"
    page = github_html("| x |\n|---|\n| " + md_code("a`b|c``d") + " |\n")
    assert page.rows[1] == ["a`b|c``d"]


# --- the import graph -----------------------------------------------------------------------------------


def test_small_graph_is_drawn(repo_factory, monkeypatch):
    repo = repo_factory({"flake.nix": FLAKE, "hosts/box.nix": "{ }\n"})
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, ["--summary", "summary.md", "."])
    assert result.exit_code == 0, result.output
    text = (repo / "summary.md").read_text(encoding="utf-8")
    assert "All checks passed (2 files analysed)." in text
    assert "<details><summary>Import graph of <code>.</code>: 2 files, 1 edge</summary>" in text
    block = re.search(r"```mermaid\n(.*?)```", text, re.S).group(1)
    assert 'n1["hosts/box.nix"]' in block and "n0 -->|modules| n1" in block


def test_large_graph_is_only_counted(repo_factory, monkeypatch):
    files = {"flake.nix": "{ outputs = _: { lib = import ./lib; }; }\n", "lib/default.nix": "{ }\n"}
    files.update({f"lib/m{index}.nix": "{ }\n" for index in range(MAX_GRAPH_NODES)})
    repo = repo_factory(files)
    monkeypatch.chdir(repo)
    CliRunner().invoke(main, ["--summary", "summary.md", "--select", "FL0", "."])
    text = (repo / "summary.md").read_text(encoding="utf-8")
    assert "```mermaid" not in text
    assert f"has {MAX_GRAPH_NODES + 2} files, more than {MAX_GRAPH_NODES} to draw here" in text


def test_excluded_files_are_left_out_of_the_graph(repo_factory, monkeypatch):
    files = {"flake.nix": FLAKE, "hosts/box.nix": "{ }\n", "flakelint.toml": 'exclude = ["vendor"]\n'}
    files.update({f"vendor/v{index}.nix": "{ }\n" for index in range(MAX_GRAPH_NODES + 5)})
    repo = repo_factory(files)
    monkeypatch.chdir(repo)
    CliRunner().invoke(main, ["--summary", "summary.md", "."])
    text = (repo / "summary.md").read_text(encoding="utf-8")
    assert "Import graph of <code>.</code>: 2 files" in text and "vendor/" not in text


def test_hostile_file_names_in_the_graph(repo_factory, monkeypatch):
    name = "hosts/x`|<b>\"]--> n0.nix"
    repo = repo_factory({"flake.nix": FLAKE.replace("./hosts/box.nix", '(./. + "/' + name.replace('"', '\\"') + '")'), name: "{ }\n"})
    monkeypatch.chdir(repo)
    CliRunner().invoke(main, ["--summary", "summary.md", "."])
    text = (repo / "summary.md").read_text(encoding="utf-8")
    block = re.search(r"```mermaid\n(.*?)```", text, re.S).group(1)
    assert "`" not in block and "<b>" not in block and '"]-->' not in block
    assert "#96;#124;#lt;b#gt;#quot;]--#gt; n0.nix" in block


# --- the command line -----------------------------------------------------------------------------------


def test_summary_is_appended_and_the_report_unchanged(repo_factory):
    repo = repo_factory({"flake.nix": FLAKE, "hosts/box.nix": "{ x = 1 }\n"})
    summary = repo.parent / "step-summary.md"
    summary.write_text("# an earlier step\n", encoding="utf-8")
    plain = run_flakelint("--select", "FL0", "--output-format", "concise", ".", cwd=repo)
    first = run_flakelint("--select", "FL0", "--output-format", "concise", "--summary", str(summary), ".", cwd=repo)
    assert first.returncode == plain.returncode == 1
    assert first.stdout == plain.stdout
    run_flakelint("--select", "FL0", "--summary", str(summary), ".", cwd=repo)
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("# an earlier step\n## flakelint ")
    assert text.count("## flakelint ") == 2
    assert "| error | `hosts/box.nix:1:8` | [FL001]" in text


def test_summary_file_that_cannot_be_written(repo_factory):
    repo = repo_factory({"flake.nix": FLAKE, "hosts/box.nix": "{ }\n"})
    result = run_flakelint("--summary", str(repo / "missing-dir" / "s.md"), ".", cwd=repo)
    assert result.returncode == 2
    assert result.stderr.startswith("flakelint: error: cannot write ") and "Traceback" not in result.stderr


def test_many_flakes_share_one_line():
    node = {"path": "flake.nix", "contexts": ["flake"], "root": True, "orphan": False}
    graphs = [(f"sub{index}", 1, {"nodes": [node], "edges": []}) for index in range(7)]
    graphs.insert(1, ("big", MAX_GRAPH_NODES + 1, None))
    text = render_summary([], files_analysed=8, graphs=graphs)
    assert text.count("```mermaid") == 4
    assert f"`big` has {MAX_GRAPH_NODES + 1} files, more than {MAX_GRAPH_NODES} to draw here" in text
    assert "The import graphs of 3 more flakes are not shown here" in text
