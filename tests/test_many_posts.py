"""A thousand posts, each its own MQTT client, all connected at once, with a corpus reaching every one."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from replay.audit.load import receipt_totals
from replay.engine.replayer import Replayer, ReplayOptions
from replay.mqtt.broker import BrokerInfo
from replay.store.store import AuditStore
from replay.store.writer import StoreWriter
from router.synth.topology import WIDE_COLLECTIVE, wide_topology
from tests.cable_texts import circular_texts

POSTS = 1_000
CABLES = 20


@pytest.mark.broker
@pytest.mark.slow
async def test_a_thousand_posts_receive_every_delivery(broker_info: BrokerInfo, tmp_path: Path) -> None:
    topology = wide_topology(POSTS)
    store = AuditStore(tmp_path / "wide.sqlite")
    run = store.start_run("wide", "replay", {})
    writer = StoreWriter(store)
    replayer = Replayer(writer, run, broker_info, ReplayOptions(timeout=60))
    try:
        await replayer.run(circular_texts(CABLES, WIDE_COLLECTIVE), lambda cables: topology)
    finally:
        writer.close()
    summary = replayer.summary
    assert (summary.cables, summary.posts, summary.planned) == (CABLES, POSTS, CABLES * POSTS)
    assert (summary.received, summary.missing, summary.duplicates) == (CABLES * POSTS, 0, 0)
    assert receipt_totals(store, run) == (CABLES * POSTS, 0)
    per_post = store.connection.execute(
        "SELECT count(*) FROM receipts WHERE run_id = ? GROUP BY post", (store.run_id(run),)
    ).fetchall()
    assert len(per_post) == POSTS
    assert {count for (count,) in per_post} == {CABLES}


def test_a_process_started_with_few_open_files_raises_its_own_limit() -> None:
    def few_files() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    script = (
        "import resource; from replay.engine.posts import ensure_open_files; "
        "print(resource.getrlimit(resource.RLIMIT_NOFILE)[0], ensure_open_files(1256), "
        "resource.getrlimit(resource.RLIMIT_NOFILE)[0], ensure_open_files(100))"
    )
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < 1256:
        pytest.skip(f"the hard limit on open files here is {hard}")
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, preexec_fn=few_files, check=True
    )
    assert result.stdout.split() == ["64", "1256", "1256", "1256"]
