"""Repository layout: the known conventions (presets), detection, and ``[layout]``.

A layout says where a flake keeps its hosts, homes, modules, overlays and
packages. The layout rules (FL3xx) only make sense against the convention a
repository actually follows, so flakelint never assumes one: ``preset =
"auto"`` (the default) picks a preset only when the repository visibly
follows it, and a repository that matches none gets no layout findings at
all. Wrongly assuming a convention would turn every file into a finding,
which is the fastest way to make users turn a linter off.

Directory patterns use placeholders: ``{host}`` and ``{user}`` name the part
of the path that is the host or user, ``{arch}`` a system double
(``x86_64-linux``) that only groups them. A pattern without ``{host}``
(starter configs' ``nixos``) is a single-host layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from typing import Any

from flakelint.globs import files_below

PLACEHOLDER = re.compile(r"\{(host|user|arch)\}")
SEED_CATEGORIES = ("hardware", "desktop", "users", "services", "programs", "home")


@dataclass(frozen=True)
class Layout:
    """Where a convention keeps things; every field settable in ``[layout]``."""

    preset: str
    #: Where the convention is described.
    source: str = ""
    #: "flake": configurations are listed in flake.nix (FL301/FL303 check the
    #: list); "convention": the framework builds one per directory.
    wiring: str = "flake"
    host_dir: str = "hosts/{host}"
    host_files: tuple[str, ...] = ("configuration.nix",)
    hardware_file: str = "hardware-configuration.nix"
    home_dir: str = "home/{user}"
    home_files: tuple[str, ...] = ("home.nix",)
    modules_dir: str = "modules"
    #: Allowed ``modules/<x>/`` names; empty: any name is fine.
    categories: tuple[str, ...] = SEED_CATEGORIES
    overlays_dir: str = "overlays"
    packages_dir: str = "pkgs"
    #: ``.nix`` files expected at the layout's root.
    root_files: tuple[str, ...] = ("flake.nix", "default.nix", "shell.nix")
    #: Other directories the convention keeps ``.nix`` files in.
    extra_dirs: tuple[str, ...] = ("lib", "checks", "shells", "devshells", "templates", "tests", "secrets")
    #: The directory the layout starts in, relative to the flake root ("" = the root).
    prefix: str = ""
    #: Snowfall-lib: a home directory is named ``user@host``.
    home_names_user_at_host: bool = False

    # ------------------------------------------------------------ paths

    def under_prefix(self, path: str) -> str | None:
        """``path`` relative to the layout's prefix (None when outside it)."""
        if not self.prefix:
            return path
        head = self.prefix.rstrip("/") + "/"
        return path[len(head) :] if path.startswith(head) else None

    def full(self, relative: str) -> str:
        return f"{self.prefix.rstrip('/')}/{relative}" if self.prefix else relative

    def host_of(self, path: str) -> tuple[str, str] | None:
        """(host name, host directory) when ``path`` lies in a host directory."""
        return _match_dir(self.host_dir, self.under_prefix(path), "host", self)

    def home_dir_of(self, path: str) -> tuple[str, str] | None:
        """(directory name as written, home directory): ``alice@laptop`` under snowfall-lib."""
        return _match_dir(self.home_dir, self.under_prefix(path), "user", self)

    def home_of(self, path: str) -> tuple[str, str] | None:
        """(user name, home directory) when ``path`` lies in a home directory."""
        found = self.home_dir_of(path)
        if found is None:
            return None
        name, directory = found
        if self.home_names_user_at_host or "@" in name:
            name = name.split("@", 1)[0]
        return name, directory

    def host_directory(self, host: str) -> str | None:
        if "{arch}" in self.host_dir:
            return None  # the architecture is not in the configuration's name
        return self.full(self.host_dir.replace("{host}", host))

    def home_directory(self, user: str) -> str | None:
        if "{arch}" in self.home_dir or self.home_names_user_at_host:
            return None
        return self.full(self.home_dir.replace("{user}", user))

    @property
    def single_host(self) -> bool:
        return "{host}" not in self.host_dir

    @property
    def single_home(self) -> bool:
        return "{user}" not in self.home_dir

    def known_dirs(self) -> list[str]:
        """Top directories (relative to the prefix) where ``.nix`` files belong."""
        dirs = [_top(self.host_dir), _top(self.home_dir), self.modules_dir, self.overlays_dir, self.packages_dir]
        dirs += list(self.extra_dirs)
        return [d for d in dict.fromkeys(dirs) if d]

    # ------------------------------------------------------------ config

    def as_toml(self) -> str:
        """The effective layout as a ``[layout]`` table to paste into flakelint.toml."""
        lines = ["[layout]", f"preset = {_toml(self.preset)}"]
        for name, key in CONFIG_KEYS.items():
            lines.append(f"{key} = {_toml(getattr(self, name))}")
        return "\n".join(lines) + "\n"


