"""flakelint's benchmark: ratios against a baseline measured in the same run.

    python bench/run.py                 # 4,000-file repo, 5 runs each
    python bench/run.py --files 1000 2000 4000 8000 --runs 3   # scaling
    python bench/run.py --files --repo ~/src/nix-config         # existing repositories

For each repository size it generates a seed-layout flake (bench/generate.py,
deterministic), then measures, each as the median of ``--runs`` runs in fresh
processes (parse-only, cold and warm interleaved, one of each per round, so
that a slow spell of a shared machine weighs on all three alike; each ratio
is the median of the per-round ratios):

- ``parse-only``: a bare Python process that reads and tree-sitter-parses
  every ``.nix`` file and does nothing else (the floor for a tree-sitter
  linter in Python);
- ``cold``: ``flakelint --no-cache`` with all default rules, SARIF to a file;
- ``warm``: the same command again without ``--no-cache``;
- ``edit``: the same cached command after editing one module (a new comment
  each run): the pre-commit case, where the per-file outcomes of the other
  files come from the cache;
- ``small``: ``flakelint`` (concise) on examples/seed, against
  ``python -c "import click, networkx, tree_sitter, tree_sitter_nix"``;
- peak RSS of the cold run (the children's ``ru_maxrss``: the largest single
  process, the main one or a worker of the per-file stage).

It prints the ratios ``cold/parse-only``, ``warm/cold``, ``small/imports`` and
the RSS. Absolute times drift between runs and machines; the ratios are what
to compare. Nothing is asserted: this script measures, it does not test.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
NOW = "2025-11-20"  # fixed "now" so the generated lock is neither old nor new

PARSE_ONLY = r"""
import os, sys
import tree_sitter, tree_sitter_nix
parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_nix.language()))
count = 0
for directory, dirs, files in os.walk(sys.argv[1]):
    dirs[:] = [d for d in dirs if d != ".git"]
    for name in files:
        if name.endswith(".nix"):
            with open(os.path.join(directory, name), "rb") as handle:
                parser.parse(handle.read())
            count += 1
print(count)
"""


def timed(command: list[str], cwd: Path | None = None) -> tuple[float, int]:
    """Wall time of one child process, and its peak RSS in KiB."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise SystemExit(f"{command[:4]} failed ({result.returncode}): {result.stderr.strip()[:500]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before)


def peak_rss_kib(command: list[str]) -> int:
    """Peak RSS of one run of ``command``, measured in a fresh wrapper process."""
    wrapper = (
        "import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    output = subprocess.run([sys.executable, "-c", wrapper, *command], capture_output=True, text=True, check=True)
    return int(output.stdout.strip())


def flakelint_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "flakelint", *args]


def measure(files: int, runs: int, workdir: Path, existing: Path | None = None) -> dict:
    """The figures for a generated repository of ``files`` files, or for an ``existing`` one (not edited)."""
    repo = existing or workdir / f"repo-{files}"
    if not repo.exists():
        subprocess.run([sys.executable, str(HERE / "generate.py"), str(repo), "--files", str(files), "--git"], check=True, stdout=subprocess.DEVNULL)
    if existing is not None:
        files = sum(1 for _ in _nix_files(repo))
    sarif = workdir / f"out-{repo.name}.sarif"
    parse_command = [sys.executable, "-c", PARSE_ONLY, str(repo)]
    cold_command = flakelint_command("--no-cache", "--now", NOW, "--output-format", "sarif", "--output-file", str(sarif), str(repo))
    warm_command = flakelint_command("--now", NOW, "--output-format", "sarif", "--output-file", str(sarif), str(repo))
    timed(warm_command)  # fill the cache (when there is one); --no-cache runs neither read nor write it
    rounds = [(timed(parse_command)[0], timed(cold_command)[0], timed(warm_command)[0]) for _ in range(runs)]
    parse_only, cold, warm = (statistics.median(column) for column in zip(*rounds))
    edit = median_of_edits(runs, repo, warm_command) if existing is None else float("nan")
    rss = peak_rss_kib(cold_command)
    name = repo.name if existing is not None else ""
    return {
        "files": files, "name": name, "parse_only": parse_only, "cold": cold, "warm": warm, "edit": edit,
        "rss_mib": rss / 1024,
        "cold_parse": statistics.median(c / p for p, c, _w in rounds),
        "warm_cold": statistics.median(w / c for _p, c, w in rounds),
    }


def _nix_files(repo: Path):
    for directory, dirs, names in os.walk(repo):
        dirs[:] = [d for d in dirs if d != ".git"]
        yield from (name for name in names if name.endswith(".nix"))


def median_of_edits(runs: int, repo: Path, command: list[str]) -> float:
    """A cached run after editing one module (a new comment each time): the pre-commit case."""
    edited = sorted((repo / "modules").rglob("*.nix"))[0]
    original = edited.read_bytes()
    times = []
    try:
        for run in range(runs):
            edited.write_bytes(original + f"# edit {run}\n".encode())
            times.append(timed(command)[0])
    finally:
        edited.write_bytes(original)
    timed(command)  # the cache as it was
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, nargs="*", default=[4000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--repo", type=Path, nargs="*", default=[], help="also measure these existing repositories (never edited)")
    parser.add_argument("--workdir", type=Path, default=None, help="keep generated repos here (default: a temp dir)")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="flakelint-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    # A cache of the benchmark's own, so that earlier runs elsewhere do not count.
    os.environ.setdefault("FLAKELINT_CACHE_DIR", str(workdir / "cache"))

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.platform()}")
    imports_command = [sys.executable, "-c", "import click, networkx, tree_sitter, tree_sitter_nix"]
    small_command = flakelint_command("--output-format", "concise", str(REPO / "examples" / "seed"))
    pairs = [(timed(imports_command)[0], timed(small_command)[0]) for _ in range(args.runs)]
    imports, small = (statistics.median(column) for column in zip(*pairs))
    ratio = statistics.median(s / i for i, s in pairs)
    print(f"small: {small:.3f}s  imports: {imports:.3f}s  small/imports: {ratio:.2f}")
    print(
        f"{'files':>6} {'parse-only':>11} {'cold':>8} {'warm':>8} {'edit':>8}"
        f" {'cold/parse':>11} {'warm/cold':>10} {'edit/cold':>10} {'RSS MiB':>8}"
    )
    rows = (measure(files, args.runs, workdir) for files in args.files)
    existing = (measure(0, args.runs, workdir, path.resolve()) for path in args.repo)
    for row in itertools.chain(rows, existing):
        print(
            f"{row['files']:>6} {row['parse_only']:>10.3f}s {row['cold']:>7.3f}s {row['warm']:>7.3f}s {row['edit']:>7.3f}s"
            f" {row['cold_parse']:>11.2f} {row['warm_cold']:>10.2f}"
            f" {row['edit'] / row['cold']:>10.2f} {row['rss_mib']:>8.1f} {row['name']}"
        )


if __name__ == "__main__":
    main()
