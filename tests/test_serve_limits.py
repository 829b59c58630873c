"""What `cableroute serve` holds and how long it waits: silent runs expire, messages and open runs are
bounded in size, and a stop ends in bounded time even when the broker is gone."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import pytest

from replay.engine.router_service import (
    LOST_EXPIRED,
    NOT_SENT_REASON,
    RouterService,
    ServiceLimits,
)
from replay.mqtt.broker import BrokerInfo, MosquittoBroker
from replay.mqtt.publisher import Publisher
from replay.mqtt.topics import CABLES_IN
from replay.mqtt.wire import CableSubmission, LedgerEntry, RunStart, seal
from replay.store.store import AuditStore
from replay.store.writer import StoreWriter
from tests.cable_texts import cable_texts, small_topology
from tests.waiting import wait_until_async

pytestmark = pytest.mark.broker

KEY = b"serve-limits-key-0123456789abcdef"


async def _publish(broker: BrokerInfo, payloads: list[bytes]) -> None:
    publisher = Publisher(broker, f"test-submitter-{uuid.uuid4().hex[:8]}")
    await publisher.start()
    try:
        for payload in payloads:
            publisher.publish(CABLES_IN, payload)
            await publisher.flush(30)
    finally:
        await publisher.close()


def _start_and_cables(run: str, count: int, ledger_extra: int = 0) -> tuple[str, list[bytes]]:
    """A sealed run start whose ledger lists `count + ledger_extra` cables, and the first `count`."""
    session = uuid.uuid4().hex
    items = cable_texts(count + ledger_extra)
    ledger = [LedgerEntry(n, f"08TOKYO{100 + n - 1}", item.source) for n, item in enumerate(items, 1)]
    start = seal(RunStart(session, run, small_topology().image(), False, ledger), KEY)
    cables = [
        seal(CableSubmission(session, n, 1_228_374_000.0 + 60 * n, item.source, item.text), KEY)
        for n, item in enumerate(items[:count], 1)
    ]
    return session, [start, *cables]


def _status_and_summary(store: AuditStore, run: str) -> tuple[str, dict[str, object]]:
    info = next((info for info in store.runs() if info.name == run), None)
    return (info.status, info.summary or {}) if info is not None else ("not started", {})


async def test_a_run_without_an_end_expires_as_aborted(broker_info: BrokerInfo, tmp_path: Path) -> None:
    store = AuditStore(tmp_path / "audit.sqlite")
    writer = StoreWriter(store)
    limits = ServiceLimits(run_timeout=1.0)
    service = RouterService(broker_info, store, writer, KEY, settle=0.1, limits=limits)
    stop = asyncio.Event()
    serving = asyncio.create_task(service.run(stop))
    try:
        await asyncio.wait_for(service.listening.wait(), 10)
        _, payloads = _start_and_cables("silent", 2, ledger_extra=1)  # the third cable never comes
        await _publish(broker_info, payloads)
        assert await wait_until_async(
            lambda: _status_and_summary(store, "silent")[0] not in ("running", "not started"), timeout=20
        )
    finally:
        stop.set()
        await serving
        writer.close()
    status, summary = _status_and_summary(store, "silent")
    assert status == "aborted"
    assert summary["reason"] == "no end of run from the submitter within 1 s"
    assert (summary["routed"], summary["lost_before_routing"]) == (2, 1)
    assert service.counts.expired == 1
    lost = store.connection.execute("SELECT seq, lost FROM submitted WHERE lost IS NOT NULL").fetchall()
    assert lost == [(3, LOST_EXPIRED)]
    store.close()


async def test_what_serve_holds_is_bounded(broker_info: BrokerInfo, tmp_path: Path) -> None:
    """Twenty 9.9 MB cables without an end are refused as too large, each answered and counted; and
    while open runs hold the pending limit, new runs are refused."""
    store = AuditStore(tmp_path / "audit.sqlite")
    writer = StoreWriter(store)
    limits = ServiceLimits(max_message_bytes=8 * 1024 * 1024, max_pending_bytes=15_000)
    service = RouterService(broker_info, store, writer, KEY, settle=0.1, limits=limits)
    stop = asyncio.Event()
    serving = asyncio.create_task(service.run(stop))
    try:
        await asyncio.wait_for(service.listening.wait(), 10)
        session, payloads = _start_and_cables("big", 0, ledger_extra=20)
        await _publish(broker_info, payloads)
        huge = "X" * 9_900_000
        for seq in range(1, 21):
            await _publish(
                broker_info, [seal(CableSubmission(session, seq, 1e9, f"big{seq}.txt", huge), KEY)]
            )
        assert await wait_until_async(lambda: service.counts.oversize == 20, timeout=30)
        assert service.held_bytes < 5_000
        # Open runs whose starts fill the pending limit: the next run is refused, not held.
        starts = [_start_and_cables(f"open{n}", 0, ledger_extra=200)[1][0] for n in range(4)]
        assert all(len(start) > 5_000 for start in starts)
        await _publish(broker_info, starts)
        assert await wait_until_async(lambda: service.counts.refused >= 21, timeout=30)
        assert service.held_bytes <= limits.max_pending_bytes
    finally:
        stop.set()
        await serving
        writer.close()
    assert service.counts.cables == 0
    assert service.counts.refused - service.counts.oversize >= 1
    store.close()


async def test_serve_stops_in_bounded_time_when_its_broker_died(
    mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    store = AuditStore(tmp_path / "audit.sqlite")
    writer = StoreWriter(store)
    limits = ServiceLimits(stop_timeout=2.0)
    service = RouterService(mosquitto.info, store, writer, KEY, settle=0.1, limits=limits)
    stop = asyncio.Event()
    serving = asyncio.create_task(service.run(stop))
    try:
        await asyncio.wait_for(service.listening.wait(), 10)
        _, payloads = _start_and_cables("cut", 6)
        await _publish(mosquitto.info, payloads)
        assert await wait_until_async(lambda: service.counts.cables == 6, timeout=20)
        mosquitto.stop(kill=True)
        await asyncio.sleep(0.5)
    finally:
        stop.set()
        started = time.monotonic()
        await asyncio.wait_for(serving, 30)
        took = time.monotonic() - started
        writer.close()
    assert took < limits.stop_timeout + 3.0, took
    status, summary = _status_and_summary(store, "cut")
    assert status == "interrupted"
    assert summary["reason"] == "the router stopped during the run"
    reasons = {reason for (reason,) in store.connection.execute("SELECT reason FROM missing")}
    assert NOT_SENT_REASON in reasons
    store.close()
