"""A Markdown summary of one run, for GitHub's job summary (``$GITHUB_STEP_SUMMARY``).

``flakelint --summary FILE`` appends it to FILE. It holds a headline, the
count of findings per rule, a table of the findings (the first
:data:`MAX_ROWS`, then how many more there are) and, for each flake whose
import graph is small enough (:data:`MAX_GRAPH_NODES` files), the graph as
a Mermaid block that GitHub draws.

Everything the repository controls (paths, messages quoting file contents
or attribute names) is escaped for Markdown: it cannot end a table cell,
open a link, an image or an HTML tag, start a code span or a math block, or
break a line (control characters become visible escapes first). The only
HTML here is the static ``<details>`` wrapper around a graph.
"""

from __future__ import annotations

import html
import os
import re

from flakelint import __version__
from flakelint.diagnostic import Severity
from flakelint.escape import clean
from flakelint.parse import is_within

#: Findings listed in the table; the rest are counted in one line.
MAX_ROWS = 50
#: A flake's import graph is drawn only up to this many files.
MAX_GRAPH_NODES = 60
#: At most this many graphs (one per flake) in one summary.
MAX_GRAPHS = 5
#: Longer messages are cut (the full text is in the annotations and SARIF).
MAX_MESSAGE = 500

# ASCII punctuation with a meaning somewhere in GitHub Markdown: emphasis,
# code spans, links and images, tables, strikethrough, math ($), emoji
# shortcodes (:), mentions (@), headings and lists, and the `://` and `www.`
# that start an autolink. A backslash makes each literal (CommonMark allows
# it before any ASCII punctuation); < > & become entities instead, so that
# no HTML tag can start.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~$:@^.])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def md_text(text: str, limit: int | None = None) -> str:
    """Repository text as literal Markdown, safe inside a table cell."""
    text = clean(text)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "\u2026"
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return "".join(_ENTITIES.get(char, char) for char in text)


def md_code(text: str) -> str:
    """Repository text as a code span, safe inside a table cell.

    Inside a code span nothing is Markdown or HTML; the fence is one backtick
    longer than the longest run of backticks in the text, and ``|`` is still
    escaped because GitHub splits table cells before it reads code spans.
    """
    text = clean(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    if text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.endswith(" ") and text.strip()):
        text = f" {text} "
    return f"{fence}{text.replace('|', chr(92) + '|')}{fence}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _rule_link(code: str, name: str) -> str:
    from flakelint.report.json import rule_url

    # Codes and names come from the registry (FL123, kebab-case), never from the repository.
    return f"[{code}]({rule_url(code, name)})"


def headline(diagnostics, files_analysed: int) -> str:
    files = _plural(files_analysed, "file")
    if not diagnostics:
        return f"All checks passed ({files} analysed)."
    counts = {severity: 0 for severity in Severity}
    for d in diagnostics:
        counts[d.severity] += 1
    parts = [_plural(counts[s], s.label) for s in (Severity.ERROR, Severity.WARNING, Severity.INFO) if counts[s]]
    return f"**{_plural(len(diagnostics), 'finding')}** ({', '.join(parts)}) in {files}."


def rule_counts_table(diagnostics) -> list[str]:
    counts: dict[str, list] = {}
    for d in diagnostics:
        entry = counts.setdefault(d.code, [0, d.name, d.severity.label])
        entry[0] += 1
    rows = sorted(counts.items(), key=lambda item: (-item[1][0], item[0]))
    lines = ["| rule | name | severity | findings |", "|---|---|---|---:|"]
    for code, (count, name, severity) in rows:
        lines.append(f"| {_rule_link(code, name)} | {md_code(name)} | {severity} | {count} |")
    return lines


