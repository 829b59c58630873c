"""Simulator throughput: `cableroute simulate` end to end, then the virtual-time network alone.

1. End to end: a synthetic corpus of Cablegate size (251,287 cables by default) in one
   Cablegate-layout CSV, made once with `cableroute synth` and cached under the temporary directory,
   is simulated with `cableroute simulate --topology` (decode, order, plan, network, audit store),
   then the run is audited with `cableroute audit --json`. Prints the time of each (wall, and CPU of
   all its processes) and their sum, cables/s and deliveries/s over the sum, and peak memory of each:
   the largest process's peak RSS (wait4) and the peak of all its processes together (sampled from
   /proc every 0.25 s).
2. Network core: synthetic plans (10 deliveries each over 300 posts, random precedence) pushed
   through `router.network.Network`; prints deliveries/s and heap events/s.

Usage: `python bench/simulate_scale.py [--count N] [--seed S] [--workers N] [--learn]`
(`--learn`: no `--topology`, so the topology is learned from the corpus as by default).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

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


class Step(NamedTuple):
    """One measured command: wall and CPU seconds (all its processes), the largest process's peak RSS
    and the peak of all together."""

    seconds: float
    cpu: float
    largest: int
    together: int
    output: bytes


def measure(command: list[str], every: float = 0.25) -> Step:
    """Run a command, sampling the summed RSS of it and its descendants; exit on failure.

    The largest process's peak comes from `wait4` (Linux reports the largest of the process and the
    descendants it waited for); the sum of all of them is sampled from /proc every `every` seconds.
    """
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out)
        together = 0
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            together = max(together, _tree_rss(process.pid))
            time.sleep(every)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            sys.exit(f"{' '.join(command[3:5])} failed with exit code {process.returncode}")
        out.seek(0)
        output = out.read()
    largest = usage.ru_maxrss * 1024
    return Step(seconds, usage.ru_utime + usage.ru_stime, largest, max(together, largest), output)


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


def _mib(size: int) -> str:
    return f"{size / 2**20:,.0f} MiB"


def end_to_end(count: int, seed: int, workers: int, learn: bool) -> None:
    """Simulate the cached corpus, then audit the run (each in a child process); print the figures."""
    csv_path, toml_path = corpus(count, seed)
    with tempfile.TemporaryDirectory() as scratch:
        db = Path(scratch) / "audit.sqlite"
        command = [sys.executable, "-c", RUN_CLI, "simulate", str(csv_path), "--db", str(db)]
        command += ["--run", "bench", "--json", "--workers", str(workers)]
        if not learn:
            command += ["--topology", str(toml_path)]
        simulate = measure(command)
        summary = json.loads(simulate.output)
        size = sum(p.stat().st_size for p in Path(scratch).glob("audit.sqlite*"))
        audit = measure([sys.executable, "-c", RUN_CLI, "audit", "--db", str(db), "--run", "bench", "--json"])
        report = json.loads(audit.output)
    topology = "learned from the corpus" if learn else "from --topology"
    cables, received = summary["cables"], summary["received"]
    total = simulate.seconds + audit.seconds
    dist = report["distribution"]
    print(f"simulate + audit end to end: {cables:,} cables, {received:,} deliveries received")
    print(f"  topology {topology}, {workers} decode workers, audit store {_mib(size)}")
    print(f"  audit: {dist['planned']:,} planned, {dist['received']:,} received, {dist['missing']:,} missing")
    for name, step in (("simulate", simulate), ("audit", audit)):
        print(f"  {name:8} {step.seconds:5.1f} s ({step.cpu:.0f} s CPU), peak RSS: largest process ", end="")
        print(f"{_mib(step.largest)}, all processes together {_mib(step.together)}")
    print(f"  total    {total:5.1f} s: {cables / total:,.0f} cables/s, {received / total:,.0f} deliveries/s")
    largest, together = max(simulate.largest, audit.largest), max(simulate.together, audit.together)
    print(f"  peak RSS: largest process {_mib(largest)}, all processes together {_mib(together)} (sampled)")


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
