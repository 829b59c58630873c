"""Starting decode workers (`replay.inputs.workers.Workers`): forked from a fork server, as cableroute
does while it runs other threads, against forked from this process (the baseline), each timed to the
first decoded chunk.

The first fork-server workers pay for starting the server, which imports the decoder and the store;
later ones are forked from the running server. Prints each, best of `--repeat` for the later ones, and
the ratios. Usage: `python bench/worker_start.py [--repeat N]`.
"""

from __future__ import annotations

import argparse
import threading
import time
from functools import partial
from pathlib import Path

from replay.engine.ingest import ingest_chunk
from replay.inputs.workers import CHUNK, Workers

WORKERS = 2

#: The two example cables bundled with cableroute.
EXAMPLES = Path(__file__).resolve().parents[1] / "replay" / "examples"


def first_chunk(chunk: list[tuple[str, str]], from_server: bool) -> float:
    """Seconds to start `WORKERS` workers and have the first of two chunks decoded; from the fork
    server when `from_server` (another thread runs meanwhile, as a progress bar's would)."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    if from_server:
        other.start()
    try:
        started = time.perf_counter()
        with Workers(WORKERS) as workers:
            next(iter(workers.map_in_order(partial(ingest_chunk, keep_texts=False), [chunk, chunk])))
            return time.perf_counter() - started
    finally:
        stop.set()


def main() -> None:
    """Time the pools and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    texts = [path.read_text() for path in sorted(EXAMPLES.glob("*.txt"))]
    chunk = [(f"{n}.txt", texts[n % len(texts)]) for n in range(CHUNK)]
    cold = first_chunk(chunk, from_server=True)
    warm = min(first_chunk(chunk, from_server=True) for _ in range(args.repeat))
    forked = min(first_chunk(chunk, from_server=False) for _ in range(args.repeat))
    print(f"{WORKERS} workers, first chunk of {CHUNK} cables decoded:")
    print(f"  fork server, first workers (starts the server): {cold:.3f} s")
    print(f"  fork server, later workers (best of {args.repeat}): {warm:.3f} s")
    print(f"  forked from this process, the baseline (best of {args.repeat}): {forked:.3f} s")
    print(f"  ratios to the baseline: first {cold / forked:.1f}, later {warm / forked:.2f}")


if __name__ == "__main__":
    main()