def _top(pattern: str) -> str:
    return pattern.split("/", 1)[0] if pattern and not pattern.startswith("{") else ""


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


_PATTERN_CACHE: dict[str, re.Pattern] = {}


def _dir_regex(pattern: str) -> re.Pattern:
    compiled = _PATTERN_CACHE.get(pattern)
    if compiled is None:
        parts = []
        last = 0
        for match in PLACEHOLDER.finditer(pattern):
            parts.append(re.escape(pattern[last : match.start()]))
            parts.append(f"(?P<{match.group(1)}>[^/]+)")
            last = match.end()
        parts.append(re.escape(pattern[last:]))
        compiled = re.compile("^(" + "".join(parts) + ")/")
        _PATTERN_CACHE[pattern] = compiled
    return compiled


def _match_dir(pattern: str, path: str | None, key: str, layout: Layout) -> tuple[str, str] | None:
    if path is None or not pattern:
        return None
    match = _dir_regex(pattern).match(path)
    if match is None:
        return None
    name = match.groupdict().get(key) or ""
    return name, layout.full(match.group(1))


# ---------------------------------------------------------------- presets

PRESETS: dict[str, Layout] = {
    "seed": Layout(
        preset="seed",
        source="flakelint's default layout (docs/layout.md): hosts/<host>/configuration.nix, home/<user>/home.nix, modules/<category>/",
    ),
    "starter": Layout(
        preset="starter",
        source="https://github.com/Misterio77/nix-starter-configs (standard template)",
        host_dir="nixos",
        home_dir="home-manager",
        categories=("nixos", "home-manager"),
    ),
    "snowfall": Layout(
        preset="snowfall",
        source="https://snowfall.org/guides/lib/quickstart/ (snowfall-lib: systems/<arch>/<host>, homes/<arch>/<user>@<host>)",
        wiring="convention",
        host_dir="systems/{arch}/{host}",
        host_files=("default.nix",),
        home_dir="homes/{arch}/{user}",
        home_files=("default.nix",),
        categories=("nixos", "darwin", "home"),
        packages_dir="packages",
        extra_dirs=("lib", "checks", "shells", "templates", "secrets"),
        home_names_user_at_host=True,
    ),
    "blueprint": Layout(
        preset="blueprint",
        source="https://github.com/numtide/blueprint/blob/main/docs/content/getting-started/folder_structure.md",
        wiring="convention",
        host_dir="hosts/{host}",
        host_files=(
            "default.nix",
            "configuration.nix",
            "darwin-configuration.nix",
            "system-configuration.nix",
            "rpi-configuration.nix",
        ),
        home_dir="hosts/{host}/users/{user}",
        home_files=("home-configuration.nix",),
        categories=(),  # "any folder name" (blueprint exposes unknown types as modules.<type>)
        packages_dir="packages",
        root_files=("flake.nix", "default.nix", "shell.nix", "formatter.nix", "devshell.nix", "package.nix"),
        extra_dirs=("lib", "checks", "devshells", "templates", "secrets"),
    ),
    "nixos-unified": Layout(
        preset="nixos-unified",
        source="https://nixos-unified.org/autowiring (configurations/{nixos,darwin,home}/, modules/{nixos,darwin,home,flake}/)",
        wiring="convention",
        host_dir="configurations/nixos/{host}",
        host_files=("default.nix",),
        home_dir="configurations/home/{user}",
        home_files=("default.nix",),
        categories=("nixos", "darwin", "home", "flake", "flake-parts"),
        packages_dir="packages",
        extra_dirs=("configurations", "lib", "checks", "secrets"),
    ),
    "ez-configs": Layout(
        preset="ez-configs",
        source="https://github.com/ehllie/ez-configs (nixos-configurations/, home-configurations/, <type>-modules/)",
        wiring="convention",
        host_dir="nixos-configurations/{host}",
        host_files=("default.nix",),
        home_dir="home-configurations/{user}",
        home_files=("default.nix",),
        modules_dir="",
        categories=(),
        packages_dir="packages",
        extra_dirs=(
            "darwin-configurations",
            "nixos-modules",
            "darwin-modules",
            "home-modules",
            "lib",
            "checks",
            "secrets",
        ),
    ),
}

