"""A subscriber losing its mosquitto: retries as its backoff says, and subscribes again only when
the broker lost the session (a real mosquitto restarted on the same port, with and without its
database)."""

from __future__ import annotations

import time

import pytest

from replay.mqtt.backoff import Backoff
from replay.mqtt.broker import MosquittoBroker
from replay.mqtt.publisher import Publisher
from replay.mqtt.subscriber import Attempt, Subscriber
from tests.waiting import wait_until_async

pytestmark = pytest.mark.broker

TOPIC = "posts/RUEHRC"
#: Short enough that the broker stays down over several retries, including some at the ceiling.
BACKOFF = Backoff(first_s=0.02, ceiling_s=0.08)
FAILED_RETRIES = 5


def test_the_waits_double_up_to_the_ceiling_and_are_spread() -> None:
    backoff = Backoff(first_s=0.05, ceiling_s=2.0)
    assert [backoff.bound(retry) for retry in range(7)] == [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 2.0]
    assert backoff.bound(10_000) == 2.0
    assert backoff.delay(3, lambda: 0.0) == 0.2
    assert backoff.delay(3, lambda: 1.0) == 0.4
    assert backoff.delay(9, lambda: 0.5) == 1.5


async def _restart_while_subscribed(mosquitto: MosquittoBroker, *, lose_sessions: bool) -> list[Attempt]:
    """Restart the broker under a connected subscriber; the attempts it made since the broker
    went, after checking that a message published afterwards still reaches it."""
    got: list[bytes] = []
    subscriber = Subscriber("cableroute-post-RUEHRC", TOPIC, mosquitto.info, got.append, backoff=BACKOFF)
    publisher = Publisher(mosquitto.info)
    await subscriber.start()
    try:
        assert [(attempt.session_present, attempt.subscribed) for attempt in subscriber.attempts] == [
            (False, True)
        ]
        mosquitto.stop()  # SIGTERM: the session is saved
        if lose_sessions:
            (mosquitto.data_dir / "broker.db").unlink()
        failed = lambda: sum(attempt.error is not None for attempt in subscriber.attempts)  # noqa: E731
        assert await wait_until_async(lambda: failed() >= FAILED_RETRIES)
        mosquitto.start()
        listening = time.monotonic()  # the event loop's clock, as in the attempts
        assert await wait_until_async(lambda: subscriber.online)
        await publisher.start()
        publisher.publish(TOPIC, b"after the restart")
        assert await wait_until_async(lambda: got == [b"after the restart"])
        attempts = list(subscriber.attempts)[1:]
        assert all(attempt.error is not None for attempt in attempts[:-1])
        assert all(attempt.at < listening for attempt in attempts[:-1])
        assert attempts[-1].error is None
        return attempts
    finally:
        await publisher.close()
        await subscriber.stop(forget_session=True)


def _check_backoff(attempts: list[Attempt]) -> None:
    """Retry n came after a wait in [bound(n) / 2, bound(n)], counted from the loss on: the client
    came back at its first retry after the broker listened, at most one bound later."""
    assert [attempt.retry for attempt in attempts] == list(range(len(attempts)))
    for attempt in attempts:
        bound = BACKOFF.bound(attempt.retry)
        assert bound / 2 <= attempt.waited_s <= bound
    assert max(attempt.waited_s for attempt in attempts) <= BACKOFF.ceiling_s
    assert len(attempts) > FAILED_RETRIES


async def test_a_kept_session_is_not_subscribed_again(mosquitto: MosquittoBroker) -> None:
    attempts = await _restart_while_subscribed(mosquitto, lose_sessions=False)
    assert attempts[-1].session_present
    assert not attempts[-1].subscribed
    _check_backoff(attempts)


async def test_a_lost_session_is_subscribed_again(mosquitto: MosquittoBroker) -> None:
    attempts = await _restart_while_subscribed(mosquitto, lose_sessions=True)
    assert not attempts[-1].session_present
    assert attempts[-1].subscribed
    _check_backoff(attempts)


async def test_a_clean_session_client_subscribes_on_every_connection(mosquitto: MosquittoBroker) -> None:
    subscriber = Subscriber("cableroute-clean", TOPIC, mosquitto.info, lambda _: None, clean_session=True)
    await subscriber.start()
    try:
        await subscriber.go_offline()
        await subscriber.go_online()
        assert [(attempt.session_present, attempt.subscribed) for attempt in subscriber.attempts] == [
            (False, True),
            (False, True),
        ]
    finally:
        await subscriber.stop()


async def test_going_offline_and_back_keeps_the_subscription(mosquitto: MosquittoBroker) -> None:
    got: list[bytes] = []
    subscriber = Subscriber("cableroute-post-RUEHRD", TOPIC, mosquitto.info, got.append)
    publisher = Publisher(mosquitto.info)
    await subscriber.start()
    await publisher.start()
    try:
        await subscriber.go_offline()
        publisher.publish(TOPIC, b"while offline")
        assert await publisher.flush(5)
        await subscriber.go_online()
        assert await wait_until_async(lambda: got == [b"while offline"])
        assert [(attempt.session_present, attempt.subscribed) for attempt in subscriber.attempts] == [
            (False, True),
            (True, False),
        ]
    finally:
        await publisher.close()
        await subscriber.stop(forget_session=True)
