"""Benchmark: the decoder's CPU time on two fixed workloads, this tree against a baseline checkout in turn.

The workloads: every cable of the shared corpus decoded in full and rendered as JSON lines (what the
workers of `cableroute decode --json` do once the files are read), and the routing-only decode that
pass 1 of `cableroute simulate` runs (`decode(text, source, routing_only=True)`) over the first
`--rows` cables of a synthetic CSV. Each run is a fresh process (this script with
`--workload both`, `PYTHONPATH` set to the tree) that reads the inputs first and then times each
workload alone in CPU seconds (`time.process_time`); the two trees alternate `--repeat` times. Prints
the median of each and the ratio new / baseline.

For instruction counts, run one workload under callgrind and subtract the reading alone:
`PYTHONPATH=TREE valgrind --tool=callgrind python bench/decode_cost.py --workload full` (or `routing`),
then the same with `--workload none`.

Usage: `python bench/decode_cost.py --baseline DIR [--csv CSV] [--rows N] [--repeat N] [CORPUS_DIR]`,
or `python bench/decode_cost.py --workload {both,full,routing,none} [...]`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from replay.inputs.corpus import ReadError, iter_source_parts
from replay.inputs.workers import chunk_texts, chunked
from router.decoder import decode
from router.model import cables_to_json_lines

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "cables"
#: The 40,000-cable CSV that `bench/simulate_scale.py --count 40000` makes and caches.
DEFAULT_CSV = Path(tempfile.gettempdir()) / "cableroute-bench" / "synth-40000-0.csv"

#: The workloads `--workload` can run alone.
WORKLOADS = ("both", "full", "routing", "none")


def read_texts(path: Path, limit: int) -> list[tuple[str, str]]:
    """The first `limit` cables of a directory or CSV, as (source, text), read as `decode` reads them."""
    found: list[tuple[str, str]] = []
    for chunk in chunked(iter_source_parts([str(path)], max_bytes=10**8)):
        if not isinstance(chunk, ReadError):
            found.extend(chunk_texts(chunk)[0])
        if len(found) >= limit:
            break
    return found[:limit]


def run_workloads(corpus: Path, csv: Path, rows: int, workload: str) -> dict[str, float]:
    """Read the inputs, then run the workloads (`both`, `full`, `routing`, or `none`: the reading
    alone); the CPU seconds of each and the numbers of cables."""
    cables, synthetic = read_texts(corpus, 10**9), read_texts(csv, rows)  # (both, whatever runs)
    figures = {"cables": float(len(cables)), "rows": float(len(synthetic)), "full": 0.0, "routing": 0.0}
    if workload in ("both", "full"):
        started = time.process_time()
        cables_to_json_lines([decode(text, source) for source, text in cables])
        figures["full"] = time.process_time() - started
    if workload in ("both", "routing"):
        started = time.process_time()
        for source, text in synthetic:
            decode(text, source, routing_only=True)
        figures["routing"] = time.process_time() - started
    return figures


def measure(tree: Path, corpus: Path, csv: Path, rows: int) -> dict[str, float]:
    """One run of the workloads with the code of `tree`."""
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    command = [
        sys.executable,
        __file__,
        str(corpus),
        "--csv",
        str(csv),
        "--rows",
        str(rows),
        "--workload",
        "both",
    ]
    output = subprocess.run(command, env=environment, capture_output=True, text=True, check=True)
    figures: dict[str, float] = json.loads(output.stdout)
    return figures


def main() -> int:
    """Run both trees in turn and print the medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS, help="directory of cables")
    parser.add_argument(
        "--baseline", type=Path, metavar="DIR", help="baseline checkout (required without --workload)"
    )
    parser.add_argument(
        "--csv", type=Path, default=DEFAULT_CSV, help="synthetic CSV for the routing-only decode"
    )
    parser.add_argument("--rows", type=int, default=8000, help="cables of the CSV decoded (default 8000)")
    parser.add_argument("--repeat", type=int, default=7, help="runs of each tree, in turn")
    parser.add_argument(
        "--workload",
        choices=WORKLOADS,
        help="run this workload once in this process and print its figures as JSON (for callgrind)",
    )
    args = parser.parse_args()
    if args.workload is not None:
        print(json.dumps(run_workloads(args.corpus, args.csv, args.rows, args.workload)))
        return 0
    if args.baseline is None:
        parser.error("--baseline DIR is needed to compare")
    runs: dict[str, list[dict[str, float]]] = {"this tree": [], "baseline": []}
    for _ in range(args.repeat):
        runs["this tree"].append(measure(ROOT, args.corpus, args.csv, args.rows))
        runs["baseline"].append(measure(args.baseline, args.corpus, args.csv, args.rows))
    first = runs["this tree"][0]
    load = os.getloadavg()
    print(
        f"median CPU seconds of {args.repeat} runs in turn (load average {load[0]:.2f} {load[1]:.2f}): "
        f"{first['cables']:.0f} corpus cables decoded + JSON, {first['rows']:.0f} CSV cables routing-only"
    )
    medians = {
        name: {key: statistics.median(run[key] for run in found) for key in ("full", "routing")}
        for name, found in runs.items()
    }
    for name, figures in medians.items():
        print(f"  {name:10s} full + JSON {figures['full']:6.3f} s   routing-only {figures['routing']:6.3f} s")
    new, old = medians["this tree"], medians["baseline"]
    full, routing = new["full"] / old["full"], new["routing"] / old["routing"]
    print(f"  this / baseline: full + JSON {full:.3f}, routing-only {routing:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
