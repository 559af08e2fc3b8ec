"""Where a repository holds secrets in plain text (FL501), found statically.

Two kinds of evidence:

* an attribute whose name says it holds a secret (``users.users.<u>.password``,
  ``*Password``, ``*Secret``, ``*Token``, ``*ApiKey`` …) bound to a literal
  string that is not a path, a placeholder or a reference;
* private-key material (``-----BEGIN … PRIVATE KEY-----`` followed by a key
  body) in a tracked file or inside a ``.nix`` string.

Nothing here ever returns the secret itself: only byte ranges to mask and the
names of the attributes that hold it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from flakelint import nixast

#: users.users.<u>.<name>: (kind) — "password" is a clear-text password, "hash" a crypt(3) hash.
USER_OPTIONS = {
    "password": "password",
    "initialPassword": "password",
    "hashedPassword": "hash",
    "initialHashedPassword": "hash",
}
#: Lower-cased name endings that say an option holds a secret.
SECRET_SUFFIXES = ("password", "passwd", "secret", "token", "apikey", "api_key", "api-key", "authkey", "auth_key")
#: Lower-cased whole names that hold a secret although no suffix says so.
SECRET_NAMES = {"psk", "presharedkey", "preshared_key", "privatekey", "private_key", "private-key", "secretkey", "secret_key", "secret-key"}
#: A piece of every name :func:`could_be_secret_name` accepts, lower-cased: a
#: file with none of them in its text binds no secret (``key`` alone would let
#: every keyboard and keybinding module through).
SECRET_NAME_PARTS = (
    b"passw", b"secret", b"token", b"apikey", b"api_key", b"api-key", b"authkey", b"auth_key",
    b"psk", b"presharedkey", b"preshared_key", b"privatekey", b"private_key", b"private-key",
)
#: The parts with ``key`` are looked for only in a text that holds ``key``
#: at all: five searches instead of fourteen for most files.
PLAIN_NAME_PARTS = tuple(part for part in SECRET_NAME_PARTS if b"key" not in part)
KEY_NAME_PARTS = tuple(part for part in SECRET_NAME_PARTS if b"key" in part)
#: U+212A KELVIN SIGN, the one character outside ASCII that ``str.lower``
#: turns into a letter of a name part (``"apiKey"`` written with it is
#: ``apikey`` lower-cased, its lower-cased bytes are not).
KELVIN_SIGN = "\u212a".encode()
#: Option-path roots that hold secret *references*, not secrets.
SECRET_MANAGERS = {"sops", "age", "agenix", "vault-secrets", "clan"}
#: Values that are words or settings, not secrets (``requirePassword = "yes"``).
NOT_SECRETS = {"yes", "no", "true", "false", "on", "off", "none", "null", "auto", "required", "optional", "prompt", "disabled", "enabled", "ask"}
PLACEHOLDER = re.compile(
    r"""^(?:
        @[A-Za-z0-9_.-]+@                       # substituteAll / envsubst style @VAR@
      | \$\{?[A-Za-z_][A-Za-z0-9_]*\}?          # $VAR / ${VAR} read from the environment
      | \$__(?:file|env|vault)\{.*\}            # grafana's $__file{/run/secrets/x}
      | %[^%\s]+%                               # %VAR%, %env(VAR)%
      | <[^<>]*>                                # <your-token-here>
      | \{\{.*\}\}                              # {{ template }}
      | (?:file|env|ext|vault|op|pass|keyring|secret|sops|age)://?.*   # references: file:/run/x, ext:psk, op://vault
      | (?:ext|env|file):.*
      | ENC\[.*\]                               # sops-encrypted value
      | \*+ | x+ | X+ | \.+ | -+ | !+ | !+\$.* | !\*  # masks, locked accounts ("!", "*", "!$6$…")
    )$""",
    re.X | re.S,
)
#: Public keys look like secrets to a naive eye; they are not.
PUBLIC_KEY = re.compile(r"^(?:ssh-(?:ed25519|rsa|dss)|ecdsa-sha2-\S+|sk-ssh-\S+|sk-ecdsa-\S+|age1[0-9a-z]{20,})\b")
#: Values of secret-named options that are visibly not a secret: a dummy key
#: of a local service (`apiKey = "unused"`).
DUMMIES = {
    "unused", "dummy", "key", "token", "secret", "password", "apikey", "api-key", "api_key", "placeholder",
    "notused", "not-used", "not-needed", "none", "nokey", "no-key", "empty", "fake", "changeme-not-used",
    "ollama", "local", "sk-dummy", "sk-no-key-required", "anything", "foo", "bar", "test-not-used",
}
DURATION = re.compile(r"^\d+(?:\.\d+)?\s*(?:ms|s|m|h|d|w|y|sec|secs|min|mins|second|minute|hour|day|week|month|year)s?$", re.I)
#: `rbwEntries.api-key = "gmaps-api-key"`: a lower-case name that itself says
#: key/token/secret names an entry in a secret store, it is not the secret.
SECRET_REFERENCE = re.compile(r"^[a-z0-9]+(?:[-_./:][a-z0-9]+)*$")
REFERENCE_WORDS = ("key", "token", "secret", "password", "passwd", "pass", "cred")
#: Calls whose arguments document an option, they do not set one.
DOCUMENTATION_CALLS = {"mkOption", "mkEnableOption", "mkPackageOption", "literalExpression", "literalExample", "literalMD", "mkOptionType", "mkSinkUndeclaredOptions"}
CRYPT_HASH = re.compile(r"^\$(?:1|2[abxy]?|5|6|7|y|gy|sha1|md5|argon2(?:id|i|d)?|pbkdf2[-\w]*|scrypt)\$")

PRIVATE_KEY = re.compile(rb"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----")
END_MARKER = re.compile(rb"-----END [A-Z0-9 ]*-----")
BASE64_CHARS = re.compile(rb"[A-Za-z0-9+/=]")
#: A key body has at least this many base64 characters (an example with
#: ``...`` in its middle is no key).
MIN_KEY_BODY = 64
#: Files larger than this are not scanned for keys (keys are small).
MAX_SCAN_BYTES = 1 << 20
#: Files whose names say they cannot hold PEM text.
BINARY_SUFFIXES = (
    ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".bmp", ".tiff", ".svgz", ".woff", ".woff2", ".ttf",
    ".otf", ".pdf", ".zip", ".gz", ".xz", ".zst", ".bz2", ".tar", ".7z", ".iso", ".img", ".qcow2", ".mp3",
    ".mp4", ".ogg", ".wav", ".flac", ".webm", ".mkv", ".age",
)
#: Path components of test and example trees: keys and passwords there are
#: fixtures made to be public.
TEST_DIRECTORIES = {"test", "tests", "testdata", "test-data", "fixtures", "__fixtures__", "testing"}


@dataclass(frozen=True)
class SecretLiteral:
    """A literal secret bound to an attribute in a ``.nix`` file."""

    kind: str  # "password" | "hash" | "secret" | "key"
    option: str  # the attribute path as written (never the value)
    binding: object  # the binding node (None for keys)
    start: int  # byte range of the literal
    end: int
    marker: str = ""  # for keys: the BEGIN line, "-----BEGIN OPENSSH PRIVATE KEY-----" ... (this example has no body)


def in_test_tree(relpath: str) -> bool:
    lowered = relpath.lower()
    if "test" not in lowered and "fixtures" not in lowered:
        return False  # every name in TEST_DIRECTORIES holds one of the two (most paths hold neither)
    return any(part.lower() in TEST_DIRECTORIES for part in relpath.split("/")[:-1])


def secret_kind(path: list[str | None]) -> str | None:
    """What a binding at ``path`` holds when bound to a literal: None when nothing secret."""
    if not path or path[-1] is None:
        return None
    name = path[-1]
    if path[0] in SECRET_MANAGERS:
        return None
    if name in USER_OPTIONS and _under_users(path):
        return USER_OPTIONS[name]
    lowered = name.lower()
    if lowered.endswith(("file", "path", "command", "cmd")):
        return None
    if lowered.endswith("hashedpassword"):
        return "hash"
    if lowered in SECRET_NAMES or lowered.endswith(SECRET_SUFFIXES):
        return "secret"
    return None


def could_be_secret_name(name: str) -> bool:
    """Can :func:`secret_kind` of a path ending in ``name`` be anything but None?

    The part of :func:`secret_kind` that depends on the last name alone (the
    rest can only turn a match into None).
    """
    if name in USER_OPTIONS:
        return True
    lowered = name.lower()
    if lowered.endswith(("file", "path", "command", "cmd")):
        return False
    return lowered.endswith("hashedpassword") or lowered in SECRET_NAMES or lowered.endswith(SECRET_SUFFIXES)


def _under_users(path: list[str | None]) -> bool:
    # users.users.<u>.password, users.users.<u>.password written inside
    # `users.users = { … }`, or `users.<u>.password` cut short by a computed name.
    for index in range(len(path) - 2):
        if path[index] == "users" and path[index + 1] == "users":
            return True
    return len(path) <= 2


def looks_secret(value: str, kind: str) -> bool:
    """Is this literal a secret, not a placeholder, a path or a public key?"""
    text = value.strip()
    if not text or len(text) > 4096:
        return False  # empty, or a whole document (a config file's text), not one secret
    if text.lower() in NOT_SECRETS:
        return False
    if text.startswith(("/", "./", "../", "~/")):
        return False  # a path to the secret, not the secret
    if PLACEHOLDER.match(text) or PUBLIC_KEY.match(text) or DURATION.match(text):
        return False
    if kind == "secret":
        if text.startswith("!"):
            return False  # "!rbw get api-key": a command that prints the secret
        if text.lower() in DUMMIES:
            return False
        if SECRET_REFERENCE.match(text) and any(word in text for word in REFERENCE_WORDS):
            return False
    return True


def documents_an_option(data: bytes, node) -> bool:
    """Is ``node`` part of an option's declaration (``mkOption { example = …; }``)?"""
    current = node.parent
    for _ in range(256):
        if current is None:
            return False
        if current.type == "apply_expression":
            head, _args = nixast.apply_head(current)
            if nixast.call_name(data, head) in DOCUMENTATION_CALLS:
                return True
        elif current.type == "binding":
            names = nixast.binding_path(data, current)
            if "example" in names or "options" in names[:1]:
                return True
        current = current.parent
    return False


