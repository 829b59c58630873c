"""Worker processes are forked from the program only while it runs no other thread."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import threading
from replay.processes import process_context

alone = process_context().get_start_method()
release = threading.Event()
thread = threading.Thread(target=release.wait)
thread.start()
busy = process_context().get_start_method()
release.set()
thread.join()
print(alone, busy)
"""


def test_workers_are_forked_directly_only_while_one_thread_runs() -> None:
    # A fresh interpreter: the test process itself may run threads other tests left behind.
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["fork", "forkserver"]
