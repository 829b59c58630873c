"""compose.yaml parses, and every cableroute command it runs is a valid invocation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from replay.cli import build_parser
from replay.mqtt.broker import parse_broker_url

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_runs_a_broker_the_router_and_the_posts(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"mosquitto", "router", "posts"}
    assert services["mosquitto"]["image"].startswith("eclipse-mosquitto:2")
    for name in ("router", "posts"):
        assert services[name]["build"] == "."
        assert "mosquitto" in services[name]["depends_on"]
    assert services["router"]["volumes"] == services["posts"]["volumes"]  # one shared audit store


def test_every_cableroute_command_is_valid(compose: dict[str, Any]) -> None:
    parser = build_parser()
    commands = [
        service["command"]
        for service in compose["services"].values()
        if service.get("command", [""])[0] == "cableroute"
    ]
    assert len(commands) == 2
    for command in commands:
        args = parser.parse_args(command[1:])  # exits (fails the test) on an invalid invocation
        assert callable(args.handler)
        assert parse_broker_url(args.broker).host == "mosquitto"
        assert str(args.db) == "/data/audit.sqlite"
    assert {command[1] for command in commands} == {"serve", "posts"}


def test_the_broker_keeps_sessions_and_big_queues(compose: dict[str, Any]) -> None:
    config = compose["configs"]["mosquitto-conf"]["content"].splitlines()
    assert "persistence true" in config
    assert "listener 1883 0.0.0.0" in config
    assert any(
        line.startswith("max_queued_messages 1") and int(line.split()[1]) >= 1_000_000 for line in config
    )
