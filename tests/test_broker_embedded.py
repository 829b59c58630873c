"""The broker a run uses: URLs, the private mosquitto, and what the amqtt fallback cannot do."""

from __future__ import annotations

import socket

import pytest

from replay.engine.posts import PostClient
from replay.mqtt.broker import (
    AmqttBroker,
    BrokerInfo,
    MosquittoBroker,
    embedded_broker,
    find_mosquitto,
    mosquitto_config,
    parse_broker_url,
)
from replay.mqtt.publisher import Publisher
from tests.waiting import wait_until_async


def test_broker_urls() -> None:
    plain = parse_broker_url("mqtt://broker.example:1884")
    assert (plain.host, plain.port, plain.tls, plain.username) == ("broker.example", 1884, False, None)
    secure = parse_broker_url("mqtts://ops:s%40cret@broker.example")
    assert (secure.port, secure.tls, secure.username, secure.password) == (8883, True, "ops", "s@cret")
    assert parse_broker_url("mqtt://10.0.0.5").port == 1883
    assert secure.url == "mqtts://ops@broker.example:8883"


@pytest.mark.parametrize(
    "url", ["http://host:1883", "mqtt://", "mqtt://host:99999", "mqtt://host/path", "host:1883"]
)
def test_bad_broker_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        parse_broker_url(url)


def test_mosquitto_config_is_private_and_persistent(tmp_path) -> None:
    lines = mosquitto_config(45678, tmp_path, autosave_changes=1).splitlines()
    assert "listener 45678 127.0.0.1" in lines
    assert "persistence true" in lines
    assert f"persistence_location {tmp_path}/" in lines
    assert "autosave_on_changes true" in lines
    assert "allow_anonymous true" in lines
    assert not any(line.startswith("listener 1883") for line in lines)
    assert "autosave_on_changes false" in mosquitto_config(45678, tmp_path).splitlines()


def _accepts(info: BrokerInfo) -> bool:
    try:
        with socket.create_connection((info.host, info.port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.broker
def test_the_fixture_broker_stops_and_restarts_on_its_port(mosquitto: MosquittoBroker) -> None:
    port = mosquitto.port
    assert port != 1883
    assert _accepts(mosquitto.info)
    mosquitto.stop(kill=True)
    assert not mosquitto.running
    assert not _accepts(mosquitto.info)
    mosquitto.restart()
    assert mosquitto.port == port
    assert _accepts(mosquitto.info)


async def _offline_then_online(info: BrokerInfo) -> tuple[int, int]:
    """Messages a post gets while online, and in total after an offline spell with 5 queued
    (counted once a marker published after the post came back has arrived behind them)."""
    got: list[bytes] = []
    post = PostClient("RUEHKO", info, lambda ri, payload: got.append(payload))
    publisher = Publisher(info)
    await post.start()
    await publisher.start()
    try:
        for number in range(5):
            publisher.publish(post.topic, b"online %d" % number)
        assert await publisher.flush(5)
        assert await wait_until_async(lambda: len(got) == 5)
        online = len(got)
        await post.go_offline()
        for number in range(5):
            publisher.publish(post.topic, b"queued %d" % number)
        assert await publisher.flush(5)
        await post.go_online()
        publisher.publish(post.topic, b"marker")
        assert await wait_until_async(lambda: b"marker" in got)
        return online, len(got) - 1
    finally:
        await post.stop()
        await publisher.close()


@pytest.mark.broker
async def test_mosquitto_hands_over_messages_queued_for_an_offline_session() -> None:
    if find_mosquitto() is None:
        pytest.skip("mosquitto is not installed")
    with embedded_broker() as info:
        assert info.kind == "mosquitto"
        assert info.keeps_offline_queues
        assert await _offline_then_online(info) == (5, 10)


@pytest.mark.broker
async def test_amqtt_fallback_carries_online_traffic_but_not_offline_queues() -> None:
    with embedded_broker(prefer="amqtt") as info:
        assert info.kind == "amqtt"
        assert not info.keeps_offline_queues
        online, total = await _offline_then_online(info)
    assert online == 5
    assert total == 5  # what was queued while the post was offline never arrives


@pytest.mark.broker
def test_embedded_brokers_stop_afterwards() -> None:
    with embedded_broker(prefer="amqtt") as info:
        assert _accepts(info)
    assert not _accepts(info)
    if find_mosquitto() is not None:
        with MosquittoBroker() as broker:
            info = broker.info
            assert _accepts(info)
        assert not _accepts(info)
        amqtt = AmqttBroker()
        amqtt.close()  # closing a broker that never started is harmless
