"""`python -m replay.audit.worker DB RUN`: the per-cable sections of an audit, computed in a separate
process (its own interpreter and connection) and written to standard output as msgpack."""

from __future__ import annotations

import subprocess
import sys

import msgspec

from replay.audit.cables import ContinuitySection, cable_sections_of
from replay.audit.consistency import Finding

_decoder = msgspec.msgpack.Decoder(tuple[ContinuitySection, list[Finding]])


def start(path: str, run: str) -> subprocess.Popen[bytes]:
    """Start the worker on a store file and run."""
    return subprocess.Popen(
        [sys.executable, "-m", "replay.audit.worker", path, run],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def result(process: subprocess.Popen[bytes]) -> tuple[ContinuitySection, list[Finding]] | None:
    """The worker's sections, or None when it failed."""
    out, _ = process.communicate()
    if process.returncode != 0:
        return None
    return _decoder.decode(out)


def main(argv: list[str]) -> int:
    """Compute and write the sections; exit status 0, or 2 on a usage error."""
    if len(argv) != 2:
        print("usage: python -m replay.audit.worker DB RUN", file=sys.stderr)
        return 2
    sys.stdout.buffer.write(msgspec.msgpack.encode(cable_sections_of(argv[0], argv[1])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
