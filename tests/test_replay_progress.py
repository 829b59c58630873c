"""The replay's progress display: rates, silence off a terminal, a bar on one."""

from __future__ import annotations

import io

from replay.cli.progress import rates, replay_progress
from replay.engine.replayer import ReplayProgress


def test_rates_since_the_start() -> None:
    assert rates((10.0, 0, 0), 12.0, 100, 3000) == (50.0, 1500.0)
    assert rates((10.0, 0, 0), 10.0, 100, 3000) == (0.0, 0.0)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_nothing_is_drawn_off_a_terminal() -> None:
    stream = io.StringIO()
    with replay_progress(stream) as report:
        report(ReplayProgress(cables=1, cables_total=2, published=5, received=4))
    assert stream.getvalue() == ""


def test_a_bar_with_cables_and_deliveries_on_a_terminal() -> None:
    stream = _Terminal()
    with replay_progress(stream) as report:
        report(ReplayProgress(cables=1, cables_total=2, published=5, received=4))
    text = stream.getvalue()
    assert "1/2 cables, 4 received" in text
    assert "cables/s" in text and "deliveries/s" in text
