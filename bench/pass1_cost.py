"""Workloads of pass 1 of `cableroute simulate` for instruction counts, one process at a time.

`--worker N`: what a decode worker does with the first N slices of a CSV, in this process:
`ingest_chunk` on each and its result pickled as `Connection.send` pickles it; `--worker N --none`
reads the slices only. `--main N`: `Ingest.run` over the first N slices with two decode workers, feeding
a `StoreProcess` (a fresh store in a temporary directory), as `simulate` does in pass 1.

Run under `valgrind --tool=callgrind` with `--callgrind-out-file=cg.%p` (the workers and the store
writer are forked and counted apart; the main process is the one with the lowest id). Per cable:
`--worker 16` less `--worker 16 --none`, divided by the cables printed (4,096 for 16 slices); `--main
24` less `--main 8` for the main process, the writer and each worker (a forked process's count
includes its parent's at the fork), divided by 4,096. Usage: `python bench/pass1_cost.py (--worker N
[--none] | --main N) [--csv CSV]`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from itertools import islice
from multiprocessing.reduction import ForkingPickler
from pathlib import Path

from replay.engine.ingest import Ingest, ingest_chunk
from replay.inputs.corpus import CsvSlice, iter_source_slices
from replay.store.process import StoreProcess
from replay.store.store import AuditStore

#: The 40,000-cable CSV that `bench/simulate_scale.py --count 40000` makes and caches.
DEFAULT_CSV = Path(tempfile.gettempdir()) / "cableroute-bench" / "synth-40000-0.csv"


def worker(csv: Path, slices: int, none: bool) -> int:
    """A decode worker's work on the first `slices` slices (none of it with `none`); the cables."""
    pieces = [item for item in islice(iter_source_slices([str(csv)]), slices) if isinstance(item, CsvSlice)]
    cables = 0
    for piece in [] if none else pieces:
        result = ingest_chunk(piece)
        ForkingPickler.dumps((True, result))
        cables += len(result[0])
    return cables


def main_process(csv: Path, slices: int) -> int:
    """Pass 1 of the first `slices` slices with two workers and a store writer; the cables."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "audit.sqlite"
        with AuditStore(path) as store:
            run = store.start_run("bench", "simulate", {})
        keys: list[tuple[int, float, float, int, int]] = []
        with StoreProcess(path, run) as writer, Ingest(writer.record_cable_rows, 2) as ingest:
            return sum(1 for _ in ingest.run(islice(iter_source_slices([str(csv)]), slices), keys))


def main() -> int:
    """Run the workload asked for; print the cables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", type=int, metavar="N", help="a decode worker's work on N slices")
    parser.add_argument("--none", action="store_true", help="with --worker: read the slices only")
    parser.add_argument("--main", type=int, metavar="N", help="pass 1 of N slices, main process")
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    options = parser.parse_args()
    if options.worker is not None:
        cables = worker(options.csv, options.worker, options.none)
    elif options.main is not None:
        cables = main_process(options.csv, options.main)
    else:
        parser.error("--worker N or --main N")
    print(f"{cables} cables", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
