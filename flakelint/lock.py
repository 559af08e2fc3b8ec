"""The ``flake.lock`` model: nodes, root inputs, follows paths, original vs locked.

Read the way Nix reads it (``LockFile::LockFile``), and checked for what
makes Nix refuse it. Nix accepts lock versions 5 to 7; they share one shape
(``{"nodes": {…}, "root": "root", "version": 7}``), except that version 5
kept ``lastModified``/``narHash`` of a node in a separate ``info`` object
(merged into ``locked`` here). Versions before 5 had another shape that no
current Nix reads.

Nix loads only the nodes reachable from the root through node references (a
string naming a node); a ``follows`` (an array of input names) is resolved
from the root when used. So only reachable nodes are checked, and an
unreachable node with odd content is not a problem (Nix never looks at it).

What makes the lock invalid becomes a :class:`LockProblem` (reported as
FL115) with the JSON location; rules that need the lock's content look at
:attr:`LockFile.valid` and stay silent when it is false. Nothing here ever
raises on bad input: malformed JSON, wrong types, nesting too deep for the
JSON module, follows cycles, a 50 MB file.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field

from flakelint.inputs import FlakeRef, from_attrs

LOCK_FILE = "flake.lock"
SUPPORTED_VERSIONS = (5, 6, 7)
#: A lock larger than this is not read at all (flakelint says nothing about it).
MAX_LOCK_SIZE = 256 * 1024 * 1024
#: Positions inside a lock larger than this are not computed (findings go to line 1).
MAX_POSITION_SCAN = 16 * 1024 * 1024
#: At most this many problems of one lock are reported (a broken lock can have thousands).
MAX_PROBLEMS = 20
#: Depth of JSON paths the position index records (``nodes.x.inputs.y`` is 4).
INDEX_DEPTH = 5


@dataclass(frozen=True)
class LockProblem:
    message: str
    location: tuple  # JSON path: ("nodes", "x", "inputs", "y")
    line: int = 1
    column: int = 1


@dataclass
class LockNode:
    id: str
    #: input name -> node id (str) or follows path (tuple of input names)
    inputs: dict[str, str | tuple[str, ...]] = field(default_factory=dict)
    locked: dict = field(default_factory=dict)
    original: dict = field(default_factory=dict)
    flake: bool = True

    @property
    def locked_ref(self) -> FlakeRef:
        return from_attrs(self.locked)

    @property
    def original_ref(self) -> FlakeRef:
        return from_attrs(self.original)

    @property
    def last_modified(self) -> int | None:
        value = self.locked.get("lastModified")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        return int(value)


class LockFile:
    """A read ``flake.lock``: valid when :attr:`problems` is empty."""

    def __init__(self, path: str, text: str):
        self.path = path
        self.text = text
        self.version: int | None = None
        self.root: str = "root"
        self.nodes: dict[str, LockNode] = {}
        self.problems: list[LockProblem] = []
        self._line_starts: list[int] | None = None
        self._index: dict[tuple, int] | None = None
        self._memo: dict[tuple, str | None] = {}
        #: Follows paths found to be part of a follows cycle.
        self.cyclic: set[tuple] = set()

    # -- questions rules ask

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def root_node(self) -> LockNode | None:
        return self.nodes.get(self.root)

    @property
    def root_inputs(self) -> dict[str, str | tuple[str, ...]]:
        node = self.root_node
        return dict(node.inputs) if node is not None else {}

    def resolve(self, path) -> str | None:
        """The node a follows path (input names from the root) leads to; None when it leads nowhere.

        ``[]`` is the root itself (``follows = ""``). Follows met on the way are
        resolved in turn; a cycle leads nowhere. Iterative, memoised.
        """
        start = tuple(path)
        memo = self._memo
        if start in memo:
            return memo[start]
        # Frames of (path, index, node): resume `path` at `index` from `node`.
        stack: list[tuple[tuple, int, str | None]] = [(start, 0, self.root)]
        active = {start}
        finished: str | None = None
        returning = False
        while stack:
            path_, index, position = stack.pop()
            if returning:
                returning = False
                position = finished
                index += 1
            pushed = False
            while position is not None and index < len(path_):
                node = self.nodes.get(position)
                entry = node.inputs.get(path_[index]) if node is not None else None
                if entry is None:
                    position = None
                elif isinstance(entry, str):
                    position = entry
                    index += 1
                elif entry in memo:
                    position = memo[entry]
                    index += 1
                elif entry in active:
                    position = None  # a follows cycle
                    self.cyclic.update(active)
                else:
                    stack.append((path_, index, position))
                    stack.append((entry, 0, self.root))
                    active.add(entry)
                    pushed = True
                    break
            if pushed:
                continue
            memo[path_] = position
            active.discard(path_)
            finished, returning = position, True
        return memo[start]

    def input_target(self, node_id: str, name: str) -> str | None:
        """The node input ``name`` of node ``node_id`` resolves to (follows resolved)."""
        node = self.nodes.get(node_id)
        entry = node.inputs.get(name) if node is not None else None
        if entry is None:
            return None
        if isinstance(entry, str):
            return entry
        return self.resolve(entry)

    def root_input_target(self, name: str) -> str | None:
        return self.input_target(self.root, name)

    # -- positions

    @property
    def line_starts(self) -> list[int]:
        if self._line_starts is None:
            starts = [0]
            find = self.text.find
            index = find("\n")
            while index != -1:
                starts.append(index + 1)
                index = find("\n", index + 1)
            self._line_starts = starts
        return self._line_starts

    def position_of_offset(self, offset: int) -> tuple[int, int]:
        import bisect

        starts = self.line_starts
        line = bisect.bisect_right(starts, offset) - 1
        return line + 1, offset - starts[line] + 1

    def position(self, location: tuple) -> tuple[int, int]:
        """(line, column) of a JSON path: its key (or array element); the nearest known ancestor otherwise."""
        index = self._position_index()
        location = tuple(location)
        while location:
            if location in index:
                return self.position_of_offset(index[location])
            location = location[:-1]
        return 1, 1

    def line_text(self, line: int) -> str:
        starts = self.line_starts
        if not 1 <= line <= len(starts):
            return ""
        begin = starts[line - 1]
        end = starts[line] if line < len(starts) else len(self.text)
        return self.text[begin:end].rstrip("\n").rstrip("\r")

    def _position_index(self) -> dict[tuple, int]:
        if self._index is None:
            self._index = _index_positions(self.text) if len(self.text) <= MAX_POSITION_SCAN else {}
        return self._index


# ---------------------------------------------------------------- reading


def read_lock(root: str, relpath: str = LOCK_FILE) -> LockFile | None:
    """The lock of the flake at ``root``; None when there is none (or it is skipped on purpose).

    git-crypt ciphertext and files over :data:`MAX_LOCK_SIZE` are skipped
    silently; a lock that cannot be read (a symlink out of the flake,
    permissions) is an invalid lock with the reason.
    """
    from flakelint.parse import Skipped, Unreadable, read_source

    abspath = os.path.join(root, relpath)
    if not os.path.lexists(abspath):
        return None
    if os.path.isdir(abspath) and not os.path.islink(abspath):
        lock = LockFile(relpath, "")
        lock.problems.append(LockProblem("flake.lock is a directory, not a file", ()))
        return lock
    data = read_source(abspath, relpath, root, MAX_LOCK_SIZE)
    if isinstance(data, Skipped):
        return None
    if isinstance(data, Unreadable):
        if "max-file-size" in data.reason:
            return None
        lock = LockFile(relpath, "")
        lock.problems.append(LockProblem(f"flake.lock cannot be read ({data.reason})", ()))
        return lock
    return parse_lock(data, relpath)


def parse_lock(data: bytes, relpath: str = LOCK_FILE) -> LockFile:
    """Parse and check lock bytes (never raises)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        lock = LockFile(relpath, data.decode("utf-8", "replace"))
        line, column = lock.position_of_offset(len(data[: exc.start].decode("utf-8", "replace")))
        lock.problems.append(LockProblem(f"flake.lock is not valid UTF-8 (byte 0x{data[exc.start]:02x})", (), line, column))
        return lock
    lock = LockFile(relpath, text)
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        conflict = _CONFLICT.search(text)
        if conflict is not None:
            line, column = lock.position_of_offset(conflict.start())
            lock.problems.append(LockProblem("flake.lock contains git merge conflict markers: it is not JSON", (), line, column))
        else:
            lock.problems.append(LockProblem(f"flake.lock is not valid JSON: {exc.msg}", (), exc.lineno, exc.colno))
        return lock
    except _BadConstant as exc:
        offset = text.find(exc.args[0])
        line, column = lock.position_of_offset(max(offset, 0))
        lock.problems.append(LockProblem(f"flake.lock is not valid JSON: `{exc.args[0]}` is not a JSON value", (), line, column))
        return lock
    except RecursionError:
        lock.problems.append(LockProblem("flake.lock is nested too deeply to be a lock file", ()))
        return lock
    except (ValueError, MemoryError) as exc:
        lock.problems.append(LockProblem(f"flake.lock is not valid JSON: {type(exc).__name__}", ()))
        return lock
    _check(lock, document)
    if len(lock.problems) > MAX_PROBLEMS:
        more = len(lock.problems) - MAX_PROBLEMS
        lock.problems = lock.problems[:MAX_PROBLEMS] + [
            LockProblem(f"… and {more} more problems of this kind in flake.lock", ())
        ]
    if lock.problems:
        lock.problems = [_placed(lock, problem) for problem in lock.problems]
    return lock


