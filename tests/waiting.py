"""Waiting in tests for a condition to hold, never for a fixed time.

`wait_until` and `wait_until_async` poll a condition until it holds or a deadline passes, and
return whether it held; `StderrLines` reads a child process's standard error in a thread so that
a test can wait for a line (a service saying it is ready) and still see everything it wrote.
"""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time
from collections.abc import Callable

#: How often a condition is looked at again.
POLL_S = 0.01


def wait_until(condition: Callable[[], object], timeout: float = 10.0) -> bool:
    """Poll `condition` until it is true or `timeout` seconds passed; whether it became true."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_S)
    return True


async def wait_until_async(condition: Callable[[], object], timeout: float = 10.0) -> bool:
    """`wait_until` inside an event loop: other tasks run while it waits."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(POLL_S)
    return True


class StderrLines:
    """Collects a process's standard error line by line, as it is written."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stderr is not None, "start the process with stderr=subprocess.PIPE"
        self._stream = process.stderr
        self._lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for raw in self._stream:
            with self._changed:
                self._lines.append(raw.decode(errors="replace"))
                self._changed.notify_all()

    def wait_for(self, text: str, timeout: float = 20.0) -> bool:
        """Wait until a line containing `text` was written; whether it was."""
        with self._changed:
            return self._changed.wait_for(lambda: any(text in line for line in self._lines), timeout)

    def text(self, timeout: float = 15.0) -> str:
        """Everything written, once the process closed its standard error."""
        self._thread.join(timeout)
        with self._changed:
            return "".join(self._lines)
