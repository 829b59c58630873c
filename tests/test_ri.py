"""One routing-indicator pattern for the decoder, the topology, fault options and MQTT topics."""

from __future__ import annotations

import pytest

from replay.mqtt.topics import is_valid_ri
from router.faults import parse_ri
from topology.ri import looks_like_ri


@pytest.mark.parametrize("ri", ["RUEHC", "RUEHKO", "RUCNDT", "RHEHNSC", "RHMFIUU", "R123", "RUEHABCD"])
def test_routing_indicators_are_accepted_everywhere(ri: str) -> None:
    assert looks_like_ri(ri)
    assert is_valid_ri(ri)
    assert parse_ri(ri) == ri


@pytest.mark.parametrize(
    "text", ["RUEHC\n", "RUE", "RUEHABCDE", "AB12", "ruehc", "RUEH C", "RUEH/KO", "RÜEHKO", "R#EH", "", "R"]
)
def test_anything_else_is_refused_everywhere(text: str) -> None:
    assert not looks_like_ri(text)
    assert not is_valid_ri(text)
    if text.strip().upper() != text.strip() or text != text.strip():
        return  # parse_ri tidies case and spaces of command-line words first
    with pytest.raises(ValueError):
        parse_ri(text)


def test_non_strings_are_not_routing_indicators() -> None:
    assert not looks_like_ri(None)
    assert not looks_like_ri(12345)
