"""The worker processes of the per-file stage (the "map" of a run).

Each ``.nix`` file is parsed and analysed on its own (file rules, the
suppression scan, the path facts of the import graph, the per-file
summaries of repository rules), a chunk of :data:`CHUNK_FILES` files at a
time; what comes back is small and picklable, never a tree. The engine decides whether a run is large enough to pay for
processes (:func:`jobs_for`); below that everything runs in-process through
the same per-file function.

This is a small pool of its own rather than ``concurrent.futures`` because
a worker that dies must not cost the results of other files. The items
(path and bytes, or None for a file the worker reads itself) go to every
worker once, when it starts (under ``fork`` it inherits them: nothing is
copied); a batch is then only a range of indices, a message of a few
bytes, so that this process never blocks writing to a busy worker. A
worker holds :data:`PREFETCH` batches at a time (more at the start,
:data:`START_EXTRA`, while this process runs the idle hook), so that when
it finishes one the next is already in its pipe, whatever this process is
doing. Batches shrink towards the end of the run (:func:`batches`), so
that the workers finish close together. A worker reports its results in a few messages per
batch (every ``FLUSH_SECONDS``, and at the end of the batch: one message
per file cost the main process more time than the files' results
themselves). When a worker dies, the files it held and had not reported
are each retried alone in a fresh worker, one batch at a time from then
on, so the file that killed it is found without blaming its neighbours; a
file that kills a worker twice on its own becomes one FL004 finding. A
file that keeps a worker busy longer than the per-file limit
(``FLAKELINT_FILE_TIMEOUT`` seconds, default 300) has its worker killed
and becomes an FL004 finding at once (parsing has its own, much smaller
budget: FL002).

Test hook (used by ``tests/test_pool.py`` only): when the environment
variable ``FLAKELINT_TEST_KILL_ON`` names a file (its root-relative path), a
*worker* that reaches that file kills itself with SIGKILL; with
``FLAKELINT_TEST_KILL_MARKER`` set to a path, only the first worker does
(it creates that file first). ``FLAKELINT_TEST_HANG_ON`` makes a worker
sleep for an hour on that file instead (the per-file limit must end it). The
main process never reads these.
"""

from __future__ import annotations

import os
import sys
import time
from collections import deque
from dataclasses import dataclass, field

#: Fewer files than this are analysed in-process: starting workers and
#: shipping results costs more than it saves (measured, bench/RESULTS.md).
MIN_FILES = 300
DEFAULT_FILE_TIMEOUT = 300.0
#: How often a worker reports the results it has (seconds).
FLUSH_SECONDS = 0.1
#: Files the per-file function gets at a time (it runs each of its steps
#: over all of them in turn: :func:`flakelint.engine.analyse_files`). 16
#: saves as much CPU as 64 did, and keeps a worker's reports frequent.
CHUNK_FILES = 16
#: Largest batch (files) handed to a worker in one message.
MAX_BATCH = 64
#: Batches a worker holds at once while no worker has died or hung.
PREFETCH = 2
#: More batches each at the start, while this process runs the idle hook.
START_EXTRA = 2


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def requested_jobs() -> int | None:
    """``FLAKELINT_JOBS`` (or ``--jobs``, which sets it for the run): None when unset or invalid."""
    value = os.environ.get("FLAKELINT_JOBS", "").strip()
    if not value:
        return None
    try:
        jobs = int(value)
    except ValueError:
        return None
    return jobs if jobs >= 0 else None


def jobs_for(files: int, requested: int | None = None) -> int:
    """How many worker processes for ``files`` files: 0 means in-process.

    ``requested`` (``--jobs``/``FLAKELINT_JOBS``): 1 or 0 forces the
    in-process path, N > 1 forces N workers whatever the file count.
    """
    if requested is None:
        requested = requested_jobs()
    if requested is not None:
        return 0 if requested <= 1 else min(requested, max(files, 1))
    if files < MIN_FILES:
        return 0
    cpus = cpu_count()
    return cpus if cpus > 1 else 0


def file_timeout() -> float:
    try:
        value = float(os.environ.get("FLAKELINT_FILE_TIMEOUT", ""))
    except ValueError:
        return DEFAULT_FILE_TIMEOUT
    return value if value > 0 else DEFAULT_FILE_TIMEOUT


