"""A replay on a broker anyone can publish to: forged transmissions that name the run reach the posts'
topics while it runs, and none of them becomes a receipt; each is refused and counted with the run."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from replay.mqtt.broker import BrokerInfo
from replay.mqtt.publisher import Publisher
from replay.mqtt.topics import post_topic
from replay.mqtt.wire import Transmission, encode, seal
from replay.store.queries import who_got
from replay.store.store import AuditStore
from router.precedence import Precedence

pytestmark = [pytest.mark.broker, pytest.mark.slow]

CABLEROUTE = [sys.executable, "-c", "import sys; from replay.cli import main; sys.exit(main())"]


def _forgery(run: str, *, key: bytes | None) -> bytes:
    """A transmission of 08TOKYO3100 to Fukuoka, which the plan does not send there."""
    now = time.time()
    message = Transmission(
        run, "08TOKYO3100", "RUEHFK", "info", Precedence.PRIORITY, False, 1, 1.2e9, 1.2e9, 1.2e9,
        now, now, now, 0.0, "FORGED",
    )  # fmt: skip
    return encode(message) if key is None else seal(message, key)


async def _forge_while(process: subprocess.Popen[str], broker: BrokerInfo, run: str) -> int:
    """Publish forgeries (unsealed, and sealed with a guessed key) until the replay ends."""
    publisher = Publisher(broker, "test-forger")
    await publisher.start()
    sent = 0
    try:
        while process.poll() is None:
            publisher.publish(post_topic("RUEHFK"), _forgery(run, key=None))
            publisher.publish(post_topic("RUEHFK"), _forgery(run, key=b"guessed-key-0123456789abcdef"))
            sent += 2
            await asyncio.sleep(0.05)
    finally:
        await publisher.close()
    return sent


def test_forged_transmissions_during_a_replay_are_refused_and_counted(
    broker_info: BrokerInfo, examples_dir: Path, tmp_path: Path
) -> None:
    db = tmp_path / "audit.sqlite"
    url = f"mqtt://{broker_info.host}:{broker_info.port}"
    replay = subprocess.Popen(
        [*CABLEROUTE, "replay", str(examples_dir), "--broker", url, "--db", str(db), "--run", "target",
         "--speed", "1", "--max-gap", "3", "--json", "--timeout", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    sent = asyncio.run(_forge_while(replay, broker_info, "target"))
    out, err = replay.communicate(timeout=60)
    assert replay.returncode == 0, err
    summary = json.loads(out)
    assert sent > 20
    assert summary["received"] == summary["planned"] == 22
    assert summary["rejected"].get("unauthenticated", 0) > 0  # some reached Fukuoka while it listened
    with AuditStore(db, create=False) as store:
        assert "RUEHFK" not in {entry.post for entry in who_got(store, "target", "08TOKYO3100").received}
        assert store.rejected_counts("target")["unauthenticated"] == summary["rejected"]["unauthenticated"]
