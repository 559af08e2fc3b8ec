"""The ``flake.nix`` inputs model, read statically (never evaluated).

Two parts. *Flake references*: the url strings of inputs, parsed the way Nix
reads them (``parseFlakeRef``), closely enough to compare a url in
``flake.nix`` with the ``original`` Nix recorded for it in ``flake.lock`` and
to say which repository an input locks. Every scheme Nix accepts:

``github:owner/repo[/ref-or-rev]``  ``gitlab:``  ``sourcehut:~user/repo``
``git+https://…`` ``git+ssh://…`` ``git+http://…`` ``git+file:///…`` ``git://…``
``hg+https://…`` …  ``path:/abs`` ``path:./rel``  bare paths ``/abs`` ``./rel``
``https://…/x.tar.gz`` (tarball) ``tarball+https://…`` ``file+https://…`` ``file:///…``
``flake:nixpkgs/nixos-24.05`` and bare registry ids ``nixpkgs`` ``nixpkgs/nixos-24.05``

with the ``?ref=``, ``?rev=``, ``?dir=`` and ``?host=`` parameters. A string
that is none of these parses to a reference of unknown type, which every rule
treats as "cannot tell".

*Declarations*: every way ``flake.nix`` declares inputs (``inputs.x.url =
…;``, ``inputs = { x.url = …; }``, ``x = { url = …; flake = false;
inputs.y.follows = "z"; }``, attribute-set references ``{ type = "github";
owner = …; }``, nested overrides ``inputs.x.inputs.y.inputs.z.follows``,
``follows = ""``), each with the byte span of its name so findings point at
the declaration, and the formals of ``outputs`` (names, ``...``, the ``@``
alias). Whatever is computed (an interpolated url, ``inputs = import
./inputs.nix``, ``inherit``) is recorded as unknown, and rules say nothing
about it.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field, replace
from urllib.parse import unquote

FLAKE_ID = re.compile(r"^[a-zA-Z][a-zA-Z0-9_-]*$")
REV = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
# Nix's refRegex: a branch or tag name (slashes allowed).
REF = re.compile(r"^[a-zA-Z0-9@][a-zA-Z0-9_.\/@+-]*$")
SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$", re.S)
TARBALL_EXTENSIONS = (".zip", ".tar", ".tgz", ".tar.gz", ".tar.xz", ".tar.bz2", ".tar.zst")
FORGES = ("github", "gitlab", "sourcehut")
DEFAULT_HOSTS = {"github": "github.com", "gitlab": "gitlab.com", "sourcehut": "git.sr.ht"}
#: Query parameters Nix takes out of a git/hg/tarball url into attributes.
CONSUMED_PARAMS = {
    "ref", "rev", "dir", "shallow", "submodules", "lfs", "exportIgnore", "verifyCommit", "keytype",
    "publicKey", "publicKeys", "narHash", "allRefs", "lastModified", "revCount", "host", "unpack",
}


@dataclass(frozen=True)
class FlakeRef:
    """A parsed flake reference, in the vocabulary of ``flake.lock`` attributes."""

    #: github gitlab sourcehut git hg path tarball file indirect, or None (unknown)
    type: str | None
    scheme: str = ""  # as written: "github", "git+https", "path", "" for a bare path or id
    owner: str | None = None
    repo: str | None = None
    ref: str | None = None
    rev: str | None = None
    dir: str | None = None
    host: str | None = None
    url: str | None = None  # git/hg/tarball/file: the fetched url, without transport prefix
    path: str | None = None  # path inputs
    id: str | None = None  # indirect (registry) inputs
    raw: str = ""

    @property
    def is_indirect(self) -> bool:
        return self.type == "indirect"

    @property
    def is_local(self) -> bool:
        """Does it point at this machine's file system (path:, git+file:, file:, a bare path)?"""
        if self.type == "path":
            return True
        if self.type in ("git", "hg", "tarball", "file") and self.url:
            return self.url.lower().startswith("file:")
        return False

    def local_path(self) -> str | None:
        """The file-system path a local reference points at (absolute or relative)."""
        if self.type == "path":
            return self.path
        if self.is_local and self.url:
            rest = self.url[len("file:") :]
            if rest.startswith("//"):
                rest = rest[2:]
                # file://host/path: only an empty host or localhost is local
                slash = rest.find("/")
                rest = rest[slash:] if slash != -1 else "/"
            return unquote(rest.split("?", 1)[0])
        return None

    def describe(self) -> str:
        """A short human form: ``github:NixOS/nixpkgs/nixos-unstable``."""
        if self.type in FORGES:
            text = f"{self.type}:{self.owner}/{self.repo}"
            if self.ref or self.rev:
                text += f"/{self.ref or self.rev}"
            return text + (f"?dir={self.dir}" if self.dir else "")
        if self.type == "indirect":
            return "flake:" + "/".join(p for p in (self.id, self.ref, self.rev) if p)
        if self.type == "path":
            return f"path:{self.path}"
        if self.url:
            prefix = {"git": "git+", "hg": "hg+"}.get(self.type or "", "")
            if prefix and self.url.startswith("git://"):
                prefix = ""
            extra = "&".join(f"{k}={v}" for k, v in (("ref", self.ref), ("rev", self.rev), ("dir", self.dir)) if v)
            return prefix + self.url + (("?" + extra) if extra else "")
        return self.raw or "?"


