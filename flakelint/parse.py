"""Reading and parsing one ``.nix`` file: the only place bytes become trees.

Reading is defensive because repositories are untrusted input: a FIFO named
``x.nix`` must never be opened for reading (it would block), a symlink must
never lead outside the flake root, and a file that is not UTF-8 is reported
rather than guessed at. Everything that goes wrong becomes an
:class:`Unreadable` (reported as FL002 by the engine), never an exception.

Parsing works around two known gaps of tree-sitter-nix 0.1.0. A trailing
comma in formals (``{ a, b, }:``, the default style of nixfmt and alejandra)
is valid Nix but parses as a MISSING identifier or an ERROR: such commas are
blanked to a space (offsets stay the same) and the file is parsed again. And
a carriage return not followed by a line feed ends a ``#`` comment for Nix
but not for the grammar: the parser sees a line feed there instead.

Parsing is bounded in time: tree-sitter is quadratic on a few inputs (a long
run of ``-`` or ``a.a.a.``), so a hostile file could otherwise stall a CI job
for hours. A parse that exceeds its budget raises :class:`ParseTimeout`, which
the engine reports as FL002.

Nothing here climbs the tree with ``Node.parent``: in tree-sitter that call
walks down from the root, so it costs the node's depth, and a loop of them on
a file nested 50,000 levels deep never ends. Walks use a tree cursor and
enter only the subtrees that contain an error.
"""

from __future__ import annotations

import bisect
import errno
import os
import re
import stat
import time
from dataclasses import dataclass, field
from functools import lru_cache

from flakelint.diagnostic import Position

GIT_CRYPT_MAGIC = b"\0GITCRYPT"
UTF8_BOM = b"\xef\xbb\xbf"
DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024
# Parse-time budget: a fixed allowance plus one per byte, several times what a
# normal file needs (about 0.4 microseconds a byte), so only pathological
# input ever reaches it.
PARSE_SECONDS_BASE = 2.0
PARSE_SECONDS_PER_BYTE = 2e-6
_READ_CHUNK = 1 << 16
_LONE_CR = re.compile(rb"\r(?!\n)")


@lru_cache(maxsize=1)
def nix_language():
    import tree_sitter

    return tree_sitter.Language(_grammar())


def _grammar():
    """tree-sitter-nix's ``language()`` pointer, its compiled extension loaded without the package's ``__init__``.

    That ``__init__`` imports ``importlib.resources`` for the grammar's
    query files, which flakelint does not use; it brings tempfile, shutil,
    zipfile and more: about 5 ms of every run, a warm one included. The
    extension is found through the package's import spec (finding a spec
    imports nothing). Where it is not as this expects (another release of
    the package), the package is imported as usual.
    """
    import importlib.machinery
    import importlib.util

    try:
        spec = importlib.util.find_spec("tree_sitter_nix")
        for directory in (spec.submodule_search_locations or []) if spec is not None else []:
            for suffix in importlib.machinery.EXTENSION_SUFFIXES:
                path = os.path.join(directory, "_binding" + suffix)
                if not os.path.isfile(path):
                    continue
                name = "tree_sitter_nix._binding"
                loader = importlib.machinery.ExtensionFileLoader(name, path)
                module = importlib.util.module_from_spec(importlib.util.spec_from_file_location(name, path, loader=loader))
                loader.exec_module(module)
                return module.language()
    except (ImportError, OSError, AttributeError, ValueError):
        pass
    import tree_sitter_nix

    return tree_sitter_nix.language()


@lru_cache(maxsize=1)
def _parser():
    import tree_sitter

    return tree_sitter.Parser(nix_language())


class ParseTimeout(Exception):
    """tree-sitter did not finish within the time budget (reported as FL002)."""


@dataclass(frozen=True)
class Unreadable:
    """Why a file could not be analysed (becomes FL002)."""

    path: str
    reason: str
    position: Position = Position(1, 1)


@dataclass(frozen=True)
class Skipped:
    """A file skipped on purpose and silently (git-crypt ciphertext)."""

    path: str
    reason: str


