"""The rule registry, discovered from the ``flakelint.rules`` package.

No hand-kept list: every module under ``rules/`` is imported and every
:class:`~flakelint.rule.Rule` subclass defined in it with a ``code`` is a rule.

Importing every rule module costs 40-50 ms, which a run whose results come
from the cache would spend only to learn rule names and severities. So the
few facts selection, reporting and the cache need (code, name, severity,
module, whether the rule reads the clock) are also kept in a generated
index, ``flakelint/data/rules.json`` (written by ``python -m flakelint.docs
--write`` from the classes themselves, and checked against them by
``tests/test_docs_sync.py``): :func:`rule_index` reads it, and
:meth:`RuleInfo.load` imports one rule's module when that rule has to run.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
from dataclasses import dataclass
from functools import lru_cache

from flakelint import DATA_DIR
from flakelint.diagnostic import Severity
from flakelint.rule import EngineRule, FileRule, RepoRule, Rule, validate_rule_class

#: The generated index of the rules (see the module docstring).
INDEX_PATH = os.path.join(DATA_DIR, "rules.json")


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


@dataclass(frozen=True)
class RuleInfo:
    """What the index knows of a rule without importing it."""

    code: str
    name: str
    severity: Severity
    module: str
    uses_clock: bool

    def load(self) -> type[Rule]:
        """The rule's class (importing its module only, unless every rule is loaded already)."""
        if all_rules.cache_info().currsize:
            return all_rules()[self.code]
        module = importlib.import_module(self.module)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Rule) and getattr(value, "code", None) == self.code:
                return value
        raise RegistryError(f"{self.code}: not defined in {self.module} (the rule index is stale)")


def index_data() -> dict[str, list]:
    """The content of the generated index, from the rule classes: {code: [name, severity, module, uses_clock]}."""
    return {
        code: [rule.name, rule.severity.label, rule.__module__, bool(rule.uses_clock)]
        for code, rule in all_rules().items()
    }


@lru_cache(maxsize=1)
def rule_index() -> dict[str, RuleInfo]:
    """Every rule's :class:`RuleInfo`, keyed by code, in code order; from the generated index.

    From the rule classes instead when they are all loaded already, when the
    index cannot be read (a broken install), or when it does not name
    exactly the rule modules there are (a checkout where a rule file was
    added, renamed or removed and the index not written again: the rule must
    not silently stop running). Tests that register rules of their own in
    :func:`all_rules` clear this memo (``cache_clear``).
    """
    if all_rules.cache_info().currsize:
        return _index_of_classes()
    try:
        with open(INDEX_PATH, encoding="utf-8") as handle:
            data = json.load(handle)
        severities = {severity.label: severity for severity in Severity}
        index = {
            code: RuleInfo(code, name, severities[label], module, uses_clock)
            for code, (name, label, module, uses_clock) in sorted(data.items())
        }
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return _index_of_classes()
    if {info.module for info in index.values()} != rule_modules():
        return _index_of_classes()
    return index


def rule_modules() -> set[str]:
    """The modules of the rules package, one rule each (``flakelint.rules.<family>.<rule>``), from the file names.

    A directory listing per family (well under a millisecond), not an import.
    """
    import flakelint.rules as package

    found = set()
    for directory in package.__path__:
        with os.scandir(directory) as families:
            for family in families:
                if not family.is_dir() or family.name.startswith(("_", ".")):
                    continue
                with os.scandir(family.path) as files:
                    for entry in files:
                        if entry.name.endswith(".py") and entry.name != "__init__.py":
                            found.add(f"{package.__name__}.{family.name}.{entry.name[:-3]}")
    return found


def _index_of_classes() -> dict[str, RuleInfo]:
    return {
        code: RuleInfo(code, rule.name, rule.severity, rule.__module__, bool(rule.uses_clock))
        for code, rule in all_rules().items()
    }


def rule_by_code_or_name(key: str) -> type[Rule] | None:
    info = info_by_code_or_name(key)
    return info.load() if info is not None else None


def info_by_code_or_name(key: str) -> RuleInfo | None:
    rules = rule_index()
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
        return list(rule_index())
    return [code for code in rule_index() if code.startswith(key)]
