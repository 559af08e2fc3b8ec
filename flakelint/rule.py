"""What a rule is: metadata, documentation from its docstring, and a check.

A rule is a small class in its own file under ``rules/<family>/``. Its class
docstring is its documentation, in Markdown with fixed sections, so that
``flakelint rule CODE``, the generated docs and SARIF rule help all come from
one text that a test keeps honest (its Example must fire, its Use instead
must stay silent).
"""

from __future__ import annotations

import inspect
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Iterable

from flakelint.diagnostic import Diagnostic, Position, Severity

if TYPE_CHECKING:
    from flakelint.parse import SourceFile

REQUIRED_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead")
KNOWN_SECTIONS = REQUIRED_SECTIONS + ("Options", "Known limitations")
CODE_PATTERN = re.compile(r"^FL\d{3}$")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Option:
    """A rule option settable in ``[rules.FLnnn]`` of the config file."""

    type: type | tuple[type, ...]
    default: Any
    help: str


@dataclass(frozen=True)
class RuleDoc:
    summary: str
    sections: dict[str, str]

    def markdown(self, code: str, name: str, severity: Severity) -> str:
        parts = [f"# {code} {name}", "", f"Default severity: **{severity.label}**", "", self.summary, ""]
        for title, body in self.sections.items():
            parts += [f"## {title}", "", body, ""]
        return "\n".join(parts).rstrip() + "\n"

    def code_block(self, section: str) -> str | None:
        """The first fenced ``nix`` block of a section, if any."""
        body = self.sections.get(section, "")
        match = re.search(r"```nix\n(.*?)```", body, re.S)
        return match.group(1) if match else None


class Rule:
    """Base of every rule. Subclass :class:`FileRule` or :class:`RepoRule`."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    #: "file": sees one parsed file; "repo": sees the repository model;
    #: "engine": emitted by the engine itself (parse, suppression, crashes).
    scope: ClassVar[str] = "file"
    options: ClassVar[dict[str, Option]] = {}
    #: True for rules whose findings depend on the current time ("now"): the
    #: result cache keeps their findings only for as long as
    #: :meth:`steady_between` says they stay the same; otherwise they run on
    #: every invocation.
    uses_clock: ClassVar[bool] = False
    #: False when the docstring's examples cannot be linted as text (binary
    #: input, a crashing rule); the rule's tests then cover it directly.
    runnable_examples: ClassVar[bool] = True
    #: How much work the rule's repository check is next to a typical one's
    #: (measured on large repositories): the repository stage hands rules to
    #: its two processes heaviest first (:mod:`flakelint.repo_stage`).
    cost: ClassVar[int] = 1
    #: Repository-wide structures the rule's check reads besides the import
    #: graph: functions of the repository that memoise their result on it
    #: (the overlays of every file, the closures of the hosts). When the
    #: repository stage splits the rules between two processes, rules that
    #: share one run in the same process, so that it is built once
    #: (:mod:`flakelint.repo_stage`).
    shared: ClassVar[tuple] = ()

    def __init__(self, settings: dict[str, Any] | None = None, now: float | None = None):
        self.settings = {key: option.default for key, option in self.options.items()}
        self.settings.update(settings or {})
        self.now = now

    def current_time(self, repo) -> float:
        """"Now" for a rule that reads the clock: the run's (``--now``, ``SOURCE_DATE_EPOCH``), else the repository model's, else the clock."""
        if self.now is not None:
            return self.now
        return repo.now if repo.now is not None else time.time()

    def steady_between(self, repo) -> tuple[float, float] | None:
        """For a rule that reads the clock: the times (seconds since the epoch, start inclusive, end exclusive) between which its findings on ``repo`` are exactly those it gives at ``self.now``.

        None (the default) when the rule cannot say: its findings are then
        computed on every run. Bounds may be infinite.
        """
        return None

    @classmethod
    def doc(cls) -> RuleDoc:
        # Parsed once per class: SARIF's rule descriptors and the docs ask often.
        parsed = cls.__dict__.get("_parsed_doc")
        if parsed is None:
            parsed = parse_docstring(inspect.getdoc(cls) or "")
            cls._parsed_doc = parsed
        return parsed

    @classmethod
    def summary(cls) -> str:
        return cls.doc().summary

    def diagnostic(
        self,
        source: "SourceFile",
        node=None,
        message: str = "",
        *,
        start: int | None = None,
        end: int | None = None,
        hint: str | None = None,
        redact: tuple[tuple[int, int], ...] = (),
        severity: Severity | None = None,
    ) -> Diagnostic:
        """A finding at a node (or a byte range) of ``source``; ``severity`` overrides the rule's default."""
        begin = node.start_byte if node is not None else (start or 0)
        finish = node.end_byte if node is not None else (end if end is not None else begin)
        return Diagnostic(
            code=self.code,
            message=message,
            path=source.path,
            start=source.position(begin),
            end=source.position(finish),
            hint=hint,
            redact=redact,
            level=severity,
        )


