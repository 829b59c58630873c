"""Decoding cables and deciding where they go: pure functions, no I/O.

`decode(text)` gives a `Cable`; `plan(cable, topology)` its `Plan` (who gets it, at what precedence);
`Circuit` and `Network` model the links. Names are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from topology.exports import lazy_exports

if TYPE_CHECKING:
    from router.circuit import Circuit
    from router.decoder import decode
    from router.deliveries import Delivery, Exemption, OtherMeans, Plan, Sent, UnresolvedAddressee
    from router.learn import learn_topology
    from router.model import Addressee, Cable, Diagnostic, cable_to_json
    from router.network import Network
    from router.order import cable_time, replay_order
    from router.planner import Planner, cable_id_of, effective_precedence, plan
    from router.precedence import LEVEL_BY_RANK, RANK, SPEED_OF_SERVICE_S, Precedence, highest
    from router.times import parse_time, seconds
    from topology.errors import CablerouteError

#: Each exported name and the module it comes from.
EXPORTS: dict[str, str] = {
    "decode": "router.decoder",
    "Addressee": "router.model",
    "Cable": "router.model",
    "Diagnostic": "router.model",
    "cable_to_json": "router.model",
    "Delivery": "router.deliveries",
    "Exemption": "router.deliveries",
    "OtherMeans": "router.deliveries",
    "Plan": "router.deliveries",
    "Sent": "router.deliveries",
    "UnresolvedAddressee": "router.deliveries",
    "Planner": "router.planner",
    "cable_id_of": "router.planner",
    "effective_precedence": "router.planner",
    "plan": "router.planner",
    "LEVEL_BY_RANK": "router.precedence",
    "RANK": "router.precedence",
    "SPEED_OF_SERVICE_S": "router.precedence",
    "Precedence": "router.precedence",
    "highest": "router.precedence",
    "learn_topology": "router.learn",
    "cable_time": "router.order",
    "replay_order": "router.order",
    "Circuit": "router.circuit",
    "Network": "router.network",
    "parse_time": "router.times",
    "seconds": "router.times",
    "CablerouteError": "topology.errors",
}

__all__ = [
    "LEVEL_BY_RANK",
    "RANK",
    "SPEED_OF_SERVICE_S",
    "Addressee",
    "Cable",
    "CablerouteError",
    "Circuit",
    "Delivery",
    "Diagnostic",
    "Exemption",
    "Network",
    "OtherMeans",
    "Plan",
    "Planner",
    "Precedence",
    "Sent",
    "UnresolvedAddressee",
    "cable_id_of",
    "cable_time",
    "cable_to_json",
    "decode",
    "effective_precedence",
    "highest",
    "learn_topology",
    "parse_time",
    "plan",
    "replay_order",
    "seconds",
]

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