@dataclass
class SourceFile:
    """One parsed ``.nix`` file.

    ``data`` is the file exactly as on disk; ``tree`` was parsed from the same
    bytes except that grammar-gap commas were blanked and lone carriage
    returns made line feeds (same offsets), so node byte ranges index into
    ``data`` directly. Read text through :meth:`text`, not ``Node.text``.
    """

    path: str  # relative to the flake root, forward slashes
    abspath: str
    data: bytes
    tree: object
    patched_offsets: tuple[int, ...] = ()
    _line_starts: list[int] = field(default_factory=list, repr=False)
    _ascii: bool | None = field(default=None, repr=False)
    _captures: dict = field(default_factory=dict, repr=False)
    #: Results derived from this file alone, remembered for other callers (its path facts).
    derived: dict = field(default_factory=dict, repr=False)

    @property
    def root_node(self):
        return self.tree.root_node

    @property
    def has_error(self) -> bool:
        """``root_node.has_error``; known without a parse for a file the per-file stage parsed."""
        return self.tree.root_node.has_error

    def captures(self, pattern: str) -> dict[str, list]:
        """A tree-sitter query over the whole file, run once per pattern and remembered.

        Several rules ask for the same nodes (every path literal, say); each
        query is a full traversal of the tree, so sharing the result is what
        keeps rules cheap. Callers must not mutate the returned lists.
        """
        found = self._captures.get(pattern)
        if found is None:
            from flakelint import nixast

            found = self._captures[pattern] = nixast.captures(pattern, self.root_node)
        return found

    def remember_captures(self, pattern: str, found: dict[str, list]) -> None:
        """Give :meth:`captures` the result of ``pattern`` found another way (the same nodes, cheaper)."""
        self._captures.setdefault(pattern, found)

    @property
    def has_bom(self) -> bool:
        return self.data.startswith(UTF8_BOM)

    @property
    def line_starts(self) -> list[int]:
        if not self._line_starts:
            starts = [0]
            find = self.data.find
            index = find(b"\n")
            while index != -1:
                starts.append(index + 1)
                index = find(b"\n", index + 1)
            self._line_starts = starts
        return self._line_starts

    def position(self, offset: int) -> Position:
        """Byte offset -> 1-based line and code-point column (BOM not counted)."""
        starts = self.line_starts
        line_index = bisect.bisect_right(starts, offset) - 1
        line_start = starts[line_index]
        if line_index == 0 and self.has_bom:
            line_start = min(len(UTF8_BOM), offset)
        if self._ascii is None:
            self._ascii = self.data.isascii()
        if self._ascii:
            return Position(line_index + 1, offset - line_start + 1)
        column = len(self.data[line_start:offset].decode("utf-8", "replace")) + 1
        return Position(line_index + 1, column)

    def node_start(self, node) -> Position:
        return self.position(node.start_byte)

    def node_end(self, node) -> Position:
        return self.position(node.end_byte)

    def text(self, node) -> str:
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def line_text(self, line: int) -> str:
        """The text of 1-based ``line`` without its line ending."""
        starts = self.line_starts
        if not 1 <= line <= len(starts):
            return ""
        begin = starts[line - 1]
        end = starts[line] if line < len(starts) else len(self.data)
        raw = self.data[begin:end].rstrip(b"\n").rstrip(b"\r")
        if line == 1 and raw.startswith(UTF8_BOM):
            raw = raw[len(UTF8_BOM) :]
        return raw.decode("utf-8", "replace")


class LazySourceFile(SourceFile):
    """A :class:`SourceFile` whose tree is parsed on first use.

    The repository stage reads ``data`` far more often than trees (byte
    prefilters, snippets, positions): when the per-file stage ran in worker
    processes, the main process parses only the files a repository rule
    really looks into. ``time_limit`` is the parse budget (None: the default).
    """

    def __init__(self, path: str, abspath: str, data: bytes, time_limit: float | None = None, has_error: bool | None = None):
        self._lazy = time_limit
        self._has_error = has_error
        super().__init__(path=path, abspath=abspath, data=data, tree=None)

    @property
    def has_error(self) -> bool:
        if self._has_error is None or self.is_parsed:
            return self.tree.root_node.has_error
        return self._has_error

    def _load(self) -> None:
        parsed = parse_source(self.data, self.path, self.abspath, time_limit=self._lazy)
        self.__dict__["_tree"] = parsed.tree
        self.__dict__["_patched"] = parsed.patched_offsets

    @property
    def tree(self):
        if self.__dict__.get("_tree") is None:
            self._load()
        return self.__dict__["_tree"]

    @tree.setter
    def tree(self, value) -> None:
        self.__dict__["_tree"] = value

    @property
    def patched_offsets(self) -> tuple[int, ...]:
        if self.__dict__.get("_tree") is None:
            self._load()
        return self.__dict__["_patched"]

    @patched_offsets.setter
    def patched_offsets(self, value) -> None:
        self.__dict__["_patched"] = value

    @property
    def is_parsed(self) -> bool:
        return self.__dict__.get("_tree") is not None


