"""The command line: ``flakelint [check] [PATH ...]``, ``rule``, ``rules``.

Exit codes are part of the contract: 0 clean, 1 findings, 2 usage, config or
internal error. No Python traceback reaches the user unless ``--debug`` asks
for one; a failure is one line on stderr.
"""

from __future__ import annotations

import gc
import os
import re
import sys

import click

from flakelint import __version__

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
OUTPUT_FORMATS = ("full", "concise", "json", "github", "sarif")


class DefaultToCheck(click.Group):
    """A group whose default command is ``check``: ``flakelint .`` means ``flakelint check .``.

    It also keeps the promise of no traceback for the other commands: an
    unexpected exception becomes one line on stderr and exit 2.
    """

    def parse_args(self, ctx, args):
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")):
            args = ["check", *args]
        return super().parse_args(ctx, args)

    def main(self, *args, **kwargs):
        """As a program (standalone mode): no cycle collector, flush the output, then end the process at once.

        Tearing down the interpreter (freeing every tree, fact and finding
        of a large repository one object at a time) costs a tenth of a
        second or more after the report is already written; the output
        files are closed and the workers joined by then, so nothing is lost.
        Only as a program, that is reading ``sys.argv`` (the console script,
        ``python -m flakelint``): called from Python with arguments (tests,
        click's CliRunner) it raises ``SystemExit`` or returns as usual.
        """
        as_program = not args and kwargs.get("args") is None and kwargs.get("standalone_mode", True)
        if not as_program:
            return super().main(*args, **kwargs)
        # The cycle collector stays off for the whole process, not only while
        # linting (engine.collector_paused): turned back on after a large run
        # it would first scan every object still alive (0.07 s at 4,000
        # files) just before the process ends anyway.
        gc.disable()
        try:
            super().main(*args, **kwargs)
            code = 0
        except SystemExit as exc:
            code = exc.code
        _exit_now(code)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - never a traceback
            _internal_error(exc)