class FileRule(Rule):
    """A rule that looks at one parsed file at a time."""

    scope = "file"

    def check(self, source: "SourceFile") -> Iterable[Diagnostic]:
        raise NotImplementedError


class RepoRule(Rule):
    """A rule that looks at the whole repository model (flake, lock, graph)."""

    scope = "repo"

    def check(self, repo) -> Iterable[Diagnostic]:
        raise NotImplementedError

    #: Optional: ``summarize(self, source)`` -> small picklable data about one
    #: parsed file, computed for every file in the per-file stage (in worker
    #: processes on large repositories, where trees never reach the main
    #: process); ``check`` reads it with ``repo.summary(self, path)``, which
    #: computes it on the spot when the per-file stage did not.
    summarize = None

    @classmethod
    def has_summary(cls) -> bool:
        return cls.summarize is not None

    def at(
        self, path: str, message: str, line: int = 1, column: int = 1, hint: str | None = None, severity: Severity | None = None
    ) -> Diagnostic:
        return Diagnostic(code=self.code, message=message, path=path, start=Position(line, column), hint=hint, level=severity)

    def at_ref(self, repo, ref, message: str, hint: str | None = None) -> Diagnostic:
        """A finding at a path reference found by :mod:`flakelint.facts`."""
        return self.diagnostic(repo.sources[ref.source], start=ref.start, end=ref.end, message=message, hint=hint)


class EngineRule(Rule):
    """A code the engine emits itself; the class carries metadata and docs."""

    scope = "engine"


def parse_docstring(text: str) -> RuleDoc:
    """Split a rule docstring into its summary line and ``## Section`` bodies."""
    lines = text.strip().splitlines()
    summary = lines[0].strip() if lines else ""
    sections: dict[str, str] = {}
    current: str | None = None
    buffer: list[str] = []
    for line in lines[1:]:
        heading = re.match(r"^##\s+(.*?)\s*$", line)
        if heading:
            if current is not None:
                sections[current] = "\n".join(buffer).strip()
            current, buffer = heading.group(1), []
        elif current is not None:
            buffer.append(line)
    if current is not None:
        sections[current] = "\n".join(buffer).strip()
    return RuleDoc(summary=summary, sections=sections)


def validate_rule_class(cls: type[Rule]) -> list[str]:
    """Problems with a rule's metadata or documentation (empty when fine)."""
    problems = []
    where = f"{cls.__module__}.{cls.__name__}"
    if not CODE_PATTERN.match(getattr(cls, "code", "")):
        problems.append(f"{where}: code must look like FL123")
    if not NAME_PATTERN.match(getattr(cls, "name", "")):
        problems.append(f"{where}: name must be kebab-case")
    if not isinstance(getattr(cls, "severity", None), Severity):
        problems.append(f"{where}: severity must be a Severity")
    doc = cls.doc()
    if not doc.summary:
        problems.append(f"{where}: docstring needs a summary line")
    for section in REQUIRED_SECTIONS:
        if section not in doc.sections:
            problems.append(f"{where}: docstring lacks the '## {section}' section")
    for section in doc.sections:
        if section not in KNOWN_SECTIONS:
            problems.append(f"{where}: unknown docstring section '## {section}'")
    return problems
