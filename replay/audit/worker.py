"""`python -m replay.audit.worker DB RUN`: the parts of an audit that need not wait for the others, the
per-cable sections (continuity, consistency, and the count of the recorded cables read for them) and the
receipts' latencies, computed in a separate process (its own interpreter and connection) and written to
standard output as msgpack."""

from __future__ import annotations

import subprocess
import sys

import msgspec

from replay.audit import load
from replay.audit.cables import ContinuitySection, cable_sections_of
from replay.audit.consistency import Finding
from replay.audit.precedence import LatencyFigures, latency_figures
from replay.gcpause import cycle_collection_paused
from replay.store.store import AuditStore

#: What the worker computes: the continuity section, the consistency findings, the latency figures and
#: the number of recorded cables.
Sections = tuple[ContinuitySection, list[Finding], LatencyFigures, int]

_decoder = msgspec.msgpack.Decoder(Sections)


def sections_of(store: AuditStore, run: str) -> Sections:
    """The worker's part of the audit of a run, computed here (in whichever process calls it)."""
    continuity, findings, cables = cable_sections_of(store, run)
    latencies = latency_figures(*load.latencies(store, run))
    return continuity, findings, latencies, cables


def start(path: str, run: str) -> subprocess.Popen[bytes]:
    """Start the worker on a store file and run."""
    return subprocess.Popen(
        [sys.executable, "-m", "replay.audit.worker", path, run],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def result(process: subprocess.Popen[bytes]) -> Sections | None:
    """The worker's sections, or None when it failed or what it wrote is not whole."""
    out, _ = process.communicate()
    if process.returncode != 0:
        return None
    try:
        return _decoder.decode(out)
    except msgspec.DecodeError:  # (a ValidationError is one too)
        return None


def main(argv: list[str]) -> int:
    """Compute and write the sections; exit status 0, or 2 on a usage error."""
    if len(argv) != 2:
        print("usage: python -m replay.audit.worker DB RUN", file=sys.stderr)
        return 2
    with AuditStore(argv[0], create=False, read_only=True) as store, cycle_collection_paused():
        sections = sections_of(store, argv[1])
    sys.stdout.buffer.write(msgspec.msgpack.encode(sections))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
