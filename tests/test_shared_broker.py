"""Two replays at the same time on one broker: each has client ids of its own, so neither takes over
the other's connections; both are exact, without duplicates or reconnects."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from replay.mqtt.broker import BrokerInfo
from tests.cable_texts import cable_texts

pytestmark = pytest.mark.broker

CABLEROUTE = [sys.executable, "-c", "import sys; from replay.cli import main; sys.exit(main())"]


def test_two_concurrent_replays_share_one_broker(broker_info: BrokerInfo, tmp_path: Path) -> None:
    corpus = tmp_path / "cables"
    corpus.mkdir()
    for item in cable_texts(40):
        (corpus / item.source).write_text(item.text)
    url = f"mqtt://{broker_info.host}:{broker_info.port}"

    def start(name: str) -> subprocess.Popen[str]:
        db = str(tmp_path / f"{name}.sqlite")
        command = ["replay", str(corpus), "--broker", url, "--db", db, "--run", name, "--speed", "600"]
        return subprocess.Popen(
            [*CABLEROUTE, *command, "--json", "--timeout", "20"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    runs = [start("first"), start("second")]
    outputs = [run.communicate(timeout=120) for run in runs]
    for run, (out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err
        summary = json.loads(out)
        assert summary["planned"] == summary["received"] == 40 * 5
        assert (summary["missing"], summary["duplicates"], summary["reconnects"]) == (0, 0, 0)
        assert summary["rejected"] == {}  # the other run's traffic is told apart, not taken for forgery