UNKNOWN = FlakeRef(None)


def parse_flakeref(text: str) -> FlakeRef:
    """Parse a flake reference string; type None when Nix would not accept it (or flakelint cannot tell)."""
    raw = text
    text = text.strip()
    if not text or any(ord(c) < 32 for c in text):
        return FlakeRef(None, raw=raw)
    text = text.split("#", 1)[0]
    base, query = _split_query(text)
    params = _parse_query(query)
    # A registry id: `nixpkgs`, `nixpkgs/nixos-24.05`, `nixpkgs/<rev>`, `nixpkgs/<ref>/<rev>`, `flake:…`.
    body = base[len("flake:") :] if base.startswith("flake:") else base
    if ":" not in body or base.startswith("flake:"):
        indirect = _indirect(body, params, raw, base.startswith("flake:"))
        if indirect is not None:
            return indirect
    if base.startswith(("/", ".")) or (":" not in base and not base.startswith("~")):
        if base.startswith(("/", ".")):
            return FlakeRef("path", "", path=unquote(base), dir=params.get("dir"), raw=raw)
        return FlakeRef(None, raw=raw)
    match = SCHEME.match(base)
    if not match:
        return FlakeRef(None, raw=raw)
    scheme, rest = match.group(1), match.group(2)
    lower = scheme.lower()
    if lower in FORGES:
        return _forge(lower, rest, params, raw)
    if lower == "path":
        return FlakeRef("path", scheme, path=unquote(rest), dir=params.get("dir"), raw=raw)
    if lower.startswith("git+") or lower == "git":
        return _vcs("git", scheme, base, params, raw)
    if lower.startswith("hg+"):
        return _vcs("hg", scheme, base, params, raw)
    if lower.startswith("tarball+") or lower.startswith("file+"):
        kind = lower.split("+", 1)[0]
        url = _strip_params(base.split("+", 1)[1], query)
        return FlakeRef(kind, scheme, url=url, dir=params.get("dir"), rev=params.get("rev"), raw=raw)
    if lower in ("http", "https", "file"):
        path = rest.split("?", 1)[0]
        kind = "tarball" if _has_tarball_extension(path) else "file"
        return FlakeRef(kind, scheme, url=_strip_params(base, query), dir=params.get("dir"), rev=params.get("rev"), raw=raw)
    return FlakeRef(None, scheme, raw=raw)


def _split_query(text: str) -> tuple[str, str]:
    if "?" in text:
        base, query = text.split("?", 1)
        return base, query
    return text, ""


