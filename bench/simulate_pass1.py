"""Pass 1 of `cableroute simulate` (decoding the corpus on the workers, recording its cables): what it
costs the main process, the decode workers and the store writer, against another checkout of
cableroute (the baseline) run in turn.

Each run is a whole `cableroute simulate CSV --topology TOML --workers N` in a fresh process, with the
main process's CPU time (all its threads) and wall time taken where pass 1 starts and where it ends, and
again at the end of the run; the decode workers' CPU (together, read from /proc as they are stopped at
the end of pass 1) and the store writer's CPU up to the end of pass 1. The baseline is the same command
run from the tree `--baseline DIR` (its own `replay` package, imported from there), alternating with
this tree, `--repeat` times each.
Prints each run and the medians, with the ratios to the baseline.

Usage: `python bench/simulate_pass1.py CSV --topology TOML --baseline DIR [--repeat N] [--workers N]`
(`bench/simulate_scale.py --count 40000` makes and caches a CSV and its topology).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]

#: Run in the measured process: simulate, with pass 1's start and end marked (main process's CPU, wall).
CHILD = """
import json, os, resource, sys, time
from replay.engine.simulator import Simulation

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

from replay.inputs.workers import Workers
from replay.store.process import StoreProcess

def process_cpu(pid):
    # utime + stime of another process, from /proc (clock ticks)
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

marks, workers_cpu, writer = {}, [], []
run, report = Simulation.run, Simulation._report_ingest
close, store_init = Workers.close, StoreProcess.__init__

def measured_close(self):
    # the decode workers' CPU, taken as they are stopped (at the end of pass 1)
    workers_cpu.extend(process_cpu(process.pid) for process in self._processes)
    close(self)

def measured_store_init(self, *args, **kwargs):
    store_init(self, *args, **kwargs)
    writer.append(self._process.pid)

def marked_run(self, *args, **kwargs):
    marks["start"] = (cpu(), time.perf_counter())
    return run(self, *args, **kwargs)

def marked_report(self, *args, **kwargs):
    marks["pass1"] = (cpu(), time.perf_counter())
    marks["writer"] = process_cpu(writer[0]) if writer else 0.0
    return report(self, *args, **kwargs)

Simulation.run, Simulation._report_ingest = marked_run, marked_report
Workers.close, StoreProcess.__init__ = measured_close, measured_store_init
from replay.cli import main
code = main(sys.argv[1:])
marks["end"] = (cpu(), time.perf_counter())
(start_cpu, start_wall), (pass_cpu, pass_wall) = marks["start"], marks["pass1"]
(end_cpu, end_wall) = marks["end"]
print(json.dumps({"code": code, "pass1_cpu": pass_cpu - start_cpu, "pass1_wall": pass_wall - start_wall,
                  "run_cpu": end_cpu - start_cpu, "run_wall": end_wall - start_wall,
                  "workers_cpu": sum(workers_cpu), "writer_pass1_cpu": marks["writer"]}), file=sys.stderr)
"""

FIGURES = ("pass1_cpu", "pass1_wall", "workers_cpu", "writer_pass1_cpu", "run_cpu", "run_wall")


def measure(tree: Path, csv: Path, topology: Path, workers: int) -> dict[str, float]:
    """One simulate run with the code of `tree`: its figures."""
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-c", CHILD, "simulate", str(csv), "--topology", str(topology)]
        command += ["--workers", str(workers), "--db", str(Path(folder) / "run.sqlite")]
        environment = {**os.environ, "PYTHONPATH": str(tree)}
        done = subprocess.run(command, cwd=tree, env=environment, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"simulate failed in {tree}:\n{done.stderr}")
    figures: dict[str, float] = json.loads(done.stderr.strip().splitlines()[-1])
    return figures


def main() -> None:
    """Run both trees in turn and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path)
    parser.add_argument("--topology", type=Path, required=True)
    parser.add_argument("--baseline", type=Path, required=True, help="another checkout of cableroute")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    runs: dict[str, list[dict[str, float]]] = {"baseline": [], "this tree": []}
    for _ in range(args.repeat):
        for name, tree in (("baseline", args.baseline.resolve()), ("this tree", HERE)):
            figures = measure(tree, args.csv.resolve(), args.topology.resolve(), args.workers)
            runs[name].append(figures)
            load = os.getloadavg()[0]
            print(
                f"{name:>9}: "
                + ", ".join(f"{key} {figures[key]:.2f} s" for key in FIGURES)
                + f" (load {load:.1f})"
            )
    medians = {
        name: {key: statistics.median(run[key] for run in done) for key in FIGURES}
        for name, done in runs.items()
    }
    print(f"medians of {args.repeat}, processes of simulate:")
    for key in FIGURES:
        before, after = medians["baseline"][key], medians["this tree"][key]
        print(f"  {key}: baseline {before:.2f} s, this tree {after:.2f} s, ratio {after / before:.2f}")


if __name__ == "__main__":
    main()
