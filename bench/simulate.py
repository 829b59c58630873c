"""Simulator throughput: `cableroute simulate` end to end, then the virtual-time network alone.

1. End to end: a synthetic corpus of Cablegate size (251,287 cables by default) in one
   Cablegate-layout CSV, made once with `cableroute synth` and cached under the temporary directory,
   is simulated with `cableroute simulate --topology` (decode, order, plan, network, audit store);
   prints cables/s, deliveries/s and peak memory: the largest process's peak RSS (getrusage) and the
   peak of all its processes together (sampled from /proc every 0.25 s).
2. Network core: synthetic plans (10 deliveries each over 300 posts, random precedence) pushed
   through `router.network.Network`; prints deliveries/s and heap events/s.

Usage: `python bench/simulate.py [--count N] [--seed S] [--workers N] [--learn]`
(`--learn`: no `--topology`, so the topology is learned from the corpus as by default).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from router.deliveries import Delivery, Plan
from router.network import Network
from router.precedence import Precedence
from topology.model import Post
from topology.topology import Topology

CACHE = Path(tempfile.gettempdir()) / "cableroute-bench"
RUN_CLI = "import sys; from replay.cli import main; sys.exit(main(sys.argv[1:]))"


def network_core(cables: int = 250_000, fanout: int = 10) -> None:
    """Push synthetic plans through the network and print its rates."""
    rng = random.Random(1)
    posts = [Post(ri=f"RUEH{i:03d}", name=f"AMEMBASSY POST {i}") for i in range(300)]
    levels = list(Precedence)
    weights = [0.5, 16.5, 38, 45]
    plans = [
        Plan(
            cable_id=f"C{i}",
            deliveries=tuple(
                Delivery(cable_id=f"C{i}", post=p.ri, role="info", precedence=rng.choices(levels, weights)[0])
                for p in rng.sample(posts, fanout)
            ),
        )
        for i in range(cables)
    ]
    network = Network(Topology(posts), default_cps=300.0)
    at = 1.2e9
    done = 0
    started = time.perf_counter()
    for plan in plans:
        at += rng.expovariate(1 / 20.0)
        done += len(network.advance(at))
        network.inject(plan, rng.randint(1500, 9000), at)
    done += len(network.drain())
    seconds = time.perf_counter() - started
    events = done * 2 + cables  # an arrival per plan; per delivery an offer and a completion
    print(f"network core: {cables:,} plans, {done:,} deliveries in {seconds:.2f} s")
    print(f"  {done / seconds:,.0f} deliveries/s, {events / seconds:,.0f} events/s")


def corpus(count: int, seed: int) -> tuple[Path, Path]:
    """The cached synthetic corpus and its topology, made on first use."""
    CACHE.mkdir(parents=True, exist_ok=True)
    csv_path = CACHE / f"synth-{count}-{seed}.csv"
    toml_path = CACHE / f"synth-{count}-{seed}.toml"
    if not (csv_path.exists() and toml_path.exists()):
        print(f"generating {count:,} synthetic cables into {csv_path} ...", flush=True)
        started = time.perf_counter()
        command = [sys.executable, "-c", RUN_CLI, "synth", "--count", str(count), "--seed", str(seed)]
        command += ["--synthetic-topology", "--topology-out", str(toml_path), "-o", str(csv_path)]
        subprocess.run(command, check=True)
        print(f"  generated in {time.perf_counter() - started:.1f} s")
    return csv_path, toml_path


def sample_tree(process: subprocess.Popen[bytes], every: float = 0.25) -> int:
    """Wait for `process`, sampling the summed RSS of it and its descendants; the peak in bytes."""
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss(process.pid))
        time.sleep(every)
    return peak


def _tree_rss(root: int) -> int:
    """Bytes of resident memory of `root` and its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, ()))
    return total


def end_to_end(count: int, seed: int, workers: int, learn: bool) -> None:
    """Simulate the cached corpus with audit (in a child process) and print the figures."""
    csv_path, toml_path = corpus(count, seed)
    with tempfile.TemporaryDirectory() as scratch:
        db = Path(scratch) / "audit.sqlite"
        command = [sys.executable, "-c", RUN_CLI, "simulate", str(csv_path), "--db", str(db)]
        command += ["--run", "bench", "--json", "--workers", str(workers)]
        if not learn:
            command += ["--topology", str(toml_path)]
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE)
        tree_peak = sample_tree(process)
        seconds = time.perf_counter() - started
        assert process.stdout is not None
        output = process.stdout.read()
        if process.returncode != 0:
            sys.exit(f"simulate failed with exit code {process.returncode}")
        summary = json.loads(output)
        size = sum(p.stat().st_size for p in Path(scratch).glob("audit.sqlite*"))
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    topology = "learned from the corpus" if learn else "from --topology"
    cables, received = summary["cables"], summary["received"]
    print(f"simulate end to end: {cables:,} cables, {received:,} deliveries received")
    print(f"  topology {topology}, {workers} decode workers, audit store {size / 2**20:,.0f} MiB")
    print(f"  {seconds:.1f} s: {cables / seconds:,.0f} cables/s, {received / seconds:,.0f} deliveries/s")
    print(f"  peak RSS: largest process {largest:,.0f} MiB (getrusage), ", end="")
    print(f"all processes together {tree_peak / 2**20:,.0f} MiB (sampled)")


def main() -> None:
    """Run both benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=251_287)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--learn", action="store_true", help="learn the topology instead of --topology")
    args = parser.parse_args()
    end_to_end(args.count, args.seed, args.workers, args.learn)
    network_core()


if __name__ == "__main__":
    main()
