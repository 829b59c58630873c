"""The network at its real load: `cableroute simulate` of a year of traffic at the estimated real volume.

1. The corpus: `cableroute synth --like ../shared/corpus/cables --year 2008` (each station's estimated
   2008 volume, from the station serials of the published cables; about 300,000 cables), with the
   topology it was drawn from; made once and cached under the temporary directory.
2. Baseline: `cableroute simulate` of it at its own rate (`--load 1`).
3. The what-if: the same at `--load K` (default 4: four times the traffic).

Each line gives cables, deliveries, interrupted transmissions, wall time and CPU time (of the command and
the processes it waited for; worker processes started from the fork server are not counted), and the
what-if's wall time as a ratio of the baseline's, measured in the same run. The audit store of each
run is written to a temporary file and removed.

Usage: `python bench/simulate_load.py [--year Y] [--load K] [--workers N] [--shared DIR]`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

CACHE = Path(tempfile.gettempdir()) / "cableroute-bench"
RUN_CLI = "import sys; from replay.cli import main; sys.exit(main(sys.argv[1:]))"
SHARED = Path(__file__).resolve().parents[2] / "shared"


class Timed(NamedTuple):
    """A command's wall and CPU seconds (its own and its children's) and its last line of output."""

    wall_s: float
    cpu_s: float
    output: str


def timed(arguments: list[str]) -> Timed:
    """Run `cableroute ARGUMENTS` in a new process and time it."""
    before = os.times()
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", RUN_CLI, *arguments], capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    after = os.times()
    if result.returncode != 0:
        sys.exit(f"cableroute {' '.join(arguments)} failed:\n{result.stderr[-2000:]}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return Timed(wall, cpu, result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "")


def corpus(shared: Path, year: int) -> tuple[Path, Path]:
    """The cached real-volume corpus of `year` and its topology, made on first use."""
    CACHE.mkdir(parents=True, exist_ok=True)
    csv_path = CACHE / f"like-{year}.csv"
    toml_path = CACHE / f"like-{year}.toml"
    if not (csv_path.exists() and toml_path.exists()):
        print(f"writing {year}'s estimated real traffic into {csv_path} ...", flush=True)
        like = ["synth", "--like", str(shared / "corpus" / "cables"), "--year", str(year)]
        made = timed([*like, "--topology-out", str(toml_path), "-o", str(csv_path)])
        print(f"  made in {made.wall_s:.0f} s", flush=True)
    return csv_path, toml_path


def simulate(csv_path: Path, toml_path: Path, load: float, workers: int) -> tuple[Timed, dict[str, Any]]:
    """Simulate the corpus at a load factor into a throwaway store: the timing and the summary."""
    with tempfile.TemporaryDirectory() as folder:
        command = ["simulate", str(csv_path), "--topology", str(toml_path), "--load", f"{load:g}"]
        db = str(Path(folder) / "audit.sqlite")
        run = timed([*command, "--workers", str(workers), "--db", db, "--json"])
    return run, json.loads(run.output)


def line(label: str, run: Timed, summary: dict[str, Any]) -> str:
    """One result line."""
    return (
        f"{label}: {summary['cables']:,} cables, {summary['planned']:,} deliveries, "
        f"{summary['interrupted']:,} interrupted; {run.wall_s:.1f} s wall, {run.cpu_s:.1f} s CPU, "
        f"{summary['cables'] / run.wall_s:,.0f} cables/s"
    )


def main() -> None:
    """Make the corpus if needed, then time the baseline and the what-if."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2008)
    parser.add_argument("--load", type=float, default=4.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--shared", type=Path, default=SHARED)
    args = parser.parse_args()
    if not (args.shared / "corpus" / "cables").is_dir():
        sys.exit(f"the shared corpus is not at {args.shared}; give --shared DIR")
    csv_path, toml_path = corpus(args.shared, args.year)
    base, base_summary = simulate(csv_path, toml_path, 1.0, args.workers)
    print(line(f"baseline, {args.year} at its real rate (--load 1)", base, base_summary), flush=True)
    what_if, summary = simulate(csv_path, toml_path, args.load, args.workers)
    print(line(f"--load {args.load:g}", what_if, summary))
    print(f"ratio --load {args.load:g} / baseline: {what_if.wall_s / base.wall_s:.2f} (wall)")


if __name__ == "__main__":
    main()
