"""Starting decode workers: a pool forked from a fork server (as cableroute does) against one forked from
this process (the baseline), each timed to the first decoded chunk.

The first fork-server pool pays for starting the server, which imports the decoder and the store; later
pools are forked from the running server. Prints each, best of `--repeat` for the later ones, and the
ratios. Usage: `python bench/worker_start.py [--repeat N]`.
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from functools import partial
from pathlib import Path

from replay.engine.ingest import ingest_chunk
from replay.inputs.workers import CHUNK
from replay.processes import process_context

WORKERS = 2

#: The two example cables bundled with cableroute.
EXAMPLES = Path(__file__).resolve().parents[1] / "replay" / "examples"


def first_chunk(context: multiprocessing.context.BaseContext, chunk: list[tuple[str, str]]) -> float:
    """Seconds to start a pool of `WORKERS` and have one chunk decoded on it."""
    started = time.perf_counter()
    with context.Pool(WORKERS) as pool:
        pool.apply(partial(ingest_chunk, keep_texts=False), (chunk,))
        return time.perf_counter() - started


def main() -> None:
    """Time the pools and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    texts = [path.read_text() for path in sorted(EXAMPLES.glob("*.txt"))]
    chunk = [(f"{n}.txt", texts[n % len(texts)]) for n in range(CHUNK)]
    server = process_context()
    cold = first_chunk(server, chunk)
    warm = min(first_chunk(server, chunk) for _ in range(args.repeat))
    forked = min(first_chunk(multiprocessing.get_context("fork"), chunk) for _ in range(args.repeat))
    print(f"{WORKERS} workers, first chunk of {CHUNK} cables decoded:")
    print(f"  fork server, first pool (starts the server): {cold:.3f} s")
    print(f"  fork server, later pools (best of {args.repeat}): {warm:.3f} s")
    print(f"  forked from this process, the baseline (best of {args.repeat}): {forked:.3f} s")
    print(f"  ratios to the baseline: first {cold / forked:.1f}, later {warm / forked:.2f}")


if __name__ == "__main__":
    main()
