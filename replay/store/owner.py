"""Who owns a run that is still `running`: the process recording it, and whether it is still there.

A run records its owner (host name, process id and the process's start time, which tells a reused
process id from the original) and a heartbeat that the owner renews while it works. A run whose owner
is gone (on this host: no such process; elsewhere: no heartbeat for `STALE_AFTER_S`) was killed or
crashed: it is read as `aborted`.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

#: How often an owner renews its heartbeat, in seconds.
HEARTBEAT_S = 15.0

#: A run owned on another host (or recorded before owners were) whose heartbeat is older than this, in
#: seconds, is taken as abandoned.
STALE_AFTER_S = 120.0


def this_host() -> str:
    """This machine's host name."""
    return socket.gethostname()


def process_start(pid: int) -> str | None:
    """When process `pid` started, as the kernel counts it (`/proc/PID/stat`), or None when unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def this_process() -> tuple[str, int, str | None]:
    """(host, pid, start) of the running process, as a run records its owner."""
    pid = os.getpid()
    return this_host(), pid, process_start(pid)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_gone(
    host: str | None, pid: int | None, start: str | None, heartbeat_at: float | None, now: float
) -> bool:
    """Whether the owner of a `running` run is gone (so the run was aborted)."""
    if host is None or pid is None or host != this_host():
        return heartbeat_at is None or now - heartbeat_at > STALE_AFTER_S
    if not _process_exists(pid):
        return True
    return start is not None and process_start(pid) not in (None, start)


__all__ = ["HEARTBEAT_S", "STALE_AFTER_S", "owner_gone", "process_start", "this_host", "this_process"]