def _real_path(abspath: str, is_link: bool, real_dirs: dict | None) -> str:
    """``realpath(abspath, strict=True)``; for a file that is not a link, from its directory's real path."""
    if is_link or real_dirs is None:
        return os.path.realpath(abspath, strict=True)
    directory, name = os.path.split(abspath)
    real = real_dirs.get(directory)
    if real is None:
        real = _real_dir(directory, real_dirs)
    return os.path.join(real, name)


def _real_dir(directory: str, real_dirs: dict) -> str:
    """``realpath(directory, strict=True)``, from the nearest ancestor already resolved.

    ``realpath`` examines every component of its argument; over a whole
    repository that is one ``lstat`` per component per directory. Here a
    directory below a resolved one costs one ``lstat``: its real path is
    its parent's joined with its name unless it is a symlink, which
    ``realpath`` then resolves. Every directory on the way is remembered.
    """
    pending: list[tuple[str, str]] = []  # (directory, its name), deepest first
    current = directory
    while current not in real_dirs:
        parent, name = os.path.split(current)
        if not name or parent == current or name in (".", ".."):
            # The file system's root, or a name realpath must interpret itself.
            real_dirs[current] = os.path.realpath(current, strict=True)
            break
        pending.append((current, name))
        current = parent
    real = real_dirs[current]
    for path, name in reversed(pending):
        candidate = os.path.join(real, name)
        if stat.S_ISLNK(os.lstat(candidate).st_mode):
            candidate = os.path.realpath(candidate, strict=True)
        real = real_dirs[path] = candidate
    return real


@lru_cache(maxsize=64)
def _real_root(root: str) -> str:
    return os.path.realpath(root)


def is_within(path: str, directory: str) -> bool:
    """``path`` is ``directory`` or lies below it (both absolute and normalised the same way)."""
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def read_source(
    abspath: str, relpath: str, root: str, max_size: int, real_dirs: dict | None = None, seen: dict | None = None
) -> bytes | Unreadable | Skipped:
    """Read a file's bytes, or say why it cannot be analysed.

    Never opens anything that is not a regular file inside ``root``.
    ``real_dirs`` (directory -> its real path), when given, lets one pass over
    many files resolve each directory once instead of once per file.
    ``seen``, when given, receives ``seen[relpath]``: the ``lstat`` taken
    *before* reading a regular file that is not a symlink (the result cache
    remembers it with the file's hash; taken before the read, a change
    during the read leaves a stamp that no longer matches).
    """
    try:
        info = os.lstat(abspath)
    except FileNotFoundError:
        return Unreadable(relpath, "file disappeared while flakelint was reading the repository")
    except OSError as exc:
        return Unreadable(relpath, f"cannot be examined: {os.strerror(exc.errno or 0) or exc}")
    is_link = stat.S_ISLNK(info.st_mode)
    # The real path, for every file: a listed file may sit below a symlinked
    # directory (a tracked `dir/x.nix` whose `dir` became a link) just as
    # the file itself may be a link.
    try:
        target = _real_path(abspath, is_link, real_dirs)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return Unreadable(relpath, "symlink loop: the link never reaches a file")
        if is_link:
            return Unreadable(relpath, "broken symlink: its target does not exist")
        return Unreadable(relpath, f"cannot be examined: {os.strerror(exc.errno or 0) or exc}")
    real_root = _real_root(root)
    if not is_within(target, real_root):
        if is_link:
            return Unreadable(relpath, "symlink leads outside the flake root; flakelint does not follow it")
        return Unreadable(relpath, "is reached through a symlinked directory that leads outside the flake root; not followed")
    if is_link:
        try:
            info = os.stat(target)
        except OSError as exc:
            return Unreadable(relpath, f"cannot be examined: {os.strerror(exc.errno or 0)}")
    if stat.S_ISDIR(info.st_mode):
        return Unreadable(relpath, "is a directory, not a file, although its name ends in .nix")
    if not stat.S_ISREG(info.st_mode):
        return Unreadable(relpath, "is not a regular file (a FIFO, socket or device); not opened")
    if info.st_size > max_size:
        return Unreadable(relpath, f"is {info.st_size} bytes, over the max-file-size limit of {max_size} bytes")
    try:
        # O_NONBLOCK: should the file be swapped for a FIFO after lstat, open
        # still returns at once; fstat below then refuses it. The resolved
        # path with O_NOFOLLOW: a file swapped for a symlink is not followed.
        flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(target, flags)
    except PermissionError:
        return Unreadable(relpath, "permission denied")
    except OSError as exc:
        return Unreadable(relpath, f"cannot be opened: {os.strerror(exc.errno or 0)}")
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return Unreadable(relpath, "is not a regular file; not read")
        chunks = []
        remaining = max_size + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
    except OSError as exc:
        return Unreadable(relpath, f"cannot be read: {os.strerror(exc.errno or 0)}")
    finally:
        os.close(fd)
    if len(data) > max_size:
        return Unreadable(relpath, f"is over the max-file-size limit of {max_size} bytes")
    if data.startswith(GIT_CRYPT_MAGIC):
        return Skipped(relpath, "git-crypt encrypted")
    if seen is not None and not is_link:
        seen[relpath] = info
    return data