_CONFLICT = re.compile(r"^(?:<{7}|>{7})(?: |$)", re.M)


class _BadConstant(Exception):
    pass


def _reject_constant(name: str):
    raise _BadConstant(name)


def _placed(lock: LockFile, problem: LockProblem) -> LockProblem:
    if problem.line != 1 or problem.column != 1 or not problem.location:
        return problem
    line, column = lock.position(problem.location)
    return LockProblem(problem.message, problem.location, line, column)


def _type_name(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _check(lock: LockFile, document) -> None:
    problems = lock.problems

    def problem(message: str, *location) -> None:
        problems.append(LockProblem(message, tuple(location)))

    if not isinstance(document, dict):
        problem(f"flake.lock must be a JSON object, but it is {_type_name(document)}")
        return
    version = document.get("version", None)
    if "version" not in document:
        problem("flake.lock has no `version`: Nix reads versions 5 to 7")
        return
    if (
        isinstance(version, bool)
        or not isinstance(version, (int, float))
        or not math.isfinite(version)
        or version != int(version)
    ):
        problem(f"`version` must be a whole number, but it is {_type_name(version)}", "version")
        return
    version = int(version)
    if version not in SUPPORTED_VERSIONS:
        problem(f"unknown lock version {version}: Nix reads versions 5 to 7", "version")
        return
    lock.version = version
    if "root" not in document:
        problem("flake.lock has no `root`: it must name the root node")
    elif not isinstance(document["root"], str):
        problem(f"`root` must be a string naming the root node, but it is {_type_name(document['root'])}", "root")
    else:
        lock.root = document["root"]
    nodes = document.get("nodes")
    if "nodes" not in document:
        problem("flake.lock has no `nodes`")
        return
    if not isinstance(nodes, dict):
        problem(f"`nodes` must be an object, but it is {_type_name(nodes)}", "nodes")
        return
    if problems:
        return
    root = lock.root
    if root not in nodes:
        problem(f"`root` names node {_show(root)}, which `nodes` does not have", "root")
        return
    follows: list[tuple[str, str, tuple]] = []
    queue = [root]
    seen = {root}
    while queue:
        node_id = queue.pop()
        raw = nodes[node_id]
        where = ("nodes", node_id)
        if not isinstance(raw, dict):
            problem(f"{_location(where)} must be an object, but it is {_type_name(raw)}", *where)
            continue
        node = LockNode(node_id)
        if node_id != root:
            for key in ("locked", "original"):
                attrs = raw.get(key)
                if key not in raw:
                    problem(f"{_location(where)} has no `{key}`", *where)
                elif not isinstance(attrs, dict):
                    problem(f"{_location(where + (key,))} must be an object, but it is {_type_name(attrs)}", *where, key)
                else:
                    bad = next((k for k, v in attrs.items() if not isinstance(v, (str, int, float, bool))), None)
                    if bad is not None:
                        problem(
                            f"{_location(where + (key, bad))} is {_type_name(attrs[bad])}: lock attributes are strings, numbers or booleans",
                            *where, key, bad,
                        )
                    elif not isinstance(attrs.get("type"), str):
                        problem(f"{_location(where + (key,))} has no `type` string", *where, key)
                    else:
                        setattr(node, key, dict(attrs))
            info = raw.get("info")
            if version == 5 and isinstance(info, dict):
                for key, value in info.items():
                    node.locked.setdefault(key, value)
            if "flake" in raw:
                if not isinstance(raw["flake"], bool):
                    problem(f"{_location(where + ('flake',))} must be true or false, but it is {_type_name(raw['flake'])}", *where, "flake")
                else:
                    node.flake = raw["flake"]
            if "parent" in raw:
                parent = raw["parent"]
                if not isinstance(parent, list) or not all(isinstance(p, str) for p in parent):
                    problem(f"{_location(where + ('parent',))} must be an array of input names", *where, "parent")
        inputs = raw.get("inputs", {})
        if "inputs" in raw and not isinstance(inputs, dict):
            problem(f"{_location(where + ('inputs',))} must be an object, but it is {_type_name(inputs)}", *where, "inputs")
            inputs = {}
        for name, target in inputs.items():
            here = where + ("inputs", name)
            if isinstance(target, str):
                if target == root:
                    problem(f"{_location(here)} refers back to the root node {_show(root)}: a cycle Nix rejects", *here)
                elif target not in nodes:
                    problem(f"{_location(here)} refers to node {_show(target)}, which `nodes` does not have", *here)
                else:
                    node.inputs[name] = target
                    if target not in seen:
                        seen.add(target)
                        queue.append(target)
            elif isinstance(target, list) and all(isinstance(part, str) for part in target):
                node.inputs[name] = tuple(target)
                follows.append((node_id, name, tuple(target)))
            else:
                problem(
                    f"{_location(here)} must be a node name or a follows path (an array of input names), "
                    f"but it is {_type_name(target)}",
                    *here,
                )
        lock.nodes[node_id] = node
    if problems:
        return
    for node_id, name, path in sorted(follows, key=lambda f: (f[0], f[1])):
        if lock.resolve(path) is None:
            shown = "/".join(path)
            where = _location(("nodes", node_id, "inputs", name))
            if path in lock.cyclic:
                message = f"{where} follows `{_clip(shown)}`, which is part of a follows cycle: it never reaches a node"
            else:
                message = f"{where} follows `{_clip(shown)}`, which leads nowhere: the root has no such input path"
            problems.append(LockProblem(message, ("nodes", node_id, "inputs", name)))


_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _show(name: str) -> str:
    return "`" + _clip(json.dumps(name, ensure_ascii=False)[1:-1]) + "`"


def _location(path: tuple) -> str:
    """A JSON path for messages: `nodes.home-manager.inputs.nixpkgs`, `nodes["a.b"]`."""
    parts = []
    for part in path:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif _PLAIN_KEY.match(part):
            parts.append(("." if parts else "") + part)
        else:
            parts.append(f"[{_clip(json.dumps(part, ensure_ascii=False))}]")
    return "`" + ("".join(parts) or "(top level)") + "`"


json_location = _location

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]', re.S)