#: Layout field -> key in ``[layout]``.
CONFIG_KEYS = {
    "host_dir": "host-dir",
    "host_files": "host-files",
    "hardware_file": "hardware-file",
    "home_dir": "home-dir",
    "home_files": "home-files",
    "modules_dir": "modules-dir",
    "categories": "categories",
    "overlays_dir": "overlays-dir",
    "packages_dir": "packages-dir",
    "root_files": "root-files",
    "extra_dirs": "extra-dirs",
    "prefix": "prefix",
}
LIST_KEYS = {"host_files", "home_files", "categories", "root_files", "extra_dirs"}
PRESET_NAMES = ("auto", "none", *PRESETS)


@dataclass
class LayoutConfig:
    """The ``[layout]`` table as written (validated)."""

    preset: str = "auto"
    overrides: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain data (the settings keep this, so the cache key can hash it)."""
        return {"preset": self.preset, **{k: list(v) if isinstance(v, tuple) else v for k, v in self.overrides.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "LayoutConfig":
        data = dict(data or {})
        preset = data.pop("preset", "auto")
        return cls(preset, {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def parse_layout_table(table: Any, display: str) -> dict[str, Any]:
    """Validate ``[layout]`` (as plain data); raises :class:`flakelint.config.ConfigError`."""
    return _parse_layout_table(table, display).as_dict()


def _parse_layout_table(table: Any, display: str) -> LayoutConfig:
    from flakelint.config import ConfigError

    if not isinstance(table, dict):
        raise ConfigError(f"{display}: 'layout' must be a table")
    config = LayoutConfig()
    keys_to_fields = {key: name for name, key in CONFIG_KEYS.items()}
    for key, value in table.items():
        if key == "preset":
            if not isinstance(value, str) or value not in PRESET_NAMES:
                raise ConfigError(f"{display}: [layout] 'preset' must be one of: {', '.join(PRESET_NAMES)}")
            config.preset = value
            continue
        name = keys_to_fields.get(key)
        if name is None:
            known = ", ".join(["preset", *CONFIG_KEYS.values()])
            raise ConfigError(f"{display}: [layout]: unknown key '{key}' (known: {known})")
        if name in LIST_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) and _plain(v, allow_slash=name == "extra_dirs") for v in value):
                raise ConfigError(f"{display}: [layout] '{key}' must be a list of names")
            value = tuple(v.strip("/") for v in value)
        else:
            if not isinstance(value, str) or not _plain(value, allow_slash=True, allow_empty=name in ("prefix", "modules_dir")):
                raise ConfigError(f"{display}: [layout] '{key}' must be a relative path without '..'")
            value = value.strip("/")
            if name == "host_dir" and "{user}" in value or name == "home_dir" and "{host}" in value and "{user}" not in value:
                raise ConfigError(f"{display}: [layout] '{key}': wrong placeholder")
            bad = {m.group(0) for m in re.finditer(r"\{[^}]*\}", value)} - {"{host}", "{user}", "{arch}"}
            if bad:
                raise ConfigError(f"{display}: [layout] '{key}': unknown placeholder {sorted(bad)[0]} (known: {{host}}, {{user}}, {{arch}})")
        config.overrides[name] = value
    return config


def _plain(value: str, allow_slash: bool, allow_empty: bool = False) -> bool:
    text = value.strip("/")
    if not text:
        return allow_empty
    if text.startswith("~") or ".." in text.split("/") or "\\" in text or "\0" in text:
        return False
    return allow_slash or "/" not in text


# ---------------------------------------------------------------- detection


@dataclass(frozen=True)
class Choice:
    """The layout in force for a flake, and why (for the report header)."""

    layout: Layout | None
    reason: str

    @property
    def name(self) -> str:
        return self.layout.preset if self.layout is not None else "none"

    def describe(self) -> str:
        return f"layout: {self.name} ({self.reason})"


#: Frameworks with layouts flakelint does not check; with one of them in the
#: flake, no layout applies (even beside a known one: clan's machines/ next
#: to snowfall-lib's systems/).
UNKNOWN_FRAMEWORKS = (
    ("nix-community/flakelight", "flakelight"),
    ("clan-core", "clan"),
    ("divnix/std", "std"),
    ("divnix/hive", "hive"),
    ("gytis-ivaskevicius/flake-utils-plus", "flake-utils-plus"),
    ("divnix/digga", "digga"),
    ("nix-community/haumea", "haumea"),
    ("vic/import-tree", "import-tree"),
)

_INPUT_URL = re.compile(rb"""["']([a-z+]+:[^"'\s]+)["']""")


def framework_of(flake_text: bytes) -> tuple[str | None, str]:
    """The layout framework ``flake.nix`` uses, by its input URL (and how it is called)."""
    urls = [m.group(1).decode("utf-8", "replace").lower() for m in _INPUT_URL.finditer(flake_text)]

    def has(fragment: str) -> bool:
        return any(fragment in url for url in urls)

    for marker, name in UNKNOWN_FRAMEWORKS:
        if has(marker):
            return None, f"flake.nix uses {name}, whose layout flakelint does not check"
    if has("snowfallorg/lib") and b"mkFlake" in flake_text:
        return "snowfall", "flake.nix calls snowfall-lib's mkFlake"
    if has("numtide/blueprint") and re.search(rb"\bblueprint\b\s*\{", flake_text):
        return "blueprint", "flake.nix calls numtide/blueprint"
    if has("srid/nixos-unified") and (b"autoWire" in flake_text or re.search(rb"nixos-unified\.lib\.mkFlake", flake_text)):
        return "nixos-unified", "flake.nix uses nixos-unified (autowiring configurations/ and modules/)"
    if has("ehllie/ez-configs") and b"ezConfigs" in flake_text:
        return "ez-configs", "flake.nix uses ez-configs"
    for marker, name in (
        ("snowfallorg/lib", "snowfall-lib (not through mkFlake)"),
        ("numtide/blueprint", "blueprint"),
        ("srid/nixos-unified", "nixos-unified without autowiring"),
        ("ehllie/ez-configs", "ez-configs"),
    ):
        if has(marker):
            return None, f"flake.nix uses {name}, whose layout flakelint does not check"
    return "", ""


def _framework_prefix(preset: str, flake_text: bytes) -> str | None:
    """The directory a framework is told to load from (None: computed, unknown)."""
    text = flake_text.decode("utf-8", "replace")
    if preset == "snowfall":
        match = re.search(r"\broot\s*=\s*([^;]+);", text)
    elif preset == "blueprint":
        match = re.search(r"\bprefix\s*=\s*([^;]+);", text)
    elif preset == "ez-configs":
        if re.search(r"(configurationsDirectory|modulesDirectory)\s*=", text):
            return None
        match = re.search(r"ezConfigs\.root\s*=\s*([^;]+);|\broot\s*=\s*([^;]+);", text)
    else:
        return ""
    if match is None:
        return ""
    value = next(g for g in match.groups() if g is not None).strip()
    literal = re.fullmatch(r'"([\w./-]*)"|(\./[\w./-]*|\.)', value)
    if literal is None:
        # `root = self;` (the flake's own source) is the flake root too.
        return "" if value in ("self", "inputs.self") else None
    path = (literal.group(1) if literal.group(1) is not None else literal.group(2)).strip("/")
    path = re.sub(r"^\./?", "", path).strip("/")
    if path in ("", "."):
        return ""
    if ".." in path.split("/"):
        return None
    return path


def detect(files: list[str], flake_text: bytes | None) -> Choice:
    """The preset a repository visibly follows, or no layout at all.

    Remembered for the last few listings: a run asks once for the rules and
    once for the report header.
    """
    return _detect(tuple(files), flake_text)


@lru_cache(maxsize=8)
def _detect(files: tuple[str, ...], flake_text: bytes | None) -> Choice:
    framework, reason = framework_of(flake_text or b"")
    if framework is None:
        return Choice(None, reason)
    if framework:
        prefix = _framework_prefix(framework, flake_text or b"")
        if prefix is None:
            return Choice(None, f"{reason}, from a directory flakelint cannot compute")
        layout = replace(PRESETS[framework], prefix=prefix)
        return Choice(layout, reason + (f" (prefix {prefix}/)" if prefix else ""))
    nix_files = [f for f in files if f.endswith(".nix")]
    seed = _seed_evidence(nix_files)
    if seed:
        return Choice(PRESETS["seed"], seed)
    starter = _starter_evidence(nix_files, flake_text or b"")
    if starter:
        return Choice(PRESETS["starter"], starter)
    return Choice(None, "the repository follows no layout flakelint knows")


def _children(files: list[str], directory: str) -> dict[str, list[str]]:
    """Sub-directory name -> the files below it, for one directory; ``files`` sorted.

    Only the slice of the listing below ``directory`` is looked at, not every
    file of the repository.
    """
    found: dict[str, list[str]] = {}
    cut = len(directory) + 1
    for f in files_below(files, directory):
        child, slash, below = f[cut:].partition("/")
        if slash:
            found.setdefault(child, []).append(below)
    return found


def _seed_evidence(nix_files: list[str]) -> str:
    """Why the repository follows the seed layout ("" when it does not).

    Hosts must mostly be ``hosts/<h>/configuration.nix``, and besides hosts
    at least one more part of the convention must be there and be mostly
    right: homes as ``home/<u>/home.nix`` or modules sorted into the seed
    categories. A repository with ``hosts/<h>/default.nix`` and
    ``modules/nixos/`` follows another convention and gets no findings.
    """
    nix_files = sorted(f for f in nix_files if not _hidden(f))
    hosts = _children(nix_files, "hosts")
    with_entry = [h for h, inner in hosts.items() if "configuration.nix" in inner]
    if not with_entry or len(with_entry) * 2 < len(hosts):
        return ""
    signals = []
    homes = _children(nix_files, "home")
    if not homes and any("home.nix" in inner for inner in hosts.values()):
        return ""  # homes kept per host (hosts/<h>/home.nix): another convention
    if homes:
        good = [u for u, inner in homes.items() if "home.nix" in inner]
        if len(good) * 2 < len(homes):
            return ""
        if good:
            signals.append("home/<user>/home.nix")
    modules = _children(nix_files, "modules")
    if modules:
        good = [c for c in modules if c in SEED_CATEGORIES]
        if len(good) * 2 < len(modules):
            return ""
        if good:
            signals.append("modules/<category>/")
    if not signals:
        return ""
    return "hosts/<host>/configuration.nix and " + " and ".join(signals)


def _hidden(path: str) -> bool:
    """A path with a component starting with a dot: disabled or tooling, never part of a layout."""
    return path.startswith(".") or "/." in path  # a component starting with "." (one split per file cost 0.01 CPU-s on 4k files)


def _starter_evidence(nix_files: list[str], flake_text: bytes) -> str:
    names = set(nix_files)
    if "nixos/configuration.nix" not in names or any(f.startswith("hosts/") for f in names):
        return ""
    if "home-manager/home.nix" in names or b"./nixos/configuration.nix" in flake_text:
        return "nixos/configuration.nix (Misterio77's nix-starter-configs)"
    return ""


def choose(files: list[str], flake_text: bytes | None, table: dict[str, Any] | None) -> Choice:
    """The layout for a flake: ``[layout]`` (as :func:`parse_layout_table` gives it) when it names one, else detection."""
    config = LayoutConfig.from_dict(table)
    if config.preset == "none":
        return Choice(None, "[layout] preset = \"none\"")
    if config.preset == "auto" and not config.overrides:
        return detect(files, flake_text)
    if config.preset == "auto":
        detected = detect(files, flake_text)
        base = detected.layout or PRESETS["seed"]
        reason = f"{detected.reason}, adjusted by [layout]" if detected.layout else "[layout] settings on the seed layout"
    else:
        base = PRESETS[config.preset]
        reason = f"[layout] preset = \"{config.preset}\""
        if config.overrides:
            reason += ", adjusted by [layout]"
    valid = {f.name for f in fields(Layout)}
    return Choice(replace(base, **{k: v for k, v in config.overrides.items() if k in valid}), reason)


def choice_for_repo(repo) -> Choice:
    """The layout of a linted flake (memoised on the repository model)."""
    cache = repo._cache
    if "layout" not in cache:
        source = repo.sources.get("flake.nix") if "flake.nix" in repo.files else None
        text = source.data if source is not None else None
        cache["layout"] = choose(repo.files, text, getattr(repo.settings, "layout", None))
    return cache["layout"]


def choice_for_flake(flake, settings) -> Choice:
    """The layout of a flake without parsing it (for report headers and ``flakelint init``)."""
    import os

    from flakelint.parse import read_source

    text = None
    if "flake.nix" in flake.files:
        data = read_source(os.path.join(flake.root, "flake.nix"), "flake.nix", flake.root, settings.max_file_size)
        text = data if isinstance(data, bytes) else None
    return choose(flake.files, text, settings.layout)