def literal_secrets(source) -> list[SecretLiteral]:
    """Secret literals bound to secret-named attributes in one ``.nix`` file."""
    data = source.data
    spans = name_part_spans(data.lower())
    if not spans:
        return []  # no name could_be_secret_name accepts
    if b"testScript" in data:
        return []  # a NixOS VM test: its machines' credentials are throwaway by design
    found: list[SecretLiteral] = []
    for binding in _secret_name_bindings(source, spans):
        if binding.has_error:
            continue
        # The binding's own last name decides most of secret_kind: test it
        # before climbing to the full attribute path (each parent step costs
        # the node's depth in tree-sitter).
        local = nixast.binding_path(data, binding)
        if not local or local[-1] is None or not could_be_secret_name(local[-1]):
            continue
        container = binding.parent.parent if binding.parent is not None else None
        if container is None or container.type not in ("attrset_expression", "rec_attrset_expression"):
            continue  # `let dbPassword = …;` is a name, not a setting
        path = nixast.full_attrpath(data, binding)
        kind = secret_kind(path)
        if kind is None:
            continue
        value = nixast.definition_value(data, binding.child_by_field_name("expression"))
        if value is None:
            continue
        text = nixast.string_value(data, value)
        if text is None or not looks_secret(text, kind):
            continue
        if kind == "secret" and CRYPT_HASH.match(text.strip()):
            continue  # a digest of a client secret (authelia): the form meant to be stored
        if documents_an_option(data, binding):
            continue
        option = ".".join(p if p is not None else "<name>" for p in path)
        found.append(SecretLiteral(kind, option, binding, value.start_byte, value.end_byte))
    return found


