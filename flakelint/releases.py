"""The NixOS release calendar and the names of nixpkgs branches, offline.

NixOS releases twice a year, ``YY.05`` (end of May) and ``YY.11`` (end of
November), and each release is maintained for about seven months: ``YY.05``
until the end of December of the same year, ``YY.11`` until the end of June of
the next. So which releases are maintained on a given day is a function of
the date alone, and flakelint never needs the network to know it. The window
opens on the first day of the release month, because the ``nixos-YY.MM``
branch exists (and is what users switch to) a few weeks before the release
announcement.

Branch names understood here (nixpkgs, home-manager, nix-darwin):

``nixos-YY.MM`` ``nixos-YY.MM-small`` ``nixpkgs-YY.MM-darwin``  nixpkgs channels of a release
``nixos-unstable`` ``nixos-unstable-small`` ``nixpkgs-unstable``  nixpkgs unstable channels
``release-YY.MM``                                  a release branch (home-manager, nixpkgs)
``nix-darwin-YY.MM``                               a nix-darwin release branch
``master`` ``main``                                the development branch (unstable)
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

#: Months a NixOS release is maintained after its release month.
SUPPORT_MONTHS = 7
RELEASE_MONTHS = (5, 11)

UNSTABLE_CHANNELS = ("nixos-unstable", "nixos-unstable-small", "nixpkgs-unstable")
_VERSION = r"(?P<version>\d{2}\.\d{2})"
_BRANCH_PATTERNS = (
    (re.compile(rf"^nixos-{_VERSION}$"), "channel"),
    (re.compile(rf"^nixos-{_VERSION}-small$"), "channel"),
    (re.compile(rf"^nixpkgs-{_VERSION}-darwin$"), "channel"),
    (re.compile(rf"^release-{_VERSION}$"), "release-branch"),
    (re.compile(rf"^nix-darwin-{_VERSION}$"), "release-branch"),
)


@dataclass(frozen=True)
class Branch:
    """What a branch name says about the NixOS release it tracks."""

    name: str
    #: "unstable" (an unstable channel or master), "release" (tied to one
    #: release), or "other" (anything else: staging, a feature branch…).
    track: str
    version: str | None = None  # "24.05" for release branches
    #: True for the names nixpkgs publishes as channels (nixos-24.05,
    #: nixos-unstable, nixpkgs-24.05-darwin …); False for master/release-YY.MM.
    channel: bool = False


def parse_branch(name: str | None) -> Branch | None:
    """Classify a branch name; None when there is no name (no ref given)."""
    if not name:
        return None
    short = name[len("refs/heads/") :] if name.startswith("refs/heads/") else name
    if short in UNSTABLE_CHANNELS:
        return Branch(short, "unstable", channel=True)
    if short in ("master", "main"):
        return Branch(short, "unstable")
    for pattern, kind in _BRANCH_PATTERNS:
        match = pattern.match(short)
        if match:
            return Branch(short, "release", match.group("version"), channel=kind == "channel")
    return Branch(short, "other")


def is_release_version(version: str) -> bool:
    """``24.05`` and ``24.11`` are NixOS release numbers; ``24.13`` is not."""
    match = re.fullmatch(r"(\d{2})\.(\d{2})", version)
    return bool(match) and 1 <= int(match.group(2)) <= 12


def release_start(version: str) -> date:
    year, month = _year_month(version)
    return date(year, month, 1)


def end_of_life(version: str) -> date:
    """The last day ``version`` is maintained: the end of the 7th month after its release month."""
    year, month = _year_month(version)
    month += SUPPORT_MONTHS
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def is_maintained(version: str, now: float) -> bool:
    """Is this release still maintained on day ``now`` (seconds since the epoch)?"""
    if not is_release_version(version):
        return False
    return _day(now) <= end_of_life(version)


def maintained_releases(now: float) -> list[str]:
    """The releases maintained on day ``now`` that already exist (branched), oldest first."""
    today = _day(now)
    found = []
    for year in range(today.year - 2, today.year + 1):
        for month in RELEASE_MONTHS:
            version = f"{year % 100:02d}.{month:02d}"
            if release_start(version) <= today <= end_of_life(version):
                found.append(version)
    return found


def _year_month(version: str) -> tuple[int, int]:
    yy, mm = version.split(".")
    return 2000 + int(yy), int(mm)


def _day(now: float) -> date:
    return datetime.fromtimestamp(now, tz=timezone.utc).date()
