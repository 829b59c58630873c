"""Reading corpora, the MQTT replay, the virtual-time simulator, the audit store, audits and the command line.

The names most used from a program are exported here; the sub-packages (`inputs`, `mqtt`, `engine`,
`store`, `audit`, `cli`) export the rest. Names are imported on first use, so `import replay` is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from topology.exports import lazy_exports

if TYPE_CHECKING:
    from replay.audit.report import AuditReport, build_report
    from replay.engine.replayer import Replayer, ReplayOptions, ReplaySummary
    from replay.engine.simulator import Simulation, SimulationOptions, SimulationSummary
    from replay.inputs.corpus import CableText, ReadError, iter_sources, read_cables
    from replay.mqtt.broker import BrokerError
    from replay.mqtt.client import MqttError
    from replay.store.queries import QueryError, list_runs, received_by, who_got
    from replay.store.store import AuditStore, StoreError, default_db_path
    from topology.errors import CablerouteError

#: Each exported name and the module it comes from.
EXPORTS: dict[str, str] = {
    "CableText": "replay.inputs.corpus",
    "ReadError": "replay.inputs.corpus",
    "iter_sources": "replay.inputs.corpus",
    "read_cables": "replay.inputs.corpus",
    "Simulation": "replay.engine.simulator",
    "SimulationOptions": "replay.engine.simulator",
    "SimulationSummary": "replay.engine.simulator",
    "ReplayOptions": "replay.engine.replayer",
    "ReplaySummary": "replay.engine.replayer",
    "Replayer": "replay.engine.replayer",
    "AuditStore": "replay.store.store",
    "StoreError": "replay.store.store",
    "default_db_path": "replay.store.store",
    "QueryError": "replay.store.queries",
    "list_runs": "replay.store.queries",
    "received_by": "replay.store.queries",
    "who_got": "replay.store.queries",
    "AuditReport": "replay.audit.report",
    "build_report": "replay.audit.report",
    "BrokerError": "replay.mqtt.broker",
    "MqttError": "replay.mqtt.client",
    "CablerouteError": "topology.errors",
}

__all__ = [
    "AuditReport",
    "AuditStore",
    "BrokerError",
    "CableText",
    "CablerouteError",
    "MqttError",
    "QueryError",
    "ReadError",
    "ReplayOptions",
    "ReplaySummary",
    "Replayer",
    "Simulation",
    "SimulationOptions",
    "SimulationSummary",
    "StoreError",
    "build_report",
    "default_db_path",
    "iter_sources",
    "list_runs",
    "read_cables",
    "received_by",
    "who_got",
]

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