def can_fork() -> bool:
    """Whether ``fork`` is safe here: Linux (macOS's system libraries are not fork-safe, Windows has none)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def _start_method() -> str:
    # fork: the workers inherit the already imported rules and parser (no
    # import cost); the main process has no threads at this point.
    return "fork" if can_fork() else "spawn"


@dataclass(frozen=True)
class Failed:
    """The per-file function raised in a worker (the main process reports it)."""

    reason: str

    @classmethod
    def of(cls, exc: BaseException) -> "Failed":
        """The exception in one line of at most 200 characters, as an FL004 finding quotes it."""
        return cls(f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}")


@dataclass
class _Worker:
    process: object
    conn: object
    #: Indices of the items it holds and has not reported, in the order it reports them.
    batch: deque = field(default_factory=deque)
    #: How many of those belong to each batch it holds, oldest first.
    held: deque = field(default_factory=deque)
    since: float = 0.0

    def reported(self) -> None:
        """The oldest item it held is done."""
        self.batch.popleft()
        self.held[0] -= 1
        if not self.held[0]:
            self.held.popleft()


def batches(count: int, jobs: int) -> list[tuple[int, int]]:
    """(start, stop) index ranges covering ``count`` items, for ``jobs`` workers.

    A quarter of the remaining work per worker at a time, at most
    :data:`MAX_BATCH` and at least :data:`CHUNK_FILES` items (fewer only
    in a run too small to give every worker a few chunks): large batches
    while there is much left, small ones at the end, so that no worker is
    left with a large batch while the others have finished.
    """
    floor = max(1, min(CHUNK_FILES, count // (jobs * 4)))
    ranges = []
    start = 0
    while start < count:
        size = max(floor, min(MAX_BATCH, (count - start) // (jobs * 4)))
        ranges.append((start, min(count, start + size)))
        start += size
    return ranges


def run(function, context, items: list[tuple[str, bytes]], jobs: int, lost, idle=None) -> dict:
    """``function(context, chunk)`` over every item, in ``jobs`` processes.

    ``function`` takes up to :data:`CHUNK_FILES` (path, data) items and
    returns (path, result) for each, in order; a result may be
    :class:`Failed`. Returns {path: result}. ``lost(path, reason)`` makes
    the result of a file whose worker died twice (or hung): it is called in
    the main process. ``idle()``, when given, runs once, as soon as the
    workers have their first batches (the CLI imports the report format).
    This process has nothing else to do until results come in, and work it
    would otherwise do alone after the workers finish costs the run about
    half as much here, shared with them: measured, 0.05–0.07 s less on the
    4,000-file benchmark and on home-manager than doing it when the first
    worker ran out of work, which mostly left the last worker's final
    report waiting for it.
    """
    import multiprocessing
    from multiprocessing.connection import wait

    mp = multiprocessing.get_context(_start_method())
    queue: deque = deque(batches(len(items), jobs))
    results: dict = {}
    deaths: dict[str, int] = {}
    workers: dict[object, _Worker] = {}
    limit = file_timeout()
    depth = [PREFETCH]  # one batch at a time once a worker has died or hung

    def start() -> None:
        parent, child = mp.Pipe()
        # A forked worker inherits the main process's ends of its own pipe
        # and of the other workers' pipes; it closes them, so that a worker
        # whose main process died sees end-of-file instead of waiting for a
        # batch forever.
        forked = mp.get_start_method() == "fork"
        inherited = [parent.fileno()] + [w.conn.fileno() for w in workers.values()] if forked else []
        process = mp.Process(target=_worker_main, args=(child, function, context, items, inherited), daemon=True)
        process.start()
        child.close()
        workers[parent] = _Worker(process, parent)

    def assign(worker: _Worker) -> bool:
        if not queue:
            return False
        first, stop = queue.popleft()
        if not worker.batch:
            worker.since = time.monotonic()
        worker.batch.extend(range(first, stop))
        worker.held.append(stop - first)
        try:
            worker.conn.send((first, stop))
        except (OSError, ValueError):
            pass  # the worker died already; the read side notices
        return True

    def fill(worker: _Worker) -> None:
        while len(worker.held) < depth[0] and assign(worker):
            pass

    def retire(worker: _Worker, how: str | None) -> None:
        """A worker is gone: retry each file it left unreported alone, or blame the only one."""
        depth[0] = 1
        del workers[worker.conn]
        try:
            worker.conn.close()
        except OSError:
            pass
        process = worker.process
        if how == "hung":
            process.kill()
        process.join(5)
        if not worker.batch:
            return
        if len(worker.batch) > 1:
            # Any unreported file may be the one it died or hung on (results
            # of the others may have been waiting to be sent): each is retried alone.
            queue.extendleft((index, index + 1) for index in reversed(worker.batch))
            return
        suspect = worker.batch.popleft()
        suspect_path = items[suspect][0]
        if how == "hung":
            results[suspect_path] = lost(suspect_path, f"its analysis took longer than {limit:g} seconds")
            return
        deaths[suspect_path] = deaths.get(suspect_path, 0) + 1
        if deaths[suspect_path] >= 2:
            code = process.exitcode
            why = f"killed by signal {-code}" if isinstance(code, int) and code < 0 else f"exit status {code}"
            results[suspect_path] = lost(suspect_path, f"the process analysing it died twice ({why})")
        else:
            queue.appendleft((suspect, suspect + 1))  # retried alone once more

    def replace() -> None:
        if queue:
            start()
            fill(list(workers.values())[-1])

    try:
        for _ in range(min(jobs, len(queue))):
            start()
        # Round by round, so that every worker started has work and a
        # short queue is shared evenly; more than PREFETCH batches each
        # before ``idle``, which keeps this process from handing out more
        # for a while (measured: 0.05 s of a worker's time lost on
        # home-manager's small files with two batches each).
        for level in range(1, PREFETCH + START_EXTRA + 1):
            for worker in list(workers.values()):
                if len(worker.held) < level:
                    assign(worker)
        spare_time(idle)
        while workers:
            ready = wait(list(workers), timeout=min(limit, 5.0))
            now = time.monotonic()
            for conn in ready:
                worker = workers[conn]
                try:
                    reported = conn.recv()
                except (EOFError, OSError):
                    retire(worker, "died")
                    replace()
                    continue
                for path, result in reported:
                    results[path] = lost(path, f"its analysis failed: {result.reason}") if isinstance(result, Failed) else result
                    if worker.batch and items[worker.batch[0]][0] == path:
                        worker.reported()
                worker.since = now
                fill(worker)
                if not worker.batch:
                    try:
                        conn.send(None)
                    except (OSError, ValueError):
                        pass
                    del workers[conn]
                    conn.close()
                    worker.process.join(5)
            for worker in list(workers.values()):
                if worker.batch and now - worker.since > limit:
                    retire(worker, "hung")
                    replace()
            if not workers and queue:
                replace()
    finally:
        for worker in list(workers.values()):
            worker.process.kill()
            worker.process.join(5)
    return results


def spare_time(idle) -> None:
    """Run ``idle()`` if there is one; its failure is nobody's (a head start on work done later anyway)."""
    if idle is None:
        return
    try:
        idle()
    except Exception:  # noqa: BLE001 - an optional head start: whatever it was is done again later
        pass


