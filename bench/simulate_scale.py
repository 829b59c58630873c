"""Simulator throughput: `cableroute simulate` end to end, then the virtual-time network alone.

1. End to end: a synthetic corpus of Cablegate size (251,287 cables by default) in one
   Cablegate-layout CSV, made once with `cableroute synth` and cached (`--cache`, by default under the
   temporary directory), is first decoded with `cableroute decode --json` (the baseline: reading and
   decoding alone, the floor of simulate's pass 1), then simulated with `cableroute simulate
   --topology` (decode, order, plan, network, audit store), then the run is audited with `cableroute
   audit --json`. Prints for each command its wall and CPU time, and every one of its processes
   (main, fork server, store writer, decode workers, audit helper) with its CPU time and peak RSS; the
   simulation's own breakdown of its main process (read, plan, network, store hand-over, order,
   finish); the sum, cables/s and deliveries/s, the peak of all processes together (sampled from /proc
   every 0.1 s), and simulate + audit against the decode baseline as ratios of wall and CPU time.
2. Network core: synthetic plans (10 deliveries each over 300 posts, random precedence) pushed
   through `router.network.Network`; prints deliveries/s and heap events/s.

Usage: `python bench/simulate_scale.py [--count N] [--seed S] [--workers N] [--learn] [--cache DIR]
[--no-core]`
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


def corpus(count: int, seed: int, cache: Path = CACHE) -> tuple[Path, Path]:
    """The cached synthetic corpus and its topology, made on first use."""
    cache.mkdir(parents=True, exist_ok=True)
    csv_path = cache / f"synth-{count}-{seed}.csv"
    toml_path = cache / f"synth-{count}-{seed}.toml"
    if not (csv_path.exists() and toml_path.exists()):
        print(f"generating {count:,} synthetic cables into {csv_path} ...", flush=True)
        started = time.perf_counter()
        command = [sys.executable, "-c", RUN_CLI, "synth", "--count", str(count), "--seed", str(seed)]
        command += ["--synthetic-topology", "--topology-out", str(toml_path), "-o", str(csv_path)]
        subprocess.run(command, check=True)
        print(f"  generated in {time.perf_counter() - started:.1f} s")
    return csv_path, toml_path


class Proc(NamedTuple):
    """One process of a measured command, as last sampled: its role, CPU seconds and peak RSS (VmHWM)."""

    role: str
    cpu: float
    peak: int


class Step(NamedTuple):
    """One measured command: wall and CPU seconds (all its processes), the largest process's peak RSS,
    the peak of all together (sampled), and every process seen."""

    seconds: float
    cpu: float
    largest: int
    together: int
    output: bytes
    processes: list[Proc]


def measure(command: list[str], roles: list[str], every: float = 0.1, discard_output: bool = False) -> Step:
    """Run a command, sampling it and its descendants from /proc; exit on failure.

    Each process's CPU and peak RSS (VmHWM), and the sum of their RSS, are sampled every `every`
    seconds; the CPU of all together is the larger of their sum and what `wait4` reports (the command
    and the descendants it waited for, not the workers of a fork server). The processes are named by
    `roles`: the command itself, then its descendants in the order they started (the rest `worker`),
    or by the module a child runs (`python -m NAME`).
    """
    seen: dict[int, Proc] = {}
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL if discard_output else out)
        together = 0
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            together = max(together, _sample(process.pid, roles, seen))
            time.sleep(every)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            sys.exit(f"{' '.join(command[3:5])} failed with exit code {process.returncode}")
        out.seek(0)
        output = out.read()
    # Processes forked from a fork server are not the command's children: wait4 does not count them.
    processes = list(seen.values())
    largest = max([usage.ru_maxrss * 1024, *(proc.peak for proc in processes)])
    cpu = max(usage.ru_utime + usage.ru_stime, sum(proc.cpu for proc in processes))
    return Step(seconds, cpu, largest, max(together, largest), output, processes)


def _sample(root: int, roles: list[str], seen: dict[int, Proc]) -> int:
    """Sample `root` and its descendants into `seen`; returns the sum of their resident memory."""
    page, tick = os.sysconf("SC_PAGE_SIZE"), os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        stats[int(entry.name)] = fields
    total, stack, tree = 0, [root], []
    while stack:
        pid = stack.pop()
        if pid not in stats:
            continue
        tree.append(pid)
        stack.extend(children.get(pid, ()))
    for pid in sorted(tree):
        fields = stats[pid]
        total += int(fields[21]) * page
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        peak = next(
            (int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmHWM")), 0
        )
        if pid not in seen:
            seen[pid] = Proc(_role(pid, root, int(fields[1]), cmdline, roles, seen), 0.0, 0)
        cpu = (int(fields[11]) + int(fields[12])) / tick
        seen[pid] = Proc(seen[pid].role, cpu, max(peak, seen[pid].peak))
    return total


def _role(
    pid: int, root: int, parent: int, cmdline: list[bytes], roles: list[str], seen: dict[int, Proc]
) -> str:
    """What a process of the measured command is: the command itself (`roles[0]`), a `python -m NAME`
    child, multiprocessing's fork server or resource tracker, or else the next of `roles[1:]` in the
    order the others started (the rest: `worker`)."""
    if pid == root:
        return roles[0]
    command = b" ".join(cmdline)
    if len(cmdline) > 2 and cmdline[1] == b"-m":
        return cmdline[2].decode()
    if b"resource_tracker" in command:
        return "resource tracker"
    if b"forkserver" in command and parent == root:
        return "fork server"
    others = sum(1 for proc in seen.values() if proc.role in roles[1:] or proc.role == "worker")
    return roles[1 + others] if 1 + others < len(roles) else "worker"


def _mib(size: int) -> str:
    return f"{size / 2**20:,.0f} MiB"


def _print_step(name: str, step: Step) -> None:
    """One command's wall and CPU time, then each of its processes: CPU and peak RSS."""
    print(f"  {name:8} {step.seconds:5.1f} s wall, {step.cpu:5.1f} s CPU; peak RSS: largest process ", end="")
    print(f"{_mib(step.largest)}, all processes together {_mib(step.together)} (sampled)")
    for proc in step.processes:
        print(f"    {proc.role:22} {proc.cpu:5.1f} s CPU, peak RSS {_mib(proc.peak)}")


