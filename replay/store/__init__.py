"""The audit store: its schema, the writer, the writer process and every query against it.

Names are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from topology.exports import lazy_exports

if TYPE_CHECKING:
    from replay.store.process import StoreProcess
    from replay.store.queries import (
        QueryError,
        ReceivedCable,
        RunListing,
        WhoGot,
        list_runs,
        parse_level,
        received_by,
        who_got,
    )
    from replay.store.receipt import Receipt
    from replay.store.store import AuditStore, RunInfo, StoreError, default_db_path
    from replay.store.writer import StoreWriter

#: Each exported name and the module it comes from.
EXPORTS: dict[str, str] = {
    "AuditStore": "replay.store.store",
    "RunInfo": "replay.store.store",
    "StoreError": "replay.store.store",
    "StoreWriter": "replay.store.writer",
    "default_db_path": "replay.store.store",
    "StoreProcess": "replay.store.process",
    "Receipt": "replay.store.receipt",
    "QueryError": "replay.store.queries",
    "ReceivedCable": "replay.store.queries",
    "RunListing": "replay.store.queries",
    "WhoGot": "replay.store.queries",
    "list_runs": "replay.store.queries",
    "parse_level": "replay.store.queries",
    "received_by": "replay.store.queries",
    "who_got": "replay.store.queries",
}

__all__ = [
    "AuditStore",
    "QueryError",
    "Receipt",
    "ReceivedCable",
    "RunInfo",
    "RunListing",
    "StoreError",
    "StoreProcess",
    "StoreWriter",
    "WhoGot",
    "default_db_path",
    "list_runs",
    "parse_level",
    "received_by",
    "who_got",
]

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