def regular_inside(
    abspath: str, root: str, real_dirs: dict | None = None, inside: dict | None = None
) -> os.stat_result | None:
    """The ``lstat`` of a regular file (not a symlink) whose real path is inside ``root``; else None.

    The test :func:`read_source` makes before opening a file, without
    opening it: what a file the result cache knows must still pass for its
    remembered hash to stand in for reading it. For a file that is not a
    symlink that depends on its directory alone, so ``inside`` (directory
    -> answer) lets one pass over many files decide it once per directory.
    """
    try:
        info = os.lstat(abspath)
        if not stat.S_ISREG(info.st_mode):
            return None
        # os.path.dirname, for the absolute, normalised paths given here
        # (a warm run asks this of every file; dirname costs twice as much).
        directory = abspath[: abspath.rfind(os.sep)] or os.sep
        answer = inside.get(directory) if inside is not None else None
        if answer is None:
            real = _real_dir(directory, real_dirs) if real_dirs is not None else os.path.realpath(directory, strict=True)
            answer = is_within(real, _real_root(root))
            if inside is not None:
                inside[directory] = answer
    except OSError:
        return None
    return info if answer else None


def read_text(
    abspath: str, relpath: str, root: str, max_size: int, real_dirs: dict | None = None, seen: dict | None = None
) -> bytes | Unreadable | Skipped:
    """:func:`read_source`, then :func:`check_text`: the bytes of a file that is Nix source text, or why not."""
    data = read_source(abspath, relpath, root, max_size, real_dirs, seen)
    if isinstance(data, bytes):
        return check_text(data, relpath) or data
    return data


def check_text(data: bytes, relpath: str) -> Unreadable | None:
    """Refuse content that is not Nix source text: NUL bytes, invalid UTF-8."""
    nul = data.find(b"\0")
    if nul != -1:
        return Unreadable(relpath, "contains NUL bytes: a binary file, not Nix source", _byte_position(data, nul))
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = _byte_position(data, exc.start)
        return Unreadable(
            relpath,
            f"is not valid UTF-8 (byte 0x{data[exc.start]:02x} at line {where.line}, column {where.column})",
            where,
        )
    return None


def _byte_position(data: bytes, offset: int) -> Position:
    line = data.count(b"\n", 0, offset) + 1
    line_start = data.rfind(b"\n", 0, offset) + 1
    if line_start == 0 and data.startswith(UTF8_BOM):
        line_start = min(len(UTF8_BOM), offset)  # as SourceFile.position: the BOM is no column
    column = len(data[line_start:offset].decode("utf-8", "replace")) + 1
    return Position(line, column)


