"""How cableroute starts worker processes: forked from a fork server unless the program runs one thread.

Forking a program that runs threads (a progress bar's refresh thread, the store's writer thread, an
event loop's executor) copies into the child the locks those threads hold at that moment, and the
child can wait on them forever; Python 3.12 warns about it, and 3.14 no longer forks by default. A
fork server is a separate, single-threaded process, started once on first use, from which every worker
is forked. It imports the decoder and the store first (`PRELOAD`), so that a worker forked from it
starts at once, as a worker forked from the program would. Starting the fork server costs about
0.2 s, as much as decoding a thousand cables: a program that runs no thread but its main one (a
`decode` into a pipe) forks its workers itself, which is safe then.
"""

from __future__ import annotations

import multiprocessing
import threading
from multiprocessing.context import ForkContext, ForkServerContext

#: Modules the fork server imports before forking workers: what the workers run.
PRELOAD = ["router.decoder", "replay.inputs.workers", "replay.engine.ingest", "replay.store.process"]


def process_context() -> ForkServerContext | ForkContext:
    """The multiprocessing context for worker processes: a fork server with `PRELOAD` imported, or,
    while this program runs no thread but its main one, plain fork."""
    if threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context