def _parse_query(query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for part in query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        params.setdefault(unquote(key), unquote(value))
    return params


def _strip_params(base: str, query: str) -> str:
    """The url as Nix records it: the query without the parameters it consumes."""
    kept = [p for p in query.split("&") if p and unquote(p.partition("=")[0]) not in CONSUMED_PARAMS]
    return base + ("?" + "&".join(kept) if kept else "")


def _indirect(body: str, params: dict[str, str], raw: str, explicit: bool) -> FlakeRef | None:
    parts = body.split("/")
    if not parts or not FLAKE_ID.match(parts[0]):
        return None
    ref = rev = None
    rest = parts[1:]
    if len(rest) == 1 and REV.match(rest[0]):
        rev = rest[0]
    elif rest:
        if len(rest) >= 2 and REV.match(rest[-1]):
            rev, rest = rest[-1], rest[:-1]
        ref = "/".join(rest)
        if not REF.match(ref):
            return None
    ref = params.get("ref", ref)
    rev = params.get("rev", rev)
    return FlakeRef("indirect", "flake" if explicit else "", id=parts[0], ref=ref, rev=rev, dir=params.get("dir"), raw=raw)


def _forge(kind: str, rest: str, params: dict[str, str], raw: str) -> FlakeRef:
    path = [p for p in rest.split("/") if p]
    if len(path) < 2:
        return FlakeRef(None, kind, raw=raw)
    ref = rev = None
    if len(path) == 3:
        if REV.match(path[2]):
            rev = path[2]
        else:
            ref = path[2]
    elif len(path) > 3:
        ref = "/".join(path[2:])
    if "ref" in params:
        ref = params["ref"]
    if "rev" in params:
        rev = params["rev"]
    if ref is not None and not REF.match(ref) or rev is not None and not REV.match(rev):
        return FlakeRef(None, kind, raw=raw)  # Nix rejects it: "not a commit hash or branch/tag name"
    return FlakeRef(
        kind, kind, owner=path[0], repo=path[1], ref=ref, rev=rev, dir=params.get("dir"), host=params.get("host"), raw=raw
    )


def _vcs(kind: str, scheme: str, base: str, params: dict[str, str], raw: str) -> FlakeRef:
    lower = scheme.lower()
    url = base[len(scheme) + 1 :]
    if lower == "git":
        url = "git:" + url
    else:
        url = lower.split("+", 1)[1] + ":" + url
    query = "&".join(f"{k}={v}" for k, v in params.items() if k not in CONSUMED_PARAMS)
    return FlakeRef(
        kind, scheme, url=url + ("?" + query if query else ""), ref=params.get("ref"), rev=params.get("rev"),
        dir=params.get("dir"), raw=raw,
    )


def _has_tarball_extension(path: str) -> bool:
    return path.lower().endswith(TARBALL_EXTENSIONS)


def from_attrs(attrs: dict) -> FlakeRef:
    """A reference from lock attributes (``original``/``locked``) or an attribute-set input."""
    if not isinstance(attrs, dict):
        return UNKNOWN

    def text(key):
        value = attrs.get(key)
        return value if isinstance(value, str) else None

    kind = text("type")
    if kind == "mercurial":
        kind = "hg"
    return FlakeRef(
        kind,
        kind or "",
        owner=text("owner"),
        repo=text("repo"),
        ref=text("ref"),
        rev=text("rev"),
        dir=text("dir"),
        host=text("host"),
        url=text("url"),
        path=text("path"),
        id=text("id"),
    )


# ---------------------------------------------------------------- comparison


def url_key(url: str | None) -> str | None:
    """A url reduced to what identifies the fetched thing: no query, no ``.git``, host lowercase."""
    if not url:
        return None
    url = url.split("#", 1)[0].split("?", 1)[0]
    for prefix in ("git+", "hg+", "tarball+", "file+"):
        if url.lower().startswith(prefix):
            url = url[len(prefix) :]
    match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://([^/]*)(.*)$", url)
    if match:
        scheme, authority, path = match.groups()
        url = f"{scheme.lower()}://{authority.lower()}{unquote(path)}"
    url = url.rstrip("/")
    if url.endswith(".git"):
        url = url[:-4]
    return url


def _norm_dir(value: str | None) -> str:
    if not value:
        return ""
    normal = posixpath.normpath(value)
    return "" if normal == "." else normal


def _norm_ref(value: str | None) -> str | None:
    if value and value.startswith("refs/heads/"):
        return value[len("refs/heads/") :]
    return value or None


def _same_name(a: str | None, b: str | None) -> bool:
    return unquote(a or "").lower() == unquote(b or "").lower()


def differences(declared: FlakeRef, original: FlakeRef) -> list[str] | None:
    """What differs between a url in flake.nix and the ``original`` in flake.lock.

    Compares type, owner, repo, host, url, path, id, ref, rev and dir the way
    Nix would see them (GitHub names are case-insensitive, ``refs/heads/x`` is
    ``x``, a tarball and a file url are alike). None when either side is of
    an unknown type: flakelint cannot tell, so it says nothing.
    """
    if declared.type is None or original.type is None:
        return None
    a_type, b_type = declared.type, original.type
    if {a_type, b_type} <= {"tarball", "file"}:
        a_type = b_type = "tarball"
    if a_type != b_type:
        return ["type"]
    found = []
    if a_type in FORGES:
        if not _same_name(declared.owner, original.owner):
            found.append("owner")
        if not _same_name(declared.repo, original.repo):
            found.append("repo")
        host_a = (declared.host or DEFAULT_HOSTS[a_type]).lower()
        host_b = (original.host or DEFAULT_HOSTS[a_type]).lower()
        if host_a != host_b:
            found.append("host")
    elif a_type in ("git", "hg", "tarball", "file"):
        if declared.url is None or original.url is None:
            return None
        if url_key(declared.url) != url_key(original.url):
            found.append("url")
    elif a_type == "path":
        a_path, b_path = declared.path or "", original.path or ""
        if a_path.startswith("/") != b_path.startswith("/"):
            return None  # one side was made absolute: cannot compare
        if posixpath.normpath(a_path) != posixpath.normpath(b_path):
            found.append("path")
    elif a_type == "indirect":
        if declared.id != original.id:
            found.append("id")
    if _norm_ref(declared.ref) != _norm_ref(original.ref):
        found.append("ref")
    if (declared.rev or None) != (original.rev or None):
        found.append("rev")
    if _norm_dir(declared.dir) != _norm_dir(original.dir):
        found.append("dir")
    return found


# ---------------------------------------------------------------- identity


_GITHUB_PATH = re.compile(r"^/([^/]+)/([^/]+?)(?:\.git)?(?:/.*)?$")
_ARCHIVE_PATH = re.compile(r"^/([^/]+)/([^/]+)/archive/")
_FLAKEHUB_PATH = re.compile(r"^/f/(?:pinned/)?([^/]+)/([^/]+)(?:/|$)")
_CHANNEL_HOSTS = ("channels.nixos.org", "nixos.org", "releases.nixos.org")


def _host_and_path(url: str) -> tuple[str, str] | None:
    match = re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^@/]*@)?([^/:]*)(?::\d+)?(/[^?#]*)?", url)
    if not match:
        return None
    return match.group(1).lower(), unquote(match.group(2) or "/")


def repository(ref: FlakeRef) -> tuple[str, ...] | None:
    """Which repository a reference fetches, normalised for comparison.

    ``("github", "github.com", "nixos", "nixpkgs", dir)``: forges by owner and
    repo (lowercase), git urls on github.com/gitlab.com as the forge, GitHub
    archive tarballs and FlakeHub flakes as the GitHub repository, NixOS
    channel tarballs as nixpkgs; any other url by its :func:`url_key`. None
    for local and indirect references (nothing to compare).
    """
    directory = _norm_dir(ref.dir)
    if ref.type in FORGES:
        host = (ref.host or DEFAULT_HOSTS[ref.type]).lower()
        return (ref.type, host, unquote(ref.owner or "").lower(), unquote(ref.repo or "").lower(), directory)
    if ref.type in ("git", "hg", "tarball", "file") and ref.url and not ref.is_local:
        split = _host_and_path(ref.url)
        if split is not None:
            host, path = split
            if ref.type == "git" and host in ("github.com", "gitlab.com"):
                match = _GITHUB_PATH.match(path)
                if match:
                    forge = "github" if host == "github.com" else "gitlab"
                    return (forge, host, match.group(1).lower(), match.group(2).lower(), directory)
            if ref.type in ("tarball", "file"):
                if host in ("github.com", "codeload.github.com"):
                    match = _ARCHIVE_PATH.match(path) or _GITHUB_PATH.match(path)
                    if match:
                        return ("github", "github.com", match.group(1).lower(), match.group(2).lower(), directory)
                if host in ("flakehub.com", "api.flakehub.com"):
                    match = _FLAKEHUB_PATH.match(path)
                    if match:
                        return ("github", "github.com", match.group(1).lower(), match.group(2).lower(), directory)
                if host in _CHANNEL_HOSTS and ("/nixos-" in path or "/nixpkgs-" in path):
                    return ("github", "github.com", "nixos", "nixpkgs", directory)
        return ("url", url_key(ref.url) or "", directory)
    return None


def is_nixos_nixpkgs(ref: FlakeRef) -> bool:
    """Does this reference fetch NixOS/nixpkgs itself (the flake at its top, not a subdirectory)?"""
    identity = repository(ref)
    return identity is not None and identity[:4] == ("github", "github.com", "nixos", "nixpkgs") and not identity[4]


def branch_of(ref: FlakeRef) -> str | None:
    """The branch a nixpkgs-like reference follows, when it names one.

    The ref of a forge/git/indirect reference; for tarballs, the channel or
    archive name in the url (``…/nixos-24.05/nixexprs.tar.xz``,
    ``…/archive/nixos-24.05.tar.gz``) and FlakeHub release numbers
    (``flakehub.com/f/NixOS/nixpkgs/0.2405.*`` is nixos-24.05, ``0.1`` is
    nixpkgs-unstable). None when pinned to a revision or unknown.
    """
    if ref.rev and not ref.ref:
        return None
    if ref.type in FORGES or ref.type in ("git", "indirect"):
        return ref.ref
    if ref.type in ("tarball", "file") and ref.url:
        split = _host_and_path(ref.url)
        if split is None:
            return None
        host, path = split
        if host in _CHANNEL_HOSTS:
            match = re.search(r"/(nixos-[^/]+|nixpkgs-[^/]+)/", path)
            return match.group(1) if match else None
        if host in ("github.com", "codeload.github.com"):
            match = re.match(r"^/[^/]+/[^/]+/archive/(?:refs/heads/)?(.+?)(?:\.tar\.gz|\.zip|\.tar\.xz)?$", path)
            if match and not REV.match(match.group(1)):
                return match.group(1)
            return None
        if host in ("flakehub.com", "api.flakehub.com"):
            match = re.match(r"^/f/[^/]+/[^/]+/0\.(\d+)(?:\.\*|\.x)?(?:\.tar\.gz)?$", path)
            if not match:
                return None
            number = match.group(1)
            if number == "1":
                return "nixpkgs-unstable"
            if len(number) == 4:
                return f"nixos-{number[:2]}.{number[2:]}"
        return None
    return None


# ---------------------------------------------------------------- declarations in flake.nix

#: Attributes of an input that are not part of its flake reference.
INPUT_META = {"url", "flake", "follows", "inputs"}
ATTRSET_TYPES = ("attrset_expression", "rec_attrset_expression")
MAX_NESTING = 64


@dataclass
class InputDecl:
    """One input (or a nested override ``inputs.x.inputs.y``) as ``flake.nix`` declares it."""

    name: str
    start: int  # byte span of the first place its name is written
    end: int
    url: str | None = None
    url_span: tuple[int, int] | None = None
    url_computed: bool = False  # a url is given but flakelint cannot read it
    attrs: dict = field(default_factory=dict)  # literal reference attributes: type, owner, ref …
    attr_span: tuple[int, int] | None = None
    flake: bool | None = None  # None: not said (a flake)
    follows: str | None = None  # "" is legal: follow the root flake
    follows_span: tuple[int, int] | None = None
    inputs: dict[str, "InputDecl"] = field(default_factory=dict)
    computed: list[str] = field(default_factory=list)  # parts flakelint cannot read

    @property
    def known(self) -> bool:
        """Is everything about this declaration readable?"""
        return not self.computed and not self.url_computed

    @property
    def has_source(self) -> bool:
        """Does it say where it comes from (url, reference attributes or follows)?"""
        return self.url is not None or self.url_computed or bool(self.attrs) or self.follows is not None

    @property
    def flakeref(self) -> FlakeRef | None:
        """The parsed reference; None when computed, ``flake:<name>`` when nothing is said."""
        if self.url_computed or self.computed and not self.has_source:
            return None
        if self.follows is not None and self.url is None and not self.attrs:
            return None
        if self.url is not None:
            ref = parse_flakeref(self.url)
            extra = {k: v for k, v in self.attrs.items() if isinstance(v, str)}
            if extra and ref.type is not None:
                # `url` with extra attributes (`dir`, `ref`): they join the reference.
                known = {k: v for k, v in extra.items() if k in ("ref", "rev", "dir", "host")}
                ref = replace(ref, **known)
            return ref
        if self.attrs:
            if "type" not in self.attrs:
                return None
            return from_attrs(self.attrs)
        return FlakeRef("indirect", "", id=self.name, raw=self.name)

    @property
    def source_span(self) -> tuple[int, int]:
        """Where a finding about the reference should point: the url, else the name."""
        return self.url_span or self.attr_span or (self.start, self.end)


@dataclass
class Formal:
    name: str
    start: int
    end: int
    has_default: bool = False


@dataclass
class Outputs:
    """The ``outputs`` function as written."""

    start: int
    end: int
    function: object = None  # the function_expression node, None when outputs is not one
    formals: list[Formal] | None = None  # None: no `{ … }` (``outputs = inputs: …``)
    ellipsis: bool = False
    alias: str | None = None  # ``@inputs`` or the single parameter
    value: object = None  # the value node of `outputs`

    @property
    def known(self) -> bool:
        return self.function is not None

    def formal(self, name: str) -> Formal | None:
        return next((f for f in self.formals or [] if f.name == name), None)


@dataclass
class FlakeInputs:
    """Every input ``flake.nix`` declares, plus what could not be read."""

    path: str
    inputs: dict[str, InputDecl] = field(default_factory=dict)
    #: False when some input may be declared in a way flakelint cannot read
    #: (``inputs = import ./inputs.nix``, a computed name, syntax errors).
    complete: bool = True
    problems: list[str] = field(default_factory=list)
    inputs_span: tuple[int, int] | None = None  # the first binding that declares inputs
    outputs: Outputs | None = None
    #: Byte spans of the whole ``inputs`` declarations (their text is not a use of anything).
    declaration_spans: list[tuple[int, int]] = field(default_factory=list)

    @property
    def implicit(self) -> list[Formal]:
        """Formals of ``outputs`` not declared in ``inputs``: Nix adds them as registry inputs."""
        if self.outputs is None or not self.outputs.formals:
            return []
        return [f for f in self.outputs.formals if f.name != "self" and f.name not in self.inputs]

    @property
    def names(self) -> set[str]:
        """Declared and implicit input names."""
        return set(self.inputs) | {f.name for f in self.implicit}

    def follows_targets(self) -> set[str]:
        """Every ``follows`` target (its first component), at any depth."""
        found: set[str] = set()
        stack = list(self.inputs.values())
        while stack:
            decl = stack.pop()
            if decl.follows:
                found.add(decl.follows.split("/", 1)[0])
            stack.extend(decl.inputs.values())
        return found


def read_inputs(source) -> FlakeInputs:
    """The inputs model of a parsed ``flake.nix``."""
    from flakelint import nixast

    model = FlakeInputs(path=source.path)
    data = source.data
    root = source.root_node
    if root.has_error:
        model.complete = False
        model.problems.append("flake.nix has syntax errors")
    top = nixast.unwrap(root.child_by_field_name("expression"))
    for _ in range(MAX_NESTING):
        if top is not None and top.type == "let_expression":
            top = nixast.unwrap(top.child_by_field_name("body"))
        else:
            break
    if top is None or top.type not in ATTRSET_TYPES:
        model.complete = False
        model.problems.append("flake.nix is not a literal attribute set")
        return model
    for path, keys, value, binding in _flatten(data, top, (), ()):
        if binding is not None and _has_error(binding):
            model.complete = False
            continue
        if not path:
            continue
        head = path[0]
        if head is None:
            model.complete = False
            model.problems.append("an attribute name of flake.nix is computed")
            continue
        if head == "inputs":
            if model.inputs_span is None and binding is not None:
                model.inputs_span = (binding.start_byte, binding.end_byte)
            if binding is not None:
                model.declaration_spans.append((binding.start_byte, binding.end_byte))
            _declare(model, data, path[1:], keys[1:], value)
        elif head == "outputs" and len(path) == 1 and model.outputs is None:
            model.outputs = _outputs(data, value, binding)
    return model


def _has_error(node) -> bool:
    return node.has_error


def _flatten(data, attrset, prefix, prefix_keys):
    """Leaf bindings of a set, nested sets opened: (path, key nodes, value node, binding).

    ``inherit`` gives (path + [name], …, None value); a computed name is None.
    Iterative, depth-bounded.
    """
    from flakelint import nixast

    stack = [(attrset, prefix, prefix_keys, 0)]
    out = []
    while stack:
        node, path, keys, depth = stack.pop()
        binding_set = next((c for c in node.named_children if c.type == "binding_set"), None)
        if binding_set is None:
            continue
        for binding in binding_set.named_children:
            if binding.type == "binding":
                attrpath = binding.child_by_field_name("attrpath")
                attrs = [a for a in attrpath.named_children if a.type != "comment"] if attrpath is not None else []
                names = tuple(nixast.attr_name(data, a) for a in attrs)
                value = nixast.unwrap(binding.child_by_field_name("expression"))
                full, full_keys = path + names, keys + tuple(attrs)
                if value is not None and value.type in ATTRSET_TYPES and depth < MAX_NESTING and None not in names:
                    stack.append((value, full, full_keys, depth + 1))
                    out.append((full, full_keys, _OPENED, binding))
                else:
                    out.append((full, full_keys, value, binding))
            elif binding.type in ("inherit", "inherit_from"):
                attrs_node = binding.child_by_field_name("attrs")
                for attr in attrs_node.named_children if attrs_node is not None else []:
                    if attr.type == "comment":
                        continue
                    out.append((path + (nixast.attr_name(data, attr),), keys + (attr,), None, binding))
    out.sort(key=lambda entry: entry[3].start_byte if entry[3] is not None else 0)
    return out


class _Opened:
    """Marker: the value was a set whose bindings are listed separately."""


_OPENED = _Opened()


def _declare(model: FlakeInputs, data, path, keys, value) -> None:
    if not path:
        if value is not _OPENED:
            model.complete = False
            model.problems.append("`inputs` is computed")
        return
    name = path[0]
    if name is None:
        model.complete = False
        model.problems.append("an input name is computed")
        return
    if name == "self":
        return  # `inputs.self.submodules = true`: settings of this flake, not an input
    decl = model.inputs.get(name)
    if decl is None:
        decl = model.inputs[name] = InputDecl(name, keys[0].start_byte, keys[0].end_byte)
    _apply(decl, data, path[1:], keys[1:], value)


def _apply(decl: InputDecl, data, rest, keys, value) -> None:
    for _ in range(MAX_NESTING):
        if not rest:
            if value is not _OPENED:
                decl.computed.append("its value is not a literal set")
            return
        head = rest[0]
        if head is None:
            decl.computed.append("a computed attribute name")
            return
        if head == "inputs":
            if len(rest) == 1:
                if value is not _OPENED:
                    decl.computed.append("its `inputs` are computed")
                return
            child_name = rest[1]
            if child_name is None:
                decl.computed.append("a computed input name")
                return
            child = decl.inputs.get(child_name)
            if child is None:
                child = decl.inputs[child_name] = InputDecl(child_name, keys[1].start_byte, keys[1].end_byte)
            decl, rest, keys = child, rest[2:], keys[2:]
            continue
        if value is _OPENED:
            if len(rest) == 1 and head in ("url", "flake", "follows"):
                decl.computed.append(f"`{head}` is not a plain value")
            return  # `x.attr = { … }` — its own leaves come separately
        if len(rest) > 1:
            decl.computed.append(f"`{'.'.join(str(r) for r in rest)}` is not understood")
            return
        if head == "url":
            text = _string(data, value)
            if text is None:
                decl.url_computed = True
            else:
                decl.url = text
                decl.url_span = (value.start_byte, value.end_byte)
            return
        if head == "follows":
            text = _string(data, value)
            if text is None:
                decl.computed.append("`follows` is computed")
            else:
                decl.follows = text
                decl.follows_span = (value.start_byte, value.end_byte)
            return
        if head == "flake":
            literal = _literal(data, value)
            if isinstance(literal, bool):
                decl.flake = literal
            else:
                decl.computed.append("`flake` is computed")
            return
        literal = _literal(data, value)
        if literal is None:
            decl.computed.append(f"`{head}` is computed")
        else:
            decl.attrs[head] = literal
            if decl.attr_span is None and value is not None:
                decl.attr_span = (value.start_byte, value.end_byte)
        return


def _string(data, value) -> str | None:
    """A literal string, or an old-style unquoted URI (``url = github:a/b;``)."""
    from flakelint import nixast

    if value is None:
        return None
    if value.type == "uri_expression":
        return nixast.node_text(data, value)
    return nixast.string_value(data, value)


def _literal(data, value):
    from flakelint import nixast

    if value is None:
        return None
    if value.type in ("string_expression", "indented_string_expression", "uri_expression"):
        return _string(data, value)
    if value.type == "variable_expression":
        text = nixast.node_text(data, value)
        return {"true": True, "false": False}.get(text)
    if value.type == "integer_expression":
        try:
            return int(nixast.node_text(data, value))
        except ValueError:
            return None
    return None


def _outputs(data, value, binding) -> Outputs:
    from flakelint import nixast

    start, end = (binding.start_byte, binding.end_byte) if binding is not None else (0, 0)
    outputs = Outputs(start=start, end=end, value=value)
    if value is None or value.type != "function_expression":
        return outputs
    outputs.function = value
    universal = value.child_by_field_name("universal")
    if universal is not None:
        outputs.alias = nixast.node_text(data, universal)
    formals = value.child_by_field_name("formals")
    if formals is not None:
        outputs.formals = []
        for child in formals.named_children:
            if child.type == "formal":
                name_node = child.child_by_field_name("name")
                if name_node is None or name_node.end_byte == name_node.start_byte:
                    continue
                outputs.formals.append(
                    Formal(
                        nixast.node_text(data, name_node),
                        name_node.start_byte,
                        name_node.end_byte,
                        child.child_by_field_name("default") is not None,
                    )
                )
            elif child.type == "ellipses":
                outputs.ellipsis = True
    return outputs