def parse_source(data: bytes, relpath: str, abspath: str = "", *, time_limit: float | None = None) -> SourceFile:
    """Parse Nix source bytes, working around the trailing-comma grammar gap.

    Raises :class:`ParseTimeout` when parsing takes longer than ``time_limit``
    seconds (default: :func:`parse_time_limit` of the size).
    """
    limit = parse_time_limit(len(data)) if time_limit is None else time_limit
    deadline = time.monotonic() + limit
    text = data
    if b"\r" in data:
        # Nix ends a `#` comment at a carriage return; tree-sitter-nix only at
        # a line feed. A lone CR becomes LF for the parser (same offsets).
        text = _LONE_CR.sub(b"\n", data)
    tree = _parse(text, deadline, limit)
    patched: tuple[int, ...] = ()
    if tree.root_node.has_error:
        commas = trailing_formal_commas(tree.root_node)
        if commas:
            buffer = bytearray(text)
            for offset in commas:
                buffer[offset] = 0x20
                # Same length, so an incremental re-parse re-reads only the
                # formals around each comma, not the whole file.
                row = text.count(b"\n", 0, offset)
                point = (row, offset - (text.rfind(b"\n", 0, offset) + 1))
                end = (row, point[1] + 1)
                tree.edit(
                    start_byte=offset, old_end_byte=offset + 1, new_end_byte=offset + 1,
                    start_point=point, old_end_point=end, new_end_point=end,
                )
            tree = _parse(bytes(buffer), deadline, limit, tree)
            patched = tuple(commas)
    return SourceFile(path=relpath, abspath=abspath, data=data, tree=tree, patched_offsets=patched)


def parse_time_limit(size: int) -> float:
    return PARSE_SECONDS_BASE + PARSE_SECONDS_PER_BYTE * size


def _parse(data: bytes, deadline: float, limit: float, old_tree=None):
    parser = _parser()

    def read(offset, _point):
        # bytes, not a memoryview: py-tree-sitter 0.26 crashes in Node.text
        # when a callback returned memoryviews.
        return data[offset : offset + _READ_CHUNK]

    def give_up(_offset, _has_error):
        return time.monotonic() > deadline

    try:
        if old_tree is None:
            return parser.parse(read, progress_callback=give_up)
        return parser.parse(read, old_tree, progress_callback=give_up)
    except ValueError:
        # tree-sitter cancelled the parse; it would resume there next time.
        parser.reset()
        if time.monotonic() <= deadline:
            raise
        raise ParseTimeout(
            f"takes too long to parse (over {limit:.1f} seconds): input that is pathological for the parser, "
            "such as a very long run of `-`"
        ) from None


def trailing_formal_commas(root) -> list[int]:
    """Byte offsets of commas that end a formals list (``{ a, }:``).

    A comma qualifies when, inside a ``formals`` node and comments aside, it
    comes right after a formal (a name, maybe with a default) and right before
    the ``}`` that closes the formals, which is exactly where Nix's own grammar
    accepts one. tree-sitter-nix 0.1.0 wraps such a comma in an ERROR node, or
    follows it with a formal whose name is MISSING. ``{ ..., }`` and ``{ , }``
    stay syntax errors, as in Nix.
    """
    offsets = []
    for node in iter_error_subtree(root):
        if node.type != "formals" or not node.has_error:
            continue
        children = [child for child in node.children if child.type != "comment"]
        for index in range(1, len(children) - 1):
            comma = _lone_comma(children[index])
            if comma is None or children[index - 1].type != "formal":
                continue
            following = children[index + 1]
            if following.type == "formal" and _only_missing(following) and index + 2 < len(children):
                following = children[index + 2]
            if following.type == "}" and not following.is_missing:
                offsets.append(comma)
    return sorted(offsets)


def _lone_comma(node) -> int | None:
    """The offset of ``node`` when it is a comma, or an ERROR holding only a comma."""
    if node.type == "," and not node.is_missing:
        return node.start_byte
    if node.type == "ERROR":
        inner = [child for child in node.children if child.type != "comment"]
        if len(inner) == 1 and inner[0].type == "," and not inner[0].is_missing:
            return inner[0].start_byte
    return None


def _only_missing(formal) -> bool:
    """A formal tree-sitter made up after a trailing comma: nothing but a MISSING name."""
    return formal.end_byte == formal.start_byte and all(child.is_missing for child in formal.children)