def name_part_spans(lowered: bytes) -> list[tuple[int, int]]:
    """The byte ranges of every :data:`SECRET_NAME_PARTS` occurrence in a lower-cased text."""
    parts = PLAIN_NAME_PARTS + KEY_NAME_PARTS if b"key" in lowered else PLAIN_NAME_PARTS
    spans = []
    for part in parts:
        at = lowered.find(part)
        while at != -1:
            spans.append((at, at + len(part)))
            at = lowered.find(part, at + 1)
    return spans


def escape_pattern(characters: str, lowered: bool) -> re.Pattern[bytes]:
    """A backslash escape that may stand for one of ``characters`` in a quoted name (``"api\\Key"`` is ``apiKey``).

    ``\\X`` is X for every X but ``n``, ``t`` and ``r`` (a newline, a tab, a
    carriage return). For a name compared ``lowered``, an escaped capital
    counts as its small letter.
    """
    escaped = set()
    for char in characters:
        if char not in "ntr":
            escaped.add(char)
        if lowered:
            escaped.add(char.upper())
    return re.compile(b"\\\\[" + re.escape("".join(sorted(escaped))).encode() + b"]")


#: An escape that could spell part of a secret name no byte range shows.
SECRET_NAME_ESCAPE = escape_pattern(b"".join(SECRET_NAME_PARTS).decode(), lowered=True)