def end_to_end(count: int, seed: int, workers: int, learn: bool, cache: Path = CACHE) -> None:
    """Decode the cached corpus (the floor), simulate it, then audit the run (each in a child
    process); print the figures."""
    csv_path, toml_path = corpus(count, seed, cache)
    floor = measure(
        [sys.executable, "-c", RUN_CLI, "decode", "--json", "--workers", str(workers), str(csv_path)],
        ["decode --json"],
        discard_output=True,
    )
    with tempfile.TemporaryDirectory() as scratch:
        db = Path(scratch) / "audit.sqlite"
        command = [sys.executable, "-c", RUN_CLI, "simulate", str(csv_path), "--db", str(db)]
        command += ["--run", "bench", "--json", "--workers", str(workers)]
        if not learn:
            command += ["--topology", str(toml_path)]
        simulate = measure(command, ["simulate (main)", "store writer"])
        summary = json.loads(simulate.output)
        size = sum(p.stat().st_size for p in Path(scratch).glob("audit.sqlite*"))
        command = [sys.executable, "-c", RUN_CLI, "audit", "--db", str(db), "--run", "bench", "--json"]
        audit = measure(command, ["audit (main)"])
        report = json.loads(audit.output)
    topology = "learned from the corpus" if learn else "from --topology"
    cables, received = summary["cables"], summary["received"]
    total = simulate.seconds + audit.seconds
    dist = report["distribution"]
    print(f"simulate + audit end to end: {cables:,} cables, {received:,} deliveries received")
    print(f"  topology {topology}, {workers} decode workers, audit store {_mib(size)}")
    print(f"  audit: {dist['planned']:,} planned, {dist['received']:,} received, {dist['missing']:,} missing")
    _print_step("decode", floor)
    _print_step("simulate", simulate)
    stages = summary.get("stages", {})
    if stages:
        print("    main process, wall seconds by stage: ", end="")
        print(", ".join(f"{stage} {seconds:.1f}" for stage, seconds in stages.items()))
    _print_step("audit", audit)
    cpu = simulate.cpu + audit.cpu
    print(f"  total    {total:5.1f} s wall, {cpu:5.1f} s CPU: {cables / total:,.0f} cables/s, ", end="")
    print(f"{received / total:,.0f} deliveries/s")
    largest, together = max(simulate.largest, audit.largest), max(simulate.together, audit.together)
    print(f"  peak RSS: largest process {_mib(largest)}, all processes together {_mib(together)} (sampled)")
    print(
        f"  baseline, decode --json of the same corpus (the floor of pass 1): {floor.seconds:.1f} s wall, ",
        end="",
    )
    print(f"{floor.cpu:.1f} s CPU; simulate + audit / decode: {total / floor.seconds:.2f}x wall, ", end="")
    print(f"{cpu / floor.cpu:.2f}x CPU")


def main() -> None:
    """Run both benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=251_287)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--learn", action="store_true", help="learn the topology instead of --topology")
    parser.add_argument(
        "--cache", type=Path, default=CACHE, help=f"where the corpus is kept (default {CACHE})"
    )
    parser.add_argument("--no-core", action="store_true", help="leave out the network core benchmark")
    args = parser.parse_args()
    end_to_end(args.count, args.seed, args.workers, args.learn, args.cache)
    if not args.no_core:
        network_core()


if __name__ == "__main__":
    main()
