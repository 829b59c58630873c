"""Benchmark: `cableroute topology learn` over the shared corpus (target: under 2 s).

Prints the time to read and decode the corpus, to learn the topology from the decoded cables, to
write it as TOML, and the wall time of the whole command (`cableroute topology learn`, interpreter
start included). Usage: `python bench/topology_learn_speed.py [CORPUS_DIR] [--repeat N]`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from replay.inputs.corpus import read_cables
from router.learn import learn_topology
from topology.files import dump_topology

ROOT = Path(__file__).resolve().parents[1]

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "cables"
TARGET_S = 2.0

T = TypeVar("T")


def best_of(repeat: int, run: Callable[[], T]) -> tuple[float, T]:
    """The fastest of `repeat` runs of `run()` (seconds) and the last result."""
    times = []
    for _ in range(max(repeat, 1)):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return min(times), result


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    corpus = Path(args.corpus)
    if not corpus.is_dir():
        print(f"topology_learn: skipped, no corpus at {corpus}")
        return 0

    decode_s, (cables, errors) = best_of(args.repeat, lambda: read_cables([str(corpus)]))
    learn_s, topology = best_of(args.repeat, lambda: learn_topology(cables))
    dump_s, _ = best_of(args.repeat, lambda: dump_topology(topology))

    command = Path(sys.executable).with_name("cableroute")
    walls = []
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "learned.toml"
        for _ in range(args.repeat):
            started = time.perf_counter()
            subprocess.run(
                [str(command), "topology", "learn", str(corpus), "-o", str(output)],
                check=True,
                capture_output=True,
            )
            walls.append(time.perf_counter() - started)
    wall_s = min(walls)

    print(f"corpus: {len(cables)} cables, {len(errors)} unreadable ({corpus})")
    print(f"topology: {len(topology.posts)} posts, {len(topology.collectives)} collectives")
    print(f"read + decode:        {decode_s:7.3f} s   ({len(cables) / decode_s:,.0f} cables/s)")
    print(f"learn_topology:       {learn_s:7.3f} s   ({len(cables) / learn_s:,.0f} cables/s)")
    print(f"write TOML:           {dump_s:7.3f} s")
    print(f"in process total:     {decode_s + learn_s + dump_s:7.3f} s")
    print(
        f"`cableroute topology learn` wall time (best of {args.repeat}, median "
        f"{statistics.median(walls):.3f} s): {wall_s:.3f} s   target < {TARGET_S:.1f} s: "
        f"{'met' if wall_s < TARGET_S else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
