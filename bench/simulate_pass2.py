"""Pass 2 of `cableroute simulate` alone (order, plan, network, receipt rows), this code against a baseline.

Pass 1 (decoding the cached synthetic corpus of `bench/simulate_scale.py --count N`, which makes it)
runs once per tree and keeps the replay keys and packed cables in a temporary file. Then `Simulation._route`
runs on them in a fresh process per run, with the store requests encoded as the store process would
encode them but not sent (so SQLite is left out), alternately for this tree and for `--baseline DIR`
(another checkout with its own `.venv`, e.g. made with `git archive`). Prints the CPU time of each
run, the medians and their ratio, and a digest of the encoded requests (equal digests: the same rows
went to the store). `--faults` adds `--lossy RUEHC:0.2 --offline RUEHFK --transmissions --load 50
--link-rate 30`.

Usage: `python bench/simulate_pass2.py [--count N] [--runs N] [--faults] [--baseline DIR]`
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent
#: Where `bench/simulate_scale.py` keeps its synthetic corpora.
CACHE = Path(tempfile.gettempdir()) / "cableroute-bench"


class _Requests:
    """Stands in for `StoreProcess` in pass 2: encodes each request, keeps a digest and a byte count."""

    def __init__(self, run: str) -> None:
        import msgspec

        from replay.store.process import StoreProcess

        self.run = run
        self.size = 0
        self.digest = hashlib.sha256()
        self._encoder = msgspec.msgpack.Encoder()
        for name in ("record_rows", "record_plans", "record_sent", "record_drops"):
            setattr(self, name, getattr(StoreProcess, name).__get__(self))

    def _put(self, write: Any) -> None:
        data = self._encoder.encode(write)
        self.size += len(data)
        self.digest.update(data)


def _prepare(csv: str, out: str) -> None:
    """Pass 1 in this tree: keep the replay keys and packed cables in `out`."""
    from replay.engine.ingest import Ingest
    from replay.inputs.corpus import iter_source_slices

    keys: list[Any] = []
    packed: list[bytes] = []
    with Ingest(lambda rows: None, 2) as ingest:
        packed.extend(ingest.run(iter_source_slices([csv]), keys))
    Path(out).write_bytes(pickle.dumps((keys, packed)))


def _pass2(kept: str, toml: str, faults: bool) -> None:
    """Pass 2 in this tree on what `_prepare` kept; prints CPU seconds, deliveries and the digest."""
    from replay.engine.simulator import Simulation, SimulationOptions
    from topology.files import load_topology

    keys, packed = pickle.loads(Path(kept).read_bytes())
    topology = load_topology([Path(toml)])
    options = SimulationOptions()
    if faults:
        options = SimulationOptions(
            lossy={"RUEHC": 0.2}, offline={"RUEHFK": None}, record_sent=True, load=50.0, default_cps=30.0
        )
    simulation = Simulation(None, "bench", options, workers=1)  # type: ignore[arg-type]
    requests = _Requests("bench")
    simulation._writer = requests  # type: ignore[assignment]
    gc.freeze()  # as `Simulation.run` does
    started = time.process_time()
    simulation._route(keys, packed, topology)
    cpu = time.process_time() - started
    summary = simulation.summary
    print(
        f"{cpu:.3f} {summary.planned} {summary.received} {requests.size} {requests.digest.hexdigest()[:16]}"
    )


def _in_tree(tree: Path, *args: str) -> str:
    """Run this script's `args` with the tree's own Python, from the tree (so it imports the tree)."""
    python = tree / ".venv" / "bin" / "python"
    done = subprocess.run(
        [str(python), str(Path(__file__).resolve()), *args],
        cwd=tree,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def main() -> None:
    """Pass 2 of each tree in turn; print the runs, medians and ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=40_000, help="cables in the synthetic corpus")
    parser.add_argument("--runs", type=int, default=3, help="runs of each tree")
    parser.add_argument(
        "--faults", action="store_true", help="lossy, offline, transmissions, load, link rate"
    )
    parser.add_argument("--baseline", type=Path, help="a checkout with its own .venv to compare against")
    parser.add_argument("--inner", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        if args.inner[0] == "prepare":
            _prepare(*args.inner[1:])
        else:
            _pass2(args.inner[1], args.inner[2], args.inner[3] == "faults")
        return
    csv, toml = (CACHE / f"synth-{args.count}-0.{suffix}" for suffix in ("csv", "toml"))
    if not toml.exists():
        sys.exit(f"no corpus {csv}: make it first with python bench/simulate_scale.py --count {args.count}")
    trees = {"this": HERE} | ({"baseline": args.baseline.resolve()} if args.baseline else {})
    cpu: dict[str, list[float]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory() as scratch:
        kept = {name: str(Path(scratch) / f"{name}.pickle") for name in trees}
        for name, tree in trees.items():
            _in_tree(tree, "--inner", "prepare", str(csv), kept[name])
        mode = "faults" if args.faults else "clean"
        for run in range(1, args.runs + 1):
            for name, tree in reversed(trees.items()):
                seconds, planned, received, size, digest = _in_tree(
                    tree, "--inner", "pass2", kept[name], str(toml), mode
                ).split()
                cpu[name].append(float(seconds))
                print(
                    f"run {run} {name:8}: {float(seconds):6.2f} s CPU, {planned} deliveries planned, "
                    f"{received} received, requests {int(size) / 1e6:.1f} MB, digest {digest}"
                )
    medians = {name: statistics.median(times) for name, times in cpu.items()}
    for name, median in medians.items():
        print(f"{name:8} median {median:.2f} s CPU")
    if "baseline" in medians:
        print(f"this / baseline: {medians['this'] / medians['baseline']:.2f}")


if __name__ == "__main__":
    main()