def bindings_named_at(root, spans) -> list:
    """The bindings below ``root`` whose attribute path holds one of the byte ranges ``spans``, in file order.

    A name written out (an identifier, a quoted name without escapes) lies
    within one component of an attribute path, so the smallest node over a
    range inside it is that component or a fragment of its string, at most
    two steps below the ``attrpath`` of the binding. Callers find where a
    name's text occurs and look at those few bindings, not at every binding
    of the file (a Python loop over thousands of nodes).
    """
    found = {}
    for start, end in spans:
        node = root.descendant_for_byte_range(start, end)
        for _ in range(3):
            if node is None:
                break
            if node.type == "attrpath":
                binding = node.parent
                if binding is not None and binding.type == "binding":
                    found.setdefault((binding.start_byte, binding.end_byte), binding)
                break
            node = node.parent
    return [found[key] for key in sorted(found)]


def _secret_name_bindings(source, spans) -> list:
    """The bindings whose last name may be a secret's: those with a name part in their attribute path.

    A file where an escape in a quoted name or a KELVIN SIGN could spell a
    name part that its lower-cased bytes do not show has all its bindings
    looked at (in file order, as :func:`bindings_named_at` gives them).
    """
    data = source.data
    if KELVIN_SIGN in data or SECRET_NAME_ESCAPE.search(data):
        return sorted(source.captures("(binding) @b").get("b", []), key=lambda binding: binding.start_byte)
    return bindings_named_at(source.root_node, spans)


def private_keys(data: bytes) -> list[tuple[int, int, str]]:
    """(start, end, BEGIN marker) of each private key with a real body in ``data``."""
    found = []
    for match in PRIVATE_KEY.finditer(data):
        end = END_MARKER.search(data, match.end(), match.end() + 64 * 1024)
        stop = end.end() if end else min(len(data), match.end() + 8192)
        body = data[match.end() : end.start() if end else stop]
        # Drop header lines (Proc-Type:, DEK-Info:, Comment:) and escapes of a Nix string.
        lines = [line for line in re.split(rb"\\n|\n|\r", body) if b":" not in line]
        count = len(BASE64_CHARS.findall(b"".join(lines)))
        if count < MIN_KEY_BODY or b"..." in body:
            continue
        marker = match.group(0).decode("ascii", "replace")
        found.append((match.start(), stop, marker))
    return found


def scan_file(root: str, relpath: str, max_size: int, real_dirs: dict | None = None) -> bytes | None:
    """A non-Nix tracked file's bytes for the key scan, read safely; None to skip it.

    ``real_dirs``: as for :func:`flakelint.parse.read_source` (one dict for a
    pass over many files resolves each directory once).
    """
    from flakelint.parse import read_source

    if relpath.lower().endswith(BINARY_SUFFIXES):
        return None
    data = read_source(os.path.join(root, relpath), relpath, root, min(max_size, MAX_SCAN_BYTES), real_dirs)
    return data if isinstance(data, bytes) else None
