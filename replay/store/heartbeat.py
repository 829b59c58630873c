"""The heartbeat of a run in progress: a thread that renews the run's `heartbeat_at` while its owner works,
so that readers elsewhere can tell a run that goes on from one whose process was killed."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import structlog

from replay.store.owner import HEARTBEAT_S
from replay.store.store import AuditStore, StoreError

_log = structlog.get_logger()


@contextmanager
def keep_alive(path: str | Path, run: str, every_s: float = HEARTBEAT_S) -> Iterator[None]:
    """Renew `run`'s heartbeat every `every_s` seconds (on a connection of its own) while the block runs."""
    stop = threading.Event()

    def beat() -> None:
        try:
            with AuditStore(path, create=False) as store:
                while not stop.wait(every_s):
                    store.heartbeat(run)
        except (sqlite3.Error, StoreError) as error:
            _log.warning("run heartbeat stopped", run=run, error=str(error))

    thread = threading.Thread(target=beat, name="run-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


__all__ = ["keep_alive"]
