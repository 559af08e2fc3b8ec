"""The command line: ``flakelint [check] [PATH ...]``, ``rule``, ``rules``.

Exit codes are part of the contract: 0 clean, 1 findings, 2 usage, config or
internal error. No Python traceback reaches the user unless ``--debug`` asks
for one; a failure is one line on stderr.
"""

from __future__ import annotations

import datetime as dt
import os
import sys

import click

from flakelint import __version__

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
OUTPUT_FORMATS = ("full", "concise", "json", "github", "sarif")


class DefaultToCheck(click.Group):
    """A group whose default command is ``check``: ``flakelint .`` means ``flakelint check .``."""

    def parse_args(self, ctx, args):
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")):
            args = ["check", *args]
        return super().parse_args(ctx, args)


def _split_codes(values: tuple[str, ...]) -> list[str]:
    return [code.strip() for value in values for code in value.split(",") if code.strip()]


def parse_now(value: str) -> float:
    """``--now``: seconds since the epoch, or a date ``YYYY-MM-DD`` (UTC midnight)."""
    text = value.strip()
    if text.lstrip("-").isdigit():
        return float(int(text))
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither seconds since the epoch nor a date YYYY-MM-DD") from None
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp()


def resolve_now(option: str | None) -> float | None:
    if option is not None:
        return parse_now(option)
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        if not epoch.isdigit():
            raise click.UsageError(f"SOURCE_DATE_EPOCH={epoch!r} is not a whole number of seconds")
        return float(epoch)
    return None


def _write(text: str, output_file: str | None) -> None:
    if output_file:
        with open(output_file, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        return
    stream = sys.stdout
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        stream.flush()
        buffer.write(text.encode("utf-8", "backslashreplace"))
        buffer.flush()
    else:
        stream.write(text)


def _warn(message: str) -> None:
    from flakelint.escape import clean

    click.echo(f"flakelint: warning: {clean(message)}", err=True)


@click.group(cls=DefaultToCheck, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="flakelint", message="%(prog)s %(version)s")
def main():
    """flakelint: lint a Nix flake repository (run `flakelint .`)."""


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
@click.option("--no-cache", is_flag=True, help="Do not read or write the cache (no cache exists yet; accepted).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Print a count per rule instead of the findings.")
@click.option("--now", "now_option", metavar="EPOCH|DATE", help="The time age checks compare with.")
@click.option("--debug", is_flag=True, help="Show Python tracebacks of internal errors.")
def check(paths, output_format, output_file, select, extend_select, ignore, config_path, no_cache, exit_zero, statistics, now_option, debug):
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
        )
    except click.ClickException:
        raise
    except Exception as exc:  # noqa: BLE001 - never a traceback without --debug
        if debug:
            raise
        from flakelint.config import ConfigError
        from flakelint.discover import DiscoveryError
        from flakelint.escape import clean

        if isinstance(exc, (ConfigError, DiscoveryError)):
            click.echo(f"flakelint: error: {clean(str(exc))}", err=True)
        else:
            reason = clean(" ".join(str(exc).split()))[:300]
            click.echo(
                f"flakelint: internal error: {type(exc).__name__}: {reason} (run with --debug for details)",
                err=True,
            )
        sys.exit(EXIT_ERROR)
    sys.exit(code)


def _check(paths, output_format, output_file, select, extend_select, ignore, config_path, exit_zero, statistics, now_option) -> int:
    from flakelint.config import check_selectors
    from flakelint.engine import Overrides, lint
    from flakelint.report import ReportContext, render

    now = resolve_now(now_option)
    overrides = Overrides(
        select=check_selectors(_split_codes(select), "--select") if select else None,
        extend_select=check_selectors(_split_codes(extend_select), "--extend-select"),
        ignore=check_selectors(_split_codes(ignore), "--ignore"),
        config_path=config_path,
    )
    result = lint(paths, overrides, now)
    for warning in result.warnings:
        _warn(warning)
    to_terminal = output_file is None and sys.stdout.isatty()
    if output_format is None:
        output_format = "full" if to_terminal else "concise"
    context = ReportContext(
        files_analysed=result.files_analysed,
        flakes=len(result.flakes),
        color=to_terminal and output_format == "full" and not os.environ.get("NO_COLOR"),
    )
    if statistics:
        text = render_statistics(result.diagnostics)
    else:
        text = render(output_format, result.diagnostics, context)
    _write(text, output_file)
    if result.diagnostics and not exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


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
def rules_command(output_format):
    """List every rule."""
    from flakelint.docs import rules_json, rules_markdown_table, rules_text

    renderers = {"text": rules_text, "json": rules_json, "markdown": rules_markdown_table}
    _write(renderers[output_format](), None)


if __name__ == "__main__":  # pragma: no cover
    main()
