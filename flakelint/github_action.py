"""The run step of flakelint's GitHub Action (``action.yml``): ``python -m flakelint.github_action``.

It reads the action's inputs from environment variables (the action passes
them through ``env:``, never by pasting ``${{ }}`` into a script), runs
``flakelint check`` once with ``--output-format json`` and ``--summary
$GITHUB_STEP_SUMMARY``, and turns that one JSON report into the SARIF file
and the workflow-command annotations with the same renderers the CLI uses,
so the three always agree and the repository is analysed once. It writes
the step outputs ``findings`` and ``sarif-file`` to ``$GITHUB_OUTPUT``.

Exit status: 2 when flakelint could not run (bad input, bad config), 1 when
there are findings and ``fail-on-findings`` is true, else 0.

Environment (set by ``action.yml``; every one optional):

==============================  ==============================================
``FLAKELINT_PATHS``             the flakes to lint, shell-quoted words (``.``)
``FLAKELINT_ARGS``              extra ``flakelint check`` options, shell words
``FLAKELINT_SARIF_FILE``        where the SARIF goes (``$RUNNER_TEMP/flakelint.sarif``)
``FLAKELINT_ANNOTATIONS``       ``true``/``false``: print annotations (true)
``FLAKELINT_SUMMARY``           ``true``/``false``: write the job summary (true)
``FLAKELINT_FAIL_ON_FINDINGS``  ``true``/``false``: exit 1 on findings (true)
==============================  ==============================================
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass

#: Options the action sets itself; passing them in ``args`` would break it.
RESERVED_OPTIONS = ("--output-format", "--output-file", "--summary", "--statistics")


class InputError(Exception):
    """An input of the action that cannot be used."""


@dataclass
class ActionInputs:
    paths: list[str]
    args: list[str]
    sarif_file: str
    annotations: bool
    summary: bool
    fail_on_findings: bool

    @classmethod
    def from_env(cls, environ) -> "ActionInputs":
        paths = _words(environ, "FLAKELINT_PATHS", "path") or ["."]
        args = _words(environ, "FLAKELINT_ARGS", "args")
        for arg in args:
            name = arg.split("=", 1)[0]
            if name in RESERVED_OPTIONS:
                raise InputError(f"input 'args': {name} is set by the action itself; use its inputs instead")
        sarif_file = environ.get("FLAKELINT_SARIF_FILE", "").strip()
        if not sarif_file:
            sarif_file = os.path.join(environ.get("RUNNER_TEMP") or tempfile.gettempdir(), "flakelint.sarif")
        if "\n" in sarif_file or "\r" in sarif_file:
            raise InputError("input 'sarif-file' must be one line")
        return cls(
            paths=paths,
            args=args,
            sarif_file=os.path.abspath(sarif_file),
            annotations=_flag(environ, "FLAKELINT_ANNOTATIONS", "annotations"),
            summary=_flag(environ, "FLAKELINT_SUMMARY", "summary"),
            fail_on_findings=_flag(environ, "FLAKELINT_FAIL_ON_FINDINGS", "fail-on-findings"),
        )


def _words(environ, variable: str, name: str) -> list[str]:
    try:
        return shlex.split(environ.get(variable, ""))
    except ValueError as exc:
        raise InputError(f"input '{name}': {exc}") from None


def _flag(environ, variable: str, name: str, default: bool = True) -> bool:
    value = environ.get(variable, "").strip().lower()
    if not value:
        return default
    if value in ("true", "yes", "1", "on"):
        return True
    if value in ("false", "no", "0", "off"):
        return False
    raise InputError(f"input '{name}' must be true or false, not {value!r}")


def diagnostics_from_json(data: list[dict]):
    """The findings of a ``--output-format json`` report, as :class:`~flakelint.diagnostic.Diagnostic` objects."""
    from flakelint.diagnostic import Diagnostic, Position, Severity

    found = []
    for item in data:
        end = item.get("end")
        found.append(
            Diagnostic(
                code=item["code"],
                message=item["message"],
                path=item["path"],
                start=Position(item["start"]["line"], item["start"]["column"]),
                end=Position(end["line"], end["column"]) if end else None,
                hint=item.get("hint"),
                name=item["name"],
                severity=Severity.parse(item["severity"]),
            )
        )
    return found


def write_output(path: str | None, name: str, value: str) -> None:
    """Append one step output to ``$GITHUB_OUTPUT`` (multi-line safe: a random delimiter)."""
    if not path:
        return
    delimiter = f"ghadelimiter_{uuid.uuid4()}"
    with open(path, "a", encoding="utf-8", newline="\n") as handle:
        handle.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def _error(message: str) -> None:
    from flakelint.report.github import escape_data

    print(f"::error title=flakelint::{escape_data(message)}", flush=True)


def run(environ=None) -> int:
    """The whole step; returns the exit status."""
    environ = os.environ if environ is None else environ
    try:
        inputs = ActionInputs.from_env(environ)
    except InputError as exc:
        _error(str(exc))
        return 2
    step_summary = environ.get("GITHUB_STEP_SUMMARY") if inputs.summary else None
    scratch = tempfile.mkdtemp(prefix="flakelint-", dir=environ.get("RUNNER_TEMP") or None)
    try:
        return _run(inputs, environ, step_summary, os.path.join(scratch, "findings.json"))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run(inputs: ActionInputs, environ, step_summary: str | None, report: str) -> int:
    from flakelint.escape import clean
    from flakelint.report import ReportContext
    from flakelint.report import github as github_format
    from flakelint.report import sarif as sarif_format

    command = [sys.executable, "-m", "flakelint", "check", "--output-format", "json", "--output-file", report]
    if step_summary:
        command += ["--summary", step_summary]
    command += [*inputs.args, "--", *inputs.paths]
    child_env = {k: v for k, v in environ.items() if k != "FLAKELINT_OUTPUT_FORMAT"}
    sys.stdout.flush()
    status = subprocess.run(command, env=child_env, check=False).returncode
    if status not in (0, 1) or not os.path.exists(report):
        _error(f"flakelint could not run (exit status {status}); its message is in the log above")
        return 2
    with open(report, encoding="utf-8") as handle:
        diagnostics = diagnostics_from_json(json.load(handle))
    os.makedirs(os.path.dirname(inputs.sarif_file), exist_ok=True)
    with open(inputs.sarif_file, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(sarif_format.render(diagnostics, ReportContext(properties={"sarif": _layout_properties(inputs)})))
    if inputs.annotations and diagnostics:
        sys.stdout.write(github_format.render(diagnostics, ReportContext()))
    count = len(diagnostics)
    print(f"flakelint: {count} finding{'s' if count != 1 else ''}; SARIF report: {clean(inputs.sarif_file)}", flush=True)
    write_output(environ.get("GITHUB_OUTPUT"), "findings", str(count))
    write_output(environ.get("GITHUB_OUTPUT"), "sarif-file", inputs.sarif_file)
    if status == 1 and inputs.fail_on_findings:
        return 1
    return 0


def main() -> None:
    sys.exit(run())


def _layout_properties(inputs) -> dict:
    """The layout run properties ``flakelint --output-format sarif`` would write (same flakes, same config)."""
    from flakelint.cli import _layout_properties as properties
    from flakelint.discover import discover
    from flakelint.engine import Overrides

    config = None
    args = list(inputs.args)
    for index, arg in enumerate(args):
        if arg == "--config" and index + 1 < len(args):
            config = args[index + 1]
        elif arg.startswith("--config="):
            config = arg.split("=", 1)[1]
    try:
        flakes, seen = [], set()
        for path in inputs.paths or ["."]:
            for flake in discover(path).flakes:
                if flake.root not in seen:
                    seen.add(flake.root)
                    flakes.append(flake)
        return properties(flakes, Overrides(config_path=config))[1]
    except Exception:  # noqa: BLE001 - a missing property must not fail the step
        return {}


if __name__ == "__main__":
    main()

