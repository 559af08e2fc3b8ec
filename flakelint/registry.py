"""The rule registry, discovered from the ``flakelint.rules`` package.

No hand-kept list: every module under ``rules/`` is imported and every
:class:`~flakelint.rule.Rule` subclass defined in it with a ``code`` is a rule.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from flakelint.rule import EngineRule, FileRule, RepoRule, Rule, validate_rule_class


class RegistryError(Exception):
    """The installed rules are inconsistent (a bug in flakelint, exit 2)."""


@lru_cache(maxsize=1)
def all_rules() -> dict[str, type[Rule]]:
    """Every rule, keyed by code, in code order."""
    import flakelint.rules as package

    found: dict[str, type[Rule]] = {}
    names: dict[str, str] = {}
    problems: list[str] = []
    for module_info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if not (isinstance(value, type) and issubclass(value, Rule)):
                continue
            if value in (Rule, FileRule, RepoRule, EngineRule) or value.__module__ != module.__name__:
                continue
            if not getattr(value, "code", None):
                continue
            problems += validate_rule_class(value)
            if value.code in found:
                problems.append(f"{value.code} is defined twice ({module.__name__})")
            if value.name in names:
                problems.append(f"rule name {value.name} is used by {names[value.name]} and {value.code}")
            found[value.code] = value
            names[value.name] = value.code
    if problems:
        raise RegistryError("; ".join(problems))
    return dict(sorted(found.items()))


def rule_by_code_or_name(key: str) -> type[Rule] | None:
    rules = all_rules()
    upper = key.strip().upper()
    if upper in rules:
        return rules[upper]
    for rule in rules.values():
        if rule.name == key.strip().lower():
            return rule
    return None


def codes_matching(prefix: str) -> list[str]:
    """Codes a selector (``ALL``, ``FL``, ``FL2``, ``FL20``, ``FL201``) names."""
    key = prefix.strip().upper()
    if key == "ALL":
        return list(all_rules())
    return [code for code in all_rules() if code.startswith(key)]
