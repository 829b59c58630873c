"""How cableroute starts worker processes: forked from a fork server, never from the running program.

Forking a program that runs threads (a progress bar's refresh thread, the store's writer thread, an
event loop's executor) copies into the child the locks those threads hold at that moment, and the
child can wait on them forever; Python 3.12 warns about it, and 3.14 no longer forks by default. A
fork server is a separate, single-threaded process, started once on first use, from which every worker
is forked. It imports the decoder and the store first (`PRELOAD`), so that a worker forked from it
starts at once, as a worker forked from the program would.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.context import ForkServerContext

#: Modules the fork server imports before forking workers: what the workers run.
PRELOAD = ["router.decoder", "replay.inputs.workers", "replay.engine.ingest", "replay.store.process"]


def process_context() -> ForkServerContext:
    """The multiprocessing context for worker processes: a fork server with `PRELOAD` imported."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context
