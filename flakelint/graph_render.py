"""``flakelint graph``: the import graph as DOT, Mermaid or JSON.

Nodes are labelled with their root-relative path and contexts, edges with
their kind; roots are marked, orphans are drawn dashed. DOT and Mermaid group
nodes by top-level directory (one cluster or subgraph each) so that large
graphs stay readable. Every label is escaped for its format; repository text
cannot break out of a label.
"""

from __future__ import annotations

import json

from flakelint.escape import clean, json_safe

JSON_SCHEMA_VERSION = 1


def graph_data(repo) -> dict:
    graph = repo.graph
    orphans = []
    if "flake.nix" in graph.roots and not graph.incomplete and not graph.autowired:
        orphans = sorted(p for p in repo.sources if p not in graph.nodes)
    nodes = [
        {"path": path, "contexts": sorted(contexts), "root": path in graph.roots, "orphan": False}
        for path, contexts in sorted(graph.nodes.items())
    ]
    nodes += [{"path": path, "contexts": [], "root": False, "orphan": True} for path in orphans]
    edges = []
    seen = set()
    for edge in graph.edges:
        line = repo.sources[edge.source].position(edge.ref.start).line if edge.source in repo.sources else None
        key = (edge.source, edge.target, edge.kind)
        if key in seen:
            continue
        seen.add(key)
        edges.append({"source": edge.source, "target": edge.target, "kind": edge.kind, "line": line})
    edges.sort(key=lambda e: (e["source"], e["target"], e["kind"]))
    unreached = sorted(p for p in repo.sources if p not in graph.nodes)
    return {
        "version": JSON_SCHEMA_VERSION,
        "roots": list(graph.roots),
        "autowired": graph.autowired,
        "incomplete": list(graph.incomplete),
        "files": len(repo.sources) + len(repo.unreadable),
        "reached": len(graph.nodes),
        "unreached": len(unreached),
        "unreadable": sorted(repo.unreadable),
        "layout": _layout(repo),
        "configurations": _configurations(graph.model),
        "unknown_outputs": list(graph.model.unknown) if graph.model is not None else [],
        "nodes": nodes,
        "edges": edges,
    }


def _layout(repo) -> dict:
    from flakelint.layout import choice_for_repo

    choice = choice_for_repo(repo)
    return {"preset": choice.name, "reason": choice.reason}


def _configurations(model) -> list[dict]:
    if model is None:
        return []
    return [
        {
            "kind": c.kind,
            "name": c.name,
            "complete": c.complete,
            "special_args": c.special_args,
            "modules": [
                {"kind": m.kind, **({"target": m.target} if m.target else {}), **({"detail": m.detail} if m.detail else {})}
                for m in c.modules
            ],
        }
        for c in model.configurations
    ]


def render_json(data: dict) -> str:
    return json_safe(json.dumps(data, indent=2, ensure_ascii=True)) + "\n"


def _group(path: str) -> str:
    return path.split("/", 1)[0] if "/" in path else "."


def _grouped(nodes: list[dict]) -> list[tuple[int, str, list[dict]]]:
    """Nodes clustered by top-level directory ("." for files at the root)."""
    groups: dict[str, list[dict]] = {}
    for node in nodes:
        groups.setdefault(_group(node["path"]), []).append(node)
    return [(index, group, members) for index, (group, members) in enumerate(sorted(groups.items()))]


def _dot_string(text: str) -> str:
    return '"' + clean(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_dot(data: dict) -> str:
    ids = {node["path"]: f"n{index}" for index, node in enumerate(data["nodes"])}
    lines = ["digraph flake {", "  rankdir=LR;", '  node [shape=box, fontname="monospace", fontsize=10];']
    for index, group, members in _grouped(data["nodes"]):
        indent = "  "
        if group != ".":
            lines.append(f"  subgraph cluster_{index} {{")
            lines.append(f"    label={_dot_string(group + '/')};")
            indent = "    "
        for node in members:
            text = node["path"] + (f" [{', '.join(node['contexts'])}]" if node["contexts"] else "")
            attrs = [f"label={_dot_string(text)}"]
            if node["root"]:
                attrs.append("style=bold")
            if node["orphan"]:
                attrs.append('style=dashed, color="red"')
            lines.append(f"{indent}{ids[node['path']]} [{', '.join(attrs)}];")
        if group != ".":
            lines.append("  }")
    for edge in data["edges"]:
        if edge["source"] in ids and edge["target"] in ids:
            lines.append(f"  {ids[edge['source']]} -> {ids[edge['target']]} [label={_dot_string(edge['kind'])}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_label(text: str) -> str:
    escaped = clean(text)
    for char, entity in (("&", "#amp;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("|", "#124;"), ("`", "#96;")):
        escaped = escaped.replace(char, entity)
    return escaped


def render_mermaid(data: dict, fenced: bool = True) -> str:
    ids = {node["path"]: f"n{index}" for index, node in enumerate(data["nodes"])}
    lines = ["flowchart LR"]
    for index, group, members in _grouped(data["nodes"]):
        indent = "  "
        if group != ".":
            lines.append(f'  subgraph g{index}["{_mermaid_label(group + "/")}"]')
            indent = "    "
        for node in members:
            label = node["path"] + (f" [{', '.join(node['contexts'])}]" if node["contexts"] else "")
            lines.append(f'{indent}{ids[node["path"]]}["{_mermaid_label(label)}"]')
        if group != ".":
            lines.append("  end")
    for edge in data["edges"]:
        if edge["source"] in ids and edge["target"] in ids:
            lines.append(f"  {ids[edge['source']]} -->|{_mermaid_label(edge['kind'])}| {ids[edge['target']]}")
    roots = [ids[n["path"]] for n in data["nodes"] if n["root"]]
    orphans = [ids[n["path"]] for n in data["nodes"] if n["orphan"]]
    if roots:
        lines.append("  classDef root stroke-width:3px")
        lines.append(f"  class {','.join(roots)} root")
    if orphans:
        lines.append("  classDef orphan stroke-dasharray: 5 5,stroke:#d00")
        lines.append(f"  class {','.join(orphans)} orphan")
    body = "\n".join(lines) + "\n"
    return f"```mermaid\n{body}```\n" if fenced else body
