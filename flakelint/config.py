"""flakelint.toml / .flakelint.toml: reading, validating, and rule selection.

Nothing is linted with a half-read configuration: an unknown key, a value of
the wrong type or an unknown rule code is a :class:`ConfigError` naming the
file and the key, which the CLI turns into exit 2.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from flakelint.diagnostic import Severity
from flakelint.globs import path_glob_match, path_glob_regex
from flakelint.parse import DEFAULT_MAX_FILE_SIZE
from flakelint.registry import codes_matching, rule_index

CONFIG_FILE_NAMES = ("flakelint.toml", ".flakelint.toml")
TOP_LEVEL_KEYS = {
    "select",
    "extend-select",
    "ignore",
    "per-file-ignores",
    "exclude",
    "max-file-size",
    "rules",
    "layout",
}
_SIZE = re.compile(r"^\s*(\d+)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$", re.I)
_UNITS = {None: 1, "b": 1, "kb": 1000, "kib": 1024, "mb": 10**6, "mib": 2**20, "gb": 10**9, "gib": 2**30}


class ConfigError(Exception):
    """An invalid configuration; the message names the file and the key."""


@dataclass
class Settings:
    select: list[str] | None = None
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    rule_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The validated ``[layout]`` table (see :func:`flakelint.layout.parse_layout_table`); None: detect.
    layout: dict[str, Any] | None = None
    source: str | None = None  # the config file these came from
    # The command line's selectors: a second layer applied on top of the
    # file's (see :meth:`enabled_codes`).
    cli_select: list[str] | None = None
    cli_extend_select: list[str] = field(default_factory=list)
    cli_ignore: list[str] = field(default_factory=list)

    def apply_cli(self, select: list[str] | None, extend_select: list[str], ignore: list[str]) -> None:
        """Record the command line's ``--select/--extend-select/--ignore`` (idempotent)."""
        self.cli_select = None if select is None else [s.upper() for s in select]
        self.cli_extend_select = [s.upper() for s in extend_select]
        self.cli_ignore = [s.upper() for s in ignore]

    def enabled_codes(self) -> frozenset[str]:
        """Codes that run.

        Two layers, the config file's and then the command line's. Within a
        layer the most specific selector wins (``FL001`` beats ``FL0`` beats
        ``ALL``) and ``ignore`` wins ties. A layer with ``select`` starts
        afresh (so ``--select`` on the command line replaces the file's
        whole selection); a layer without one adjusts the result of the
        layer below. With no ``select`` anywhere the starting set is every
        rule that is not info-level.
        """
        rules = rule_index()
        enabled = {code for code, rule in rules.items() if rule.severity > Severity.INFO}
        for select, extend, ignore in (
            (self.select, self.extend_select, self.ignore),
            (self.cli_select, self.cli_extend_select, self.cli_ignore),
        ):
            enabled = _apply_layer(enabled, rules, select, extend, ignore)
        return frozenset(enabled)

    def ignores_explicitly(self, code: str) -> bool:
        """Does an ``ignore`` selector (file or command line) name this code?"""
        return any(_selects(selector, code) and selector.strip().upper() != "ALL" for selector in self.ignore + self.cli_ignore)

    def ignored_for(self, relpath: str) -> set[str]:
        """Codes ``per-file-ignores`` turns off for one file."""
        codes: set[str] = set()
        for pattern, selectors in self.per_file_ignores.items():
            if glob_matches(pattern, relpath):
                for selector in selectors:
                    codes.update(codes_matching(selector))
        return codes

    def is_excluded(self, relpath: str) -> bool:
        return any(glob_matches(pattern, relpath) for pattern in self.exclude)


def _apply_layer(enabled: set[str], rules, select, extend, ignore) -> set[str]:
    positives = (select or []) + extend
    result = set() if select is not None else set(enabled)
    for code in rules:
        best_on = max((_specificity(s) for s in positives if _selects(s, code)), default=-1)
        best_off = max((_specificity(s) for s in ignore if _selects(s, code)), default=-1)
        if best_off >= 0 and best_off >= best_on:
            result.discard(code)
        elif best_on >= 0:
            result.add(code)
    return result


def _specificity(selector: str) -> int:
    key = selector.strip().upper()
    return 0 if key == "ALL" else len(key)


def _selects(selector: str, code: str) -> bool:
    key = selector.strip().upper()
    return key == "ALL" or code.startswith(key)


def find_config(root: str) -> str | None:
    for name in CONFIG_FILE_NAMES:
        candidate = os.path.join(root, name)
        if os.path.isfile(candidate):
            return candidate
    return None


def load_settings(path: str | None) -> Settings:
    """Settings from a config file (``None``: the defaults)."""
    if path is None:
        return Settings()
    display = path
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{display}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{display}: cannot read config file: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{display}: not valid TOML: {exc}") from None
    return settings_from_mapping(data, display)