def _exit_now(code) -> None:
    """``sys.exit(code)`` without the interpreter's teardown (same exit status, output flushed)."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # SystemExit("message"): Python prints it and exits 1
        print(code, file=sys.stderr)
        status = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass  # a closed pipe (`flakelint . | head`): nothing left to say
    os._exit(status)


def _command_error(exc: BaseException, debug: bool) -> None:
    """A subcommand failed: a configuration or discovery problem in one line, anything else as internal."""
    from flakelint.config import ConfigError
    from flakelint.discover import DiscoveryError

    if isinstance(exc, (ConfigError, DiscoveryError)) and not debug:
        from flakelint.escape import clean

        click.echo(f"flakelint: error: {clean(' '.join(str(exc).split()))}", err=True)
        sys.exit(EXIT_ERROR)
    _internal_error(exc, debug)


def _internal_error(exc: BaseException, debug: bool = False) -> None:
    """Report an unexpected exception in one line (or a traceback with --debug) and exit 2."""
    if debug:
        import traceback

        traceback.print_exception(exc)
        sys.exit(EXIT_ERROR)
    from flakelint.escape import clean

    reason = clean(" ".join(str(exc).split()))[:300]
    click.echo(
        f"flakelint: internal error: {type(exc).__name__}: {reason} (run with --debug for details)",
        err=True,
    )
    sys.exit(EXIT_ERROR)


def _split_codes(values: tuple[str, ...]) -> list[str]:
    return [code.strip() for value in values for code in value.split(",") if code.strip()]


_EPOCH = re.compile(r"^-?[0-9]{1,12}$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def parse_now(value: str) -> float:
    """``--now``: seconds since the epoch, or a date ``YYYY-MM-DD`` (UTC midnight)."""
    text = value.strip()
    if _EPOCH.match(text):
        return float(int(text))
    if _DATE.match(text):
        import datetime as dt  # only for a date given on the command line

        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            pass
        else:
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp()
    from flakelint.escape import clean

    raise click.BadParameter(f"{clean(value)!r} is neither seconds since the epoch nor a date YYYY-MM-DD")


def _now_callback(ctx, param, value):
    return None if value is None else parse_now(value)


def resolve_now(option: float | None, environ=os.environ) -> float | None:
    """The time age checks compare with: ``--now``, else ``SOURCE_DATE_EPOCH``, else None (the clock)."""
    if option is not None:
        return option
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        if not re.fullmatch(r"[0-9]{1,12}", epoch):
            from flakelint.config import ConfigError
            from flakelint.escape import clean

            raise ConfigError(f"SOURCE_DATE_EPOCH={clean(epoch)!r} is not a whole number of seconds")
        return float(epoch)
    return None


def use_color(output_format: str, output_file: str | None, isatty: bool, environ=os.environ) -> bool:
    """Colour only for the ``full`` format written to a terminal, and never when ``NO_COLOR`` is set.

    (https://no-color.org: any non-empty value of ``NO_COLOR`` turns colour off.)
    """
    return output_format == "full" and output_file is None and isatty and not environ.get("NO_COLOR")


def _write(text: str, output_file: str | None, append: bool = False) -> None:
    if output_file:
        try:
            with open(output_file, "a" if append else "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        except OSError as exc:
            from flakelint.escape import clean

            reason = exc.strerror or type(exc).__name__
            click.echo(f"flakelint: error: cannot write {clean(output_file)}: {reason}", err=True)
            sys.exit(EXIT_ERROR)
        return
    stream = sys.stdout
    buffer = getattr(stream, "buffer", None)
    try:
        if buffer is not None:
            stream.flush()
            buffer.write(text.encode("utf-8", "backslashreplace"))
            buffer.flush()
        else:
            stream.write(text)
            stream.flush()
    except BrokenPipeError:
        # The reader went away (`flakelint . | head`): not an error worth a
        # message. Point stdout at /dev/null so the interpreter's final flush
        # does not complain either.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass


def _warn(message: str) -> None:
    from flakelint.escape import clean

    click.echo(f"flakelint: warning: {clean(message)}", err=True)


@click.group(cls=DefaultToCheck, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="flakelint", message="%(prog)s %(version)s")
def main():
    """flakelint: lint a Nix flake repository.

    `flakelint [PATH ...]` is short for `flakelint check [PATH ...]`; see
    `flakelint check --help` for its options.
    """


@main.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=False, file_okay=True, dir_okay=True))
@click.option(
    "--output-format",
    type=click.Choice(OUTPUT_FORMATS),
    envvar="FLAKELINT_OUTPUT_FORMAT",
    default=None,
    help="Report format (default: full on a terminal, concise otherwise).",
)
@click.option("--output-file", type=click.Path(dir_okay=False, writable=True), help="Write the report to FILE.")
@click.option("--select", "select", multiple=True, help="Only these codes or prefixes (comma-separated).")
@click.option("--extend-select", multiple=True, help="Codes or prefixes to enable on top of the selection.")
@click.option("--ignore", multiple=True, help="Codes or prefixes to disable.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Use this config file.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache (see FLAKELINT_CACHE_DIR).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Print a count per rule instead of the findings.")
@click.option(
    "--summary",
    "summary_file",
    type=click.Path(dir_okay=False, writable=True),
    help="Also append a Markdown summary (counts per rule, findings, small import graphs) to FILE, "
    "e.g. $GITHUB_STEP_SUMMARY.",
)
@click.option(
    "--now",
    "now_option",
    metavar="EPOCH|DATE",
    callback=_now_callback,
    help="The time age checks compare with: seconds since the epoch or YYYY-MM-DD (default: SOURCE_DATE_EPOCH, else the clock).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=0),
    envvar="FLAKELINT_JOBS",
    default=None,
    help="Worker processes for the per-file stage (default: one per CPU on large repositories; 1 or 0: none).",
)
@click.option("--debug", is_flag=True, help="Show Python tracebacks of internal errors.")
def check(paths, output_format, output_file, select, extend_select, ignore, config_path, no_cache, exit_zero, statistics, summary_file, now_option, jobs, debug):
    """Lint the flake repositories at PATH (default: the current directory)."""
    try:
        code = _check(
            list(paths) or ["."],
            output_format,
            output_file,
            select,
            extend_select,
            ignore,
            config_path,
            exit_zero,
            statistics,
            now_option,
            summary_file,
            use_cache=not no_cache,
            jobs=jobs,
        )
    except click.ClickException:
        raise
    except Exception as exc:  # noqa: BLE001 - never a traceback without --debug
        from flakelint.config import ConfigError
        from flakelint.discover import DiscoveryError

        if isinstance(exc, (ConfigError, DiscoveryError)) and not debug:
            from flakelint.escape import clean

            click.echo(f"flakelint: error: {clean(' '.join(str(exc).split()))}", err=True)
            sys.exit(EXIT_ERROR)
        _internal_error(exc, debug)
    sys.exit(code)


def _check(paths, output_format, output_file, select, extend_select, ignore, config_path, exit_zero, statistics, now_option, summary_file=None, use_cache=True, jobs=None) -> int:
    from flakelint.config import check_selectors
    from flakelint.engine import Overrides, cache_outside, lint
    from flakelint.report import ReportContext, preload, render

    now = resolve_now(now_option)
    if select and not _split_codes(select):
        from flakelint.config import ConfigError

        # `--select "$CODES"` with an empty variable must not lint nothing and pass.
        raise ConfigError("--select: no rule codes given")
    isatty = _stdout_isatty()
    if output_format is None:
        output_format = "full" if output_file is None and isatty else "concise"
    overrides = Overrides(
        select=check_selectors(_split_codes(select), "--select") if select else None,
        extend_select=check_selectors(_split_codes(extend_select), "--extend-select"),
        ignore=check_selectors(_split_codes(ignore), "--ignore"),
        config_path=config_path,
        jobs=jobs,
        idle=lambda: preload(output_format),  # the format's module, while the engine waits anyway
        reports=tuple(os.path.abspath(path) for path in (output_file, summary_file) if path),
        layouts=output_format in ("full", "sarif") and not statistics,
    )
    result = lint(paths, overrides, now, keep_repos=summary_file is not None, use_cache=use_cache)
    for warning in result.warnings:
        _warn(warning)
    context = ReportContext(
        files_analysed=result.files_analysed,
        flakes=len(result.flakes),
        color=use_color(output_format, output_file, isatty),
    )
    if output_format in ("full", "sarif") and not statistics:
        header, layout_properties = _layout_properties(result.flakes, overrides, result.layouts)
        context.properties = {"header": header, "sarif": layout_properties}
    if statistics:
        text = render_statistics(result.diagnostics)
    elif use_cache and result.flakes and all(cache_outside(flake.root) for flake in result.flakes):
        from flakelint.report.memo import render_memoized

        text = render_memoized(output_format, result.diagnostics, context, list(paths))
    else:
        text = render(output_format, result.diagnostics, context)
    _write(text, output_file)
    if summary_file is not None:
        from flakelint.summary import summary_for_result

        _write(summary_for_result(result), summary_file, append=True)
    if result.diagnostics and not exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _layout_properties(flakes, overrides, known: dict | None = None) -> tuple[str, dict]:
    """Which layout each linted flake was checked against (``full`` header, SARIF run properties).

    ``known``: root -> (preset, why) the engine already has (kept in the
    cache with each flake's findings); the others are detected here.
    """
    if not flakes:
        return "", {}
    known = known or {}
    settings_by_root: dict = {}
    top = flakes[0].root
    entries = []
    for flake in flakes:
        if flake.root in known:
            preset, reason = known[flake.root]
        else:
            from flakelint.engine import layout_of, settings_for

            settings = settings_for(flake, overrides, settings_by_root.get(flake.parent or ""))
            settings_by_root[flake.root] = settings
            preset, reason = layout_of(flake, settings)
        where = os.path.relpath(flake.root, top).replace(os.sep, "/")
        entries.append({"flake": where, "preset": preset, "reason": reason})
    if len(entries) == 1:
        header = f"layout: {entries[0]['preset']} ({entries[0]['reason']})"
    else:
        header = "\n".join(f"layout of {e['flake']}: {e['preset']} ({e['reason']})" for e in entries)
    return header, {"layout": entries[0]["preset"], "layouts": entries}


def _stdout_isatty() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def render_statistics(diagnostics) -> str:
    counts: dict[str, list] = {}
    for d in diagnostics:
        entry = counts.setdefault(d.code, [0, d.name, d.severity.label])
        entry[0] += 1
    rows = sorted(counts.items(), key=lambda item: (-item[1][0], item[0]))
    lines = [f"{count:>5}  {code}  {name}  ({severity})" for code, (count, name, severity) in rows]
    lines.append(f"Found {len(diagnostics)} finding{'s' if len(diagnostics) != 1 else ''}.")
    return "\n".join(lines) + "\n"


@main.command("rule")
@click.argument("key")
def rule_command(key):
    """Print the documentation of one rule (by code or name)."""
    from flakelint.registry import rule_by_code_or_name

    rule = rule_by_code_or_name(key)
    if rule is None:
        from flakelint.escape import clean

        click.echo(f"flakelint: error: no rule named {clean(key)!r} (see `flakelint rules`)", err=True)
        sys.exit(EXIT_ERROR)
    _write(rule.doc().markdown(rule.code, rule.name, rule.severity), None)


@main.command("rules")
@click.option("--output-format", type=click.Choice(("text", "json", "markdown")), default="text")
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False),
    help="With markdown: write one page per rule (<CODE>-<name>.md) and the index (README.md) into DIR.",
)
def rules_command(output_format, output_dir):
    """List every rule (markdown: the index of the rule pages; with --output-dir, the pages too)."""
    from flakelint.docs import rules_index_markdown, rules_json, rules_text

    if output_dir is not None:
        if output_format != "markdown":
            raise click.UsageError("--output-dir needs --output-format markdown")
        from pathlib import Path

        from flakelint.docs import write_rule_docs
        from flakelint.escape import clean

        try:
            changed = write_rule_docs(Path(output_dir))
        except OSError as exc:
            click.echo(f"flakelint: error: cannot write {clean(output_dir)}: {exc.strerror or type(exc).__name__}", err=True)
            sys.exit(EXIT_ERROR)
        for path in changed:
            click.echo(f"{'wrote' if path.exists() else 'removed'} {clean(str(path))}", err=True)
        return
    renderers = {"text": rules_text, "json": rules_json, "markdown": rules_index_markdown}
    _write(renderers[output_format](), None)


@main.command("graph")
@click.argument("path", default=".", type=click.Path(exists=False))
@click.option("--format", "graph_format", type=click.Choice(("dot", "mermaid", "json")), default="dot")
@click.option("--output-file", type=click.Path(dir_okay=False, writable=True), help="Write the graph to FILE.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Use this config file.")
@click.option("--debug", is_flag=True, help="Show Python tracebacks of internal errors.")
def graph_command(path, graph_format, output_file, config_path, debug):
    """Print the import graph of the flake at PATH (nested flakes are not included)."""
    try:
        from flakelint.api import load_repo
        from flakelint.graph_render import graph_data, render_dot, render_json, render_mermaid

        data = graph_data(load_repo(path, config_path))
        renderers = {"dot": render_dot, "mermaid": render_mermaid, "json": render_json}
        _write(renderers[graph_format](data), output_file)
    except click.ClickException:
        raise
    except Exception as exc:  # noqa: BLE001 - never a traceback
        _command_error(exc, debug)


@main.command("init")
@click.argument("path", default=".", type=click.Path(exists=False))
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Use this config file.")
@click.option("--debug", is_flag=True, help="Show Python tracebacks of internal errors.")
def init_command(path, config_path, debug):
    """Print the layout flakelint detects at PATH as a [layout] table for flakelint.toml.

    Nothing is written: copy the output into flakelint.toml and adjust it.
    """
    try:
        from flakelint.discover import discover
        from flakelint.engine import Overrides, settings_for
        from flakelint.escape import clean
        from flakelint.layout import PRESETS, choice_for_flake

        flake = discover(path).flakes[0]
        settings = settings_for(flake, Overrides(config_path=config_path), None)
        choice = choice_for_flake(flake, settings)
        lines = [
            "# flakelint.toml: the layout the layout rules (FL3xx) check against.",
            f"# Detected: {clean(choice.name)} ({clean(choice.reason)})",
        ]
        if choice.layout is not None:
            lines += [f"# Convention: {choice.layout.source}", "", choice.layout.as_toml().rstrip("\n")]
        else:
            lines += [
                "# No known layout: layout rules stay silent. To check the seed layout",
                "# anyway, uncomment this table and adjust it:",
                "",
            ]
            lines += ["# " + line for line in PRESETS["seed"].as_toml().splitlines()]
        _write("\n".join(lines) + "\n", None)
    except click.ClickException:
        raise
    except Exception as exc:  # noqa: BLE001 - never a traceback
        _command_error(exc, debug)


if __name__ == "__main__":  # pragma: no cover
    main()