def _index_positions(text: str) -> dict[tuple, int]:
    """Offsets of object keys and array elements by JSON path, up to :data:`INDEX_DEPTH`.

    One pass of a regular-expression tokenizer with an explicit stack (no
    recursion), for valid JSON; on anything else it stops where it is lost.
    """
    index: dict[tuple, int] = {}
    # Stack entries: [kind, path, pending key, array position]
    stack: list[list] = []
    expect_key = False
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        start = match.start()
        top = stack[-1] if stack else None
        if token == "{" or token == "[":
            path = ()
            if top is not None:
                if top[0] == "obj":
                    path = top[1] + (top[2],)
                else:
                    path = top[1] + (top[3],)
                    if len(path) <= INDEX_DEPTH:
                        index.setdefault(path, start)
            stack.append(["obj" if token == "{" else "arr", path, None, 0])
            expect_key = token == "{"
        elif token == "}" or token == "]":
            if not stack:
                break
            stack.pop()
            expect_key = False
        elif token == ",":
            if top is None:
                break
            if top[0] == "arr":
                top[3] += 1
            else:
                expect_key = True
        elif token == ":":
            continue
        else:  # a string
            if top is None:
                continue
            if top[0] == "obj" and expect_key:
                if "\\" in token:
                    try:
                        key = json.loads(token)
                    except ValueError:
                        key = token[1:-1]
                else:
                    key = token[1:-1]
                top[2] = key
                path = top[1] + (key,)
                if len(path) <= INDEX_DEPTH:
                    index.setdefault(path, start)
                expect_key = False
            elif top[0] == "arr":
                path = top[1] + (top[3],)
                if len(path) <= INDEX_DEPTH:
                    index.setdefault(path, start)
    return index