def findings_table(diagnostics, max_rows: int = MAX_ROWS) -> list[str]:
    lines = ["| severity | location | rule | message |", "|---|---|---|---|"]
    for d in diagnostics[:max_rows]:
        location = md_code(f"{d.path}:{d.start.line}:{d.start.column}")
        message = md_text(d.message + (f" (hint: {d.hint})" if d.hint else ""), MAX_MESSAGE)
        lines.append(f"| {d.severity.label} | {location} | {_rule_link(d.code, d.name)} | {message} |")
    hidden = len(diagnostics) - max_rows
    if hidden > 0:
        lines += [
            "",
            f"\u2026 and {_plural(hidden, 'more finding')} not shown here: see the annotations, "
            "the SARIF report, or run `flakelint` on the repository.",
        ]
    return lines


def summary_graph(repo, max_nodes: int = MAX_GRAPH_NODES) -> tuple[int, dict | None]:
    """The import graph of one linted flake, without the files its config excludes.

    Returns (number of files, graph data); the data is None when the flake
    has more than ``max_nodes`` files, so a large graph is never built just
    to be left out.
    """
    from flakelint.graph_render import graph_data

    settings = repo.settings
    kept = [p for p in repo.sources if not settings.is_excluded(p)]
    if len(kept) > max_nodes:
        return len(kept), None
    data = graph_data(repo)
    data["nodes"] = [n for n in data["nodes"] if not settings.is_excluded(n["path"])]
    paths = {n["path"] for n in data["nodes"]}
    data["edges"] = [e for e in data["edges"] if e["source"] in paths and e["target"] in paths]
    return len(data["nodes"]), data


def graph_section(graphs: list[tuple[str, int, dict | None]], max_nodes: int = MAX_GRAPH_NODES) -> list[str]:
    """``graphs``: (the flake's root as shown, its number of files, graph data or None) triples.

    At most :data:`MAX_GRAPHS` flakes get a graph or a line saying theirs is
    too large; the rest (a repository of many nested flakes) share one line.
    """
    from flakelint.graph_render import render_mermaid

    lines: list[str] = []
    shown = left_out = 0
    for root, count, data in graphs:
        if count == 0:
            continue
        if shown >= MAX_GRAPHS:
            left_out += 1
            continue
        shown += 1
        if data is None or count > max_nodes:
            lines += [
                "",
                f"The import graph of {md_code(root)} has {_plural(count, 'file')}, more than {max_nodes} "
                "to draw here; `flakelint graph --format mermaid` prints it.",
            ]
            continue
        where = html.escape(clean(root), quote=True)
        lines += [
            "",
            f"<details><summary>Import graph of <code>{where}</code>: "
            f"{_plural(count, 'file')}, {_plural(len(data['edges']), 'edge')}</summary>",
            "",
            render_mermaid(data).rstrip("\n"),
            "",
            "</details>",
        ]
    if left_out:
        lines += [
            "",
            f"The import graphs of {_plural(left_out, 'more flake')} are not shown here; "
            "`flakelint graph PATH` prints the graph of the flake at PATH.",
        ]
    return lines


def render_summary(
    diagnostics,
    files_analysed: int,
    graphs: list[tuple[str, int, dict | None]] = (),
    max_rows: int = MAX_ROWS,
    max_nodes: int = MAX_GRAPH_NODES,
) -> str:
    """The whole summary as Markdown (ends with a newline)."""
    lines = [f"## flakelint {__version__}", "", headline(diagnostics, files_analysed)]
    if diagnostics:
        lines += ["", "### Findings per rule", ""] + rule_counts_table(diagnostics)
        lines += ["", "### Findings", ""] + findings_table(diagnostics, max_rows)
    graph_lines = graph_section(list(graphs), max_nodes)
    if graph_lines:
        lines += ["", "### Import graph"] + graph_lines
    return "\n".join(lines) + "\n"


def summary_for_result(result) -> str:
    """The summary of an engine :class:`~flakelint.engine.Result` made with ``keep_repos=True``."""
    graphs = [(_shown_root(repo.root), *summary_graph(repo)) for repo in result.repos]
    return render_summary(result.diagnostics, result.files_analysed, graphs)


def _shown_root(root: str) -> str:
    cwd = os.getcwd()
    if is_within(root, cwd):
        return os.path.relpath(root, cwd).replace(os.sep, "/")
    return root
