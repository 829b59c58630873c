"""The run engines: the broker replay, the post clients, the router service and the virtual-time simulator.

Names are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from topology.exports import lazy_exports

if TYPE_CHECKING:
    from replay.engine.pacing import Pacer
    from replay.engine.posts import PostClient, PostGroup, ReceiptRecorder
    from replay.engine.replayer import Replayer, ReplayOptions, ReplayProgress, ReplaySummary
    from replay.engine.router_service import RouterService, ServiceLimits
    from replay.engine.runs import RunOptions, RunSummary, Window
    from replay.engine.simulator import Progress, Simulation, SimulationOptions, SimulationSummary
    from replay.engine.submitter import SubmitOptions, SubmitSummary, Submitter

#: Each exported name and the module it comes from.
EXPORTS: dict[str, str] = {
    "RunOptions": "replay.engine.runs",
    "RunSummary": "replay.engine.runs",
    "Window": "replay.engine.runs",
    "Progress": "replay.engine.simulator",
    "Simulation": "replay.engine.simulator",
    "SimulationOptions": "replay.engine.simulator",
    "SimulationSummary": "replay.engine.simulator",
    "ReplayOptions": "replay.engine.replayer",
    "ReplayProgress": "replay.engine.replayer",
    "ReplaySummary": "replay.engine.replayer",
    "Replayer": "replay.engine.replayer",
    "RouterService": "replay.engine.router_service",
    "ServiceLimits": "replay.engine.router_service",
    "Submitter": "replay.engine.submitter",
    "SubmitOptions": "replay.engine.submitter",
    "SubmitSummary": "replay.engine.submitter",
    "PostClient": "replay.engine.posts",
    "PostGroup": "replay.engine.posts",
    "ReceiptRecorder": "replay.engine.posts",
    "Pacer": "replay.engine.pacing",
}

__all__ = [
    "Pacer",
    "PostClient",
    "PostGroup",
    "Progress",
    "ReceiptRecorder",
    "ReplayOptions",
    "ReplayProgress",
    "ReplaySummary",
    "Replayer",
    "RouterService",
    "RunOptions",
    "RunSummary",
    "ServiceLimits",
    "Simulation",
    "SimulationOptions",
    "SimulationSummary",
    "SubmitOptions",
    "SubmitSummary",
    "Submitter",
    "Window",
]

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