_EXPRESSION_START = re.compile(r"[A-Za-z0-9_]|\.\.?/|\.[0-9]")


def update_read_as_path(fragment: str) -> bool:
    """Is this one-fragment "path" really ``a//b``, the update operator?

    tree-sitter-nix 0.1.0 lexes ``a//b`` (no spaces) as a path literal; Nix's
    lexer sees a name or number, ``//``, and the start of another
    expression. Rules that read path literals must skip such fragments.
    """
    if "//" not in fragment:
        return False
    before, after = fragment.split("//", 1)
    return "/" not in before and bool(before.strip(".")) and bool(_EXPRESSION_START.match(after))


def iter_error_subtree(root, enter=None):
    """Pre-order over the nodes of ``root`` that an error walk needs to see.

    Enters only nodes with ``has_error`` (and, when given, for which
    ``enter(node)`` is true), so a clean subtree is yielded as one node and
    never walked: on a large file with one error this visits the path to the
    error and the siblings along it. Iterative, with a tree cursor (no
    ``Node.parent``), so depth costs nothing.
    """
    cursor = root.walk()
    while True:
        node = cursor.node
        yield node
        if node.has_error and node.child_count and (enter is None or enter(node)) and cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return


@dataclass
class Located:
    """The innermost node holding an offset, with its parent and grandparent.

    What a check would otherwise ask ``Node.parent`` for, which in
    tree-sitter walks down from the root (O(depth) a call).
    """

    offset: int
    node: object
    parent: object | None
    grandparent: object | None
    _cursor: object = field(default=None, repr=False)

    def previous_named(self):
        """The named sibling before ``parent`` (comments skipped), or None.

        Call it only while :func:`locate` is paused on this offset: it moves
        the shared cursor and puts it back. (``TreeCursor.copy`` crashes
        py-tree-sitter 0.26.) Each call may cost the width of the
        grandparent, so callers bound how often they ask.
        """
        cursor = self._cursor
        if cursor is None or self.parent is None or self.grandparent is None:
            return None
        cursor.goto_parent()
        found, steps = None, 0
        while cursor.goto_previous_sibling():
            steps += 1
            node = cursor.node
            if node.is_named and node.type != "comment":
                found = node
                break
        for _ in range(steps):
            cursor.goto_next_sibling()
        cursor.goto_first_child_for_byte(self.offset)
        return found


_SIBLING_STEPS = 4


def locate(root, offsets):
    """For each offset (ascending), the innermost node containing it.

    One tree cursor moves forward: to the next offset it steps over a few
    siblings, or climbs to the common ancestor and descends with
    ``goto_first_child_for_byte`` (a scan in C). No per-offset descent from
    the root in Python, and no ``Node.parent``, so a file nested 50,000 levels
    deep or a list of 100,000 elements stays linear. An offset between tokens
    yields the node whose children surround it.
    """
    cursor = root.walk()
    stack = [root]  # stack[-1] is always cursor.node
    for offset in offsets:
        steps = 0
        while len(stack) > 1:
            node = stack[-1]
            if node.start_byte <= offset < node.end_byte:
                break
            if node.end_byte <= offset and steps < _SIBLING_STEPS and cursor.goto_next_sibling():
                stack[-1] = cursor.node
                steps += 1
                continue
            cursor.goto_parent()
            stack.pop()
            steps = _SIBLING_STEPS
        while stack[-1].child_count and cursor.goto_first_child_for_byte(offset) is not None:
            child = cursor.node
            if child.start_byte > offset:
                cursor.goto_parent()
                break
            stack.append(child)
        yield Located(
            offset,
            stack[-1],
            stack[-2] if len(stack) > 1 else None,
            stack[-3] if len(stack) > 2 else None,
            cursor,
        )


def error_tokens(root):
    """The leaves of ``root`` in document order, skipping subtrees without errors.

    A subtree without errors is balanced (every bracket it opens it closes),
    so for bracket matching near an error nothing is lost by skipping it.
    """
    for node in iter_error_subtree(root):
        if node.child_count == 0:
            yield node


def iter_leaves(root):
    """All leaf nodes in document order, iteratively (deep trees are fine)."""
    cursor = root.walk()
    while True:
        node = cursor.node
        if node.child_count == 0:
            yield node
        elif cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return
