"""Topic names come only from validated routing indicators."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from replay.mqtt.topics import (
    TopicError,
    is_valid_ri,
    post_client_id,
    post_topic,
    ri_of_topic,
    validated_ri,
)


@pytest.mark.parametrize("ri", ["RUEHC", "RUEHKO", "RUCNDT", "RHEHNSC", "RUEHKSO", "RHMFIUU", "R123"])
def test_real_routing_indicators_make_topics(ri: str) -> None:
    assert post_topic(ri) == f"posts/{ri}"
    assert post_client_id(ri) == f"cableroute-post-{ri}"
    assert ri_of_topic(post_topic(ri)) == ri


@pytest.mark.parametrize(
    "text",
    [
        "",
        "RUE",
        "AB12",
        "RUEHC\n",
        "RUEHKO123",
        "ruehko",
        "RUEH+",
        "RUEH#",
        "RUEH/KO",
        "RUEH KO",
        "RUEHKO\n",
        "RÜEHKO",
        "#",
        "+",
    ],
)
def test_anything_else_is_refused(text: str) -> None:
    assert not is_valid_ri(text)
    with pytest.raises(TopicError):
        post_topic(text)
    with pytest.raises(TopicError):
        validated_ri(text)


def test_non_strings_are_refused() -> None:
    assert not is_valid_ri(None)
    assert not is_valid_ri(12345)


def test_topics_that_are_not_post_topics_have_no_ri() -> None:
    assert ri_of_topic("cables/in") is None
    assert ri_of_topic("posts/RUEH/KO") is None
    assert ri_of_topic("posts/#") is None


@given(st.text(max_size=12))
def test_no_wildcard_separator_or_space_can_reach_a_topic(text: str) -> None:
    try:
        topic = post_topic(text)
    except TopicError:
        return
    ri = topic.removeprefix("posts/")
    assert not set(ri) & set("+#/ \t\r\n\x00")
    assert ri == text
