"""Benchmark: decode the whole shared corpus in-process (target: at least 20,000 cables/s on one core).

Prints cables per second for decoding alone (texts already in memory) and for reading plus decoding
(`replay.inputs.corpus.read_cables`, files read from disk), each the best of several runs, and a cProfile
summary with `--profile`. Usage: `python bench/decode_speed.py [CORPUS_DIR] [--repeat N] [--profile]`.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

from replay.inputs.corpus import CableText, iter_sources, read_cables
from router.decoder import decode

ROOT = Path(__file__).resolve().parents[1]

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "cables"
TARGET = 20_000


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


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS), help="directory of cable files")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (best is reported)")
    parser.add_argument("--profile", action="store_true", help="print the top functions by own time")
    args = parser.parse_args()
    corpus = Path(args.corpus)
    if not corpus.is_dir():
        print(f"corpus not found at {corpus}", file=sys.stderr)
        return 1
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
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(decode_all, texts)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
