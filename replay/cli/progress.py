"""The replay's progress bar: cables injected, deliveries published and received, and their rates.

Shown on standard error only when it is a terminal; elsewhere the callback does nothing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from replay.engine.replayer import ReplayProgress
from replay.engine.submitter import SubmitProgress


def rates(previous: tuple[float, int, int], now: float, cables: int, received: int) -> tuple[float, float]:
    """Cables/s and deliveries/s since `previous` = (time, cables, received)."""
    elapsed = now - previous[0]
    if elapsed <= 0:
        return 0.0, 0.0
    return (cables - previous[1]) / elapsed, (received - previous[2]) / elapsed


@contextmanager
def replay_progress(stream: TextIO | None = None) -> Iterator[Callable[[ReplayProgress], None]]:
    """A callback for `Replayer(progress=...)`: a rich progress bar when `stream` is a terminal."""
    stream = stream or sys.stderr
    if not stream.isatty():
        yield lambda report: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn

    columns = (TextColumn("replay"), BarColumn(bar_width=10), TextColumn("{task.fields[detail]}"))
    with Progress(*columns, console=Console(file=stream), transient=True) as bar:
        task = bar.add_task("replay", total=None, detail="")
        started = (time.monotonic(), 0, 0)

        def report(progress: ReplayProgress) -> None:
            cables_rate, deliveries_rate = rates(
                started, time.monotonic(), progress.cables, progress.received
            )
            detail = (
                f"{progress.cables:,}/{progress.cables_total:,} cables, {progress.received:,} received; "
                f"{cables_rate:,.0f} cables/s, {deliveries_rate:,.0f} deliveries/s"
            )
            bar.update(task, total=progress.cables_total, completed=progress.cables, detail=detail)

        yield report


@contextmanager
def submit_progress(stream: TextIO | None = None) -> Iterator[Callable[[SubmitProgress], None]]:
    """A callback for `Submitter(progress=...)`: a progress bar of the cables the router acknowledged,
    when `stream` is a terminal."""
    stream = stream or sys.stderr
    if not stream.isatty():
        yield lambda report: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn

    columns = (TextColumn("submit"), BarColumn(bar_width=10), TextColumn("{task.fields[detail]}"))
    with Progress(*columns, console=Console(file=stream), transient=True) as bar:
        task = bar.add_task("submit", total=None, detail="")

        def report(progress: SubmitProgress) -> None:
            detail = (
                f"{progress.acknowledged:,}/{progress.total:,} cables acknowledged by the router, "
                f"{progress.resent:,} sent again"
            )
            bar.update(task, total=progress.total, completed=progress.acknowledged, detail=detail)

        yield report