def settings_from_mapping(data: dict[str, Any], display: str) -> Settings:
    settings = Settings(source=display)
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise ConfigError(f"{display}: unknown key '{key}' (known: {', '.join(sorted(TOP_LEVEL_KEYS))})")
    if "select" in data:
        settings.select = _code_list(data["select"], display, "select")
    settings.extend_select = _code_list(data.get("extend-select", []), display, "extend-select")
    settings.ignore = _code_list(data.get("ignore", []), display, "ignore")
    settings.exclude = _string_list(data.get("exclude", []), display, "exclude")
    for pattern in settings.exclude:
        _check_glob(pattern, display, "exclude")
    per_file = data.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        raise ConfigError(f"{display}: 'per-file-ignores' must be a table of glob = [codes]")
    for pattern, codes in per_file.items():
        key = f'per-file-ignores."{pattern}"'
        _check_glob(pattern, display, key)
        settings.per_file_ignores[pattern] = _code_list(codes, display, key)
    if "max-file-size" in data:
        settings.max_file_size = parse_size(data["max-file-size"], f"{display}: 'max-file-size'")
    if "layout" in data:
        from flakelint.layout import parse_layout_table

        settings.layout = parse_layout_table(data["layout"], display)
    rules_table = data.get("rules", {})
    if not isinstance(rules_table, dict):
        raise ConfigError(f"{display}: 'rules' must be a table of [rules.FLnnn] tables")
    for code, options in rules_table.items():
        settings.rule_options[code.upper()] = validate_rule_options(code, options, display)
    return settings


def validate_rule_options(code: str, options: Any, display: str) -> dict[str, Any]:
    info = rule_index().get(code.upper())
    if info is None:
        raise ConfigError(f"{display}: [rules.{code}]: unknown rule code")
    rule = info.load()
    if not isinstance(options, dict):
        raise ConfigError(f"{display}: [rules.{code}] must be a table")
    for key, value in options.items():
        option = rule.options.get(key)
        if option is None:
            known = ", ".join(sorted(rule.options)) or "none"
            raise ConfigError(f"{display}: [rules.{code}]: unknown option '{key}' (options of {code}: {known})")
        types = _as_tuple(option.type)
        if float in types and isinstance(value, int) and not isinstance(value, bool):
            continue  # an integer is a fine float
        if isinstance(value, bool) and bool not in types:
            raise ConfigError(f"{display}: [rules.{code}] '{key}' must be {_type_name(option.type)}")
        if not isinstance(value, types):
            raise ConfigError(f"{display}: [rules.{code}] '{key}' must be {_type_name(option.type)}")
    return dict(options)


def _as_tuple(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def _type_name(types) -> str:
    return " or ".join(t.__name__ for t in _as_tuple(types))


def _string_list(value: Any, display: str, key: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{display}: '{key}' must be a list of strings")
    return list(value)


def _code_list(value: Any, display: str, key: str) -> list[str]:
    codes = [c.strip() for c in _string_list(value, display, key)]
    for selector in codes:
        if not _SELECTOR.match(selector) or not codes_matching(selector):
            raise ConfigError(f"{display}: '{key}': unknown rule code or prefix '{selector}'")
    return [c.upper() for c in codes]


_SELECTOR = re.compile(r"^(?:ALL|FL\d{0,3})$", re.I)


def check_selectors(selectors: list[str], where: str) -> list[str]:
    """Validate code selectors given on the command line (``where`` names the option)."""
    for selector in selectors:
        if not _SELECTOR.match(selector) or not codes_matching(selector):
            raise ConfigError(f"{where}: unknown rule code or prefix '{selector}'")
    return [c.upper() for c in selectors]


def _check_glob(pattern: str, display: str, key: str) -> None:
    if not pattern.strip():
        raise ConfigError(f"{display}: '{key}': an empty glob pattern matches nothing")
    try:
        path_glob_regex(pattern)
    except re.error as exc:
        raise ConfigError(f"{display}: '{key}': invalid glob pattern {pattern!r}: {exc}") from None


def parse_size(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"{where} must be a size in bytes or a string like \"4MiB\"")
    if isinstance(value, int):
        if value <= 0:
            raise ConfigError(f"{where} must be positive")
        return value
    if isinstance(value, str):
        match = _SIZE.match(value)
        if match:
            unit = match.group(2).lower() if match.group(2) else None
            size = int(match.group(1)) * _UNITS[unit]
            if size > 0:
                return size
    raise ConfigError(f"{where} must be a size in bytes or a string like \"4MiB\"")


def glob_matches(pattern: str, relpath: str) -> bool:
    """gitignore-like globs against a root-relative path.

    ``*`` and ``?`` stay within one path component, ``**`` crosses them, a
    pattern without a slash matches at any depth, and a directory pattern
    matches every file below it.
    """
    return path_glob_match(pattern, relpath)
