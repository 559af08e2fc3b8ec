"""``sarif``: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

The log is built from sarif-om's classes and serialised by :func:`to_json`,
a small converter over their attrs metadata (``schema_property_name``).
sarif-om's usual serialiser drops every field equal to its attrs default,
which silently loses ``level: "warning"``; here a value is dropped only when
it is ``None`` or an unset default, and ``level`` is always written.

Output is deterministic: rules in code order, results in the engine's stable
order, no timestamps or absolute paths, so identical input gives identical
bytes.
"""

from __future__ import annotations

import json

from flakelint.escape import json_safe
import os
from urllib.parse import quote

import attr
import sarif_om as om

from flakelint import HOMEPAGE, __version__
from flakelint.diagnostic import Severity
from flakelint.registry import all_rules
from flakelint.report.json import rule_url

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
ALWAYS_WRITTEN = frozenset({"level"})


def to_json(value):
    """sarif-om object graph -> plain JSON data, keeping explicit defaults we need."""
    if attr.has(type(value)):
        out = {}
        for field in attr.fields(type(value)):
            item = getattr(value, field.name)
            if item is None:
                continue
            if field.name not in ALWAYS_WRITTEN and _is_default(field, item):
                continue
            out[field.metadata.get("schema_property_name", field.name)] = to_json(item)
        return out
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    return value


def _is_default(field, value) -> bool:
    default = field.default
    if isinstance(default, attr.Factory):
        default = default.factory()
    return default is not attr.NOTHING and value == default


def artifact_uri(path: str) -> tuple[str, str | None]:
    """A percent-encoded URI for a reported path, and its base id (None if absolute)."""
    raw = os.fsencode(path)
    if os.path.isabs(path):
        return "file://" + quote(raw, safe="/"), None
    return quote(raw, safe="/"), SRCROOT


def _rule_descriptor(rule) -> om.ReportingDescriptor:
    doc = rule.doc()
    markdown = doc.markdown(rule.code, rule.name, rule.severity)
    what = doc.sections.get("What it does", doc.summary)
    return om.ReportingDescriptor(
        id=rule.code,
        name=rule.name,
        short_description=om.MultiformatMessageString(text=doc.summary),
        full_description=om.MultiformatMessageString(text=what),
        help=om.MultiformatMessageString(text=what, markdown=markdown),
        help_uri=rule_url(rule.code, rule.name),
        default_configuration=om.ReportingConfiguration(
            level=LEVELS[rule.severity], enabled=rule.severity > Severity.INFO
        ),
        properties={"tags": ["nix", rule.code[:3] + "xx"], "precision": "high"},
    )


def _result(d, rule_index: dict[str, int]) -> om.Result:
    uri, base = artifact_uri(d.path)
    end = d.end or d.start
    region = om.Region(start_line=d.start.line, start_column=d.start.column, end_line=end.line, end_column=end.column)
    text = d.message + (f" (hint: {d.hint})" if d.hint else "")
    return om.Result(
        rule_id=d.code,
        rule_index=rule_index.get(d.code, -1),
        level=LEVELS[d.severity],
        message=om.Message(text=text),
        locations=[
            om.Location(
                physical_location=om.PhysicalLocation(
                    artifact_location=om.ArtifactLocation(uri=uri, uri_base_id=base), region=region
                )
            )
        ],
    )


#: Rule descriptors as JSON data, by the tuple of rule classes they describe.
_DESCRIPTORS: dict[tuple, list[dict]] = {}


def rule_descriptors(rules: list) -> list[dict]:
    """The log's ``tool.driver.rules``, as JSON data; built once per set of rule classes.

    They come from every rule's docstring (parsed into sections, rendered
    to markdown), the same for every run: :func:`prepare` builds them while
    the engine waits for its workers, not after, when the run waits for
    them.
    """
    key = tuple(rules)
    if key not in _DESCRIPTORS:
        _DESCRIPTORS.clear()
        _DESCRIPTORS[key] = [to_json(_rule_descriptor(rule)) for rule in rules]
    return _DESCRIPTORS[key]


def prepare() -> None:
    """What every log needs, whatever the findings (:func:`flakelint.report.preload`)."""
    rule_descriptors(list(all_rules().values()))


def build_log(diagnostics, context) -> dict:
    rules = list(all_rules().values())
    rule_index = {rule.code: index for index, rule in enumerate(rules)}
    run = om.Run(
        tool=om.Tool(
            driver=om.ToolComponent(
                name="flakelint",
                version=__version__,
                semantic_version=__version__,
                information_uri=HOMEPAGE,
                rules=rule_descriptors(rules),
            )
        ),
        column_kind="unicodeCodePoints",
        results=[_result(d, rule_index) for d in diagnostics],
        invocations=[om.Invocation(execution_successful=True)],
        properties=dict(context.properties.get("sarif", {})) or None,
    )
    log = to_json(om.SarifLog(version="2.1.0", schema_uri=SCHEMA_URI, runs=[run]))
    # `$schema` and `version` first, as SARIF logs are usually written.
    return {"$schema": log.pop("$schema"), "version": log.pop("version"), **log}


def render(diagnostics, context) -> str:
    return json_safe(json.dumps(build_log(diagnostics, context), indent=2, ensure_ascii=True)) + "\n"