def _worker_main(conn, function, context, items, inherited=()) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    for fd in inherited:
        try:
            os.close(fd)
        except OSError:
            pass
    kill_on = os.environ.get("FLAKELINT_TEST_KILL_ON")
    hang_on = os.environ.get("FLAKELINT_TEST_HANG_ON")
    while True:
        try:
            batch = conn.recv()
        except (EOFError, OSError):
            return
        if batch is None:
            return
        first, stop = batch
        done: list = []
        last = time.monotonic()
        for start in range(first, stop, CHUNK_FILES):
            chunk = items[start : min(stop, start + CHUNK_FILES)]
            for path, _data in chunk:
                if kill_on is not None and path == kill_on and _test_may_kill():
                    os.kill(os.getpid(), signal.SIGKILL)
                if hang_on is not None and path == hang_on:
                    time.sleep(3600)
            try:
                done.extend(function(context, chunk))
            except Exception as exc:  # noqa: BLE001 - reported as FL004 by the main process
                reason = Failed.of(exc)
                done.extend((path, reason) for path, _data in chunk)
            now = time.monotonic()
            if now - last >= FLUSH_SECONDS or start + CHUNK_FILES >= stop:
                try:
                    conn.send(done)
                except OSError:
                    return  # the main process is gone: nobody wants the rest
                done = []
                last = now


def _test_may_kill() -> bool:
    marker = os.environ.get("FLAKELINT_TEST_KILL_MARKER")
    if not marker:
        return True
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except OSError:
        return False
    return True
