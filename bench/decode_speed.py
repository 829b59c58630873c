"""Benchmark: decode the whole shared corpus in-process, and `cableroute decode --json` as a whole process.

In-process (one core): cables per second for decoding alone (texts already in memory) and for reading
plus decoding (`replay.inputs.corpus.read_cables`, files read from disk), each the best of several runs,
and a cProfile summary with `--profile`.

Whole process (`--whole N`): `cableroute decode --json CORPUS > /dev/null` started N times, in turn with
its baselines: `python -c pass` (the interpreter's own start) and `cat` of every corpus file (reading
the corpus and writing it to /dev/null), and with `--baseline-tree DIR` the same command run from
another checkout (`PYTHONPATH=DIR`, e.g. the code as it was: `git archive REV | tar -x -C DIR`, then
`python -m compileall -q DIR` so that neither side compiles its modules at every start).
Prints the median wall and CPU seconds of each and the ratios of the medians.

With `--cablemap DIR` (5 runs unless `--whole` says otherwise) the whole command is also timed in turn
with cablemap, the Python cable reader the decoder's speed target was set against, reading the same
corpus in a process of its own: `bench/baselines/cablemap_decode.py` with the Python 3 port of
cablemap in DIR (not part of this project: docs/performance.md says how to build it), given each
cable's header and body already split. It runs twice: reading every field cablemap's `Cable` parses,
and every field but the references (cablemap's reference parser backtracks over the prose that follows
a REF line and takes most of its time). Prints the median and fastest wall and CPU seconds of each and
cablemap's time over the decode command's, against the target of ten times.

Usage: `python bench/decode_speed.py [CORPUS_DIR] [--repeat N] [--profile] [--whole N]
[--baseline-tree DIR] [--cablemap DIR]`.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path

from replay.inputs.corpus import CableText, iter_sources, read_cables
from router.decoder import decode

ROOT = Path(__file__).resolve().parents[1]

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "cables"
#: The script that reads the corpus with the cablemap port, in a process of its own.
CABLEMAP_DRIVER = ROOT / "bench" / "baselines" / "cablemap_decode.py"
#: How many times faster than cablemap the whole decode command is meant to be.
CABLEMAP_TARGET = 10.0
TARGET = 20_000
#: The whole command's target on the shared corpus, in seconds (ten times faster than a Python decoder
#: measured at 4.05 s on the same corpus).
WHOLE_TARGET_S = 0.40


def decode_all(texts: list[CableText]) -> int:
    """Decode every text; the number decoded."""
    cables = [decode(item.text, item.source) for item in texts]
    return len(cables)


def best_rate(repeat: int, count: int, run: object) -> float:
    """Cables per second of the fastest of `repeat` runs of `run()`."""
    best = float("inf")
    for _ in range(max(repeat, 1)):
        started = time.perf_counter()
        run()  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    return count / best


def timed_process(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run of `command`, its output thrown away."""
    with open(os.devnull, "wb") as sink:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=sink, stderr=sink, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{command[:3]}... exited with {process.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def cablemap_problem(port: Path, corpus: Path) -> str | None:
    """Why the cablemap baseline cannot run from `port` on `corpus`, or None when it can."""
    if not (port / "cablemap" / "core" / "reader.py").is_file():
        return (
            f"no cablemap port in {port}: expected {port}/cablemap/core/reader.py "
            "(docs/performance.md, 'cablemap, measured in the same run', says how to build it)"
        )
    if not (corpus.parent / "HEADER_LINES.tsv").is_file():
        return f"the cablemap baseline needs {corpus.parent / 'HEADER_LINES.tsv'} (header lines per cable)"
    return None


def cablemap_commands(port: Path, corpus: Path) -> dict[str, list[str]]:
    """The cablemap baseline's commands: every field, and every field but the references."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(port / "cablemap")], check=True)
    command = [sys.executable, str(CABLEMAP_DRIVER), str(port), str(corpus)]
    return {
        "cablemap, every field": command,
        "cablemap, without references": [*command, "--without", "references"],
    }


def whole_process(corpus: Path, runs: int, baseline_tree: Path | None, cablemap: Path | None) -> None:
    """Time the decode command as a whole process against its baselines, in turn, and print medians
    (with cablemap, the fastest runs too and cablemap's time over the decode command's)."""
    cableroute = Path(sys.executable).with_name("cableroute")
    decode_command = [str(cableroute), "decode", "--json", str(corpus)]
    files = sorted(str(path) for path in corpus.glob("*.txt"))
    commands: dict[str, tuple[list[str], dict[str, str] | None]] = {
        "cableroute decode --json": (decode_command, None),
        "python -c pass": ([sys.executable, "-c", "pass"], None),
        "cat of every file": (["cat", *files], None),
    }
    if baseline_tree is not None:
        other = {**os.environ, "PYTHONPATH": str(baseline_tree)}
        commands[f"the same from {baseline_tree}"] = (decode_command, other)
    for command, environment in commands.values():  # warm-up: page cache
        timed_process(command, environment)
    slow = cablemap_commands(cablemap, corpus) if cablemap is not None else {}
    commands.update({name: (command, None) for name, command in slow.items()})
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (command, environment) in commands.items():
            wall, cpu = timed_process(command, environment)
            walls[name].append(wall)
            cpus[name].append(cpu)
    load = os.getloadavg()
    print(f"whole process, median of {runs} runs taken in turn (load average {load[0]:.2f} {load[1]:.2f}):")
    mine = statistics.median(walls["cableroute decode --json"])
    mine_cpu = statistics.median(cpus["cableroute decode --json"])
    for name in commands:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        ratio = (
            "" if wall == mine else f"   decode / this: wall {mine / wall:5.2f}, cpu {mine_cpu / cpu:5.2f}"
        )
        print(f"  {name:40s} wall {wall:6.3f} s  cpu {cpu:6.3f} s{ratio}")
    print(f"  target: {WHOLE_TARGET_S:.2f} s wall -> {mine / WHOLE_TARGET_S:.2f}x of the target time")
    if slow:
        print_against_cablemap(walls, cpus, list(slow))


def print_against_cablemap(
    walls: dict[str, list[float]], cpus: dict[str, list[float]], names: list[str]
) -> None:
    """Median and fastest runs of the decode command and of cablemap, and cablemap's time over ours."""
    ours = "cableroute decode --json"
    print(f"against cablemap (target: cablemap takes >= {CABLEMAP_TARGET:.0f}x the decode command's time):")
    for name in [ours, *names]:
        print(
            f"  {name:32s} wall median {statistics.median(walls[name]):7.2f} s, fastest "
            f"{min(walls[name]):7.2f} s; cpu median {statistics.median(cpus[name]):7.2f} s, "
            f"fastest {min(cpus[name]):7.2f} s"
        )
    for name in names:
        wall = statistics.median(walls[name]) / statistics.median(walls[ours])
        cpu = statistics.median(cpus[name]) / statistics.median(cpus[ours])
        fastest = min(walls[name]) / min(walls[ours])
        verdict = "met" if wall >= CABLEMAP_TARGET else "not met"
        print(
            f"  {name} / decode: wall {wall:6.1f}x (medians), {fastest:6.1f}x (fastest runs), "
            f"cpu {cpu:6.1f}x -> target {verdict} on the median wall time"
        )


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS), help="directory of cable files")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (best is reported)")
    parser.add_argument("--profile", action="store_true", help="print the top functions by own time")
    parser.add_argument(
        "--whole",
        type=int,
        default=0,
        metavar="N",
        help="also time the whole command N times (with baselines)",
    )
    parser.add_argument(
        "--baseline-tree",
        type=Path,
        metavar="DIR",
        help="with --whole: also run the command from this checkout",
    )
    parser.add_argument(
        "--cablemap",
        type=Path,
        metavar="DIR",
        help="also time cablemap (its Python 3 port in DIR) on the corpus, in turn with the decode command",
    )
    args = parser.parse_args()
    corpus = Path(args.corpus)
    if not corpus.is_dir():
        print(f"corpus not found at {corpus}", file=sys.stderr)
        return 1
    if args.cablemap is not None:
        problem = cablemap_problem(args.cablemap, corpus)
        if problem:
            print(problem, file=sys.stderr)
            return 2
        args.whole = args.whole or 5
    texts = [item for item in iter_sources([str(corpus)]) if isinstance(item, CableText)]
    count = len(texts)
    characters = sum(len(item.text) for item in texts)
    decode_all(texts)  # warm up
    in_memory = best_rate(args.repeat, count, lambda: decode_all(texts))
    with_reading = best_rate(args.repeat, count, lambda: read_cables([str(corpus)]))
    print(f"corpus: {count} cables, {characters / 1e6:.1f} M characters ({corpus})")
    print(f"decode only:          {in_memory:9,.0f} cables/s  ({1e6 / in_memory:5.1f} us/cable)")
    print(f"read files + decode:  {with_reading:9,.0f} cables/s  ({1e6 / with_reading:5.1f} us/cable)")
    print(f"target: {TARGET:,} cables/s decode only -> {in_memory / TARGET:.2f}x of target")
    if args.whole:
        whole_process(corpus, args.whole, args.baseline_tree, args.cablemap)
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(decode_all, texts)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
