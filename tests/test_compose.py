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
    assert set(services) == {"broker-config", "mosquitto", "router", "posts"}
    assert services["mosquitto"]["image"].startswith("eclipse-mosquitto:2")
    for name in ("router", "posts"):
        assert services[name]["build"] == "."
        assert "mosquitto" in services[name]["depends_on"]
    for name in ("router", "posts"):
        assert "audit:/data" in services[name]["volumes"]  # one shared audit store
    assert "--topology" in services["posts"]["command"]  # the posts are named, not guessed


def test_every_cableroute_command_is_valid(compose: dict[str, Any]) -> None:
    parser = build_parser()
    commands = [
        service["command"]
        for service in compose["services"].values()
        if service.get("command", [""])[0] == "cableroute"
    ]
    assert len(commands) == 3
    for command in commands:
        args = parser.parse_args(command[1:])  # exits (fails the test) on an invalid invocation
        assert callable(args.handler)
        assert str(args.key_file) == "/run/secrets/cableroute-key"
        if command[1] != "broker-config":
            assert parse_broker_url(args.broker).host == "mosquitto"
            assert str(args.db) == "/data/audit.sqlite"
    assert {command[1] for command in commands} == {"broker-config", "serve", "posts"}


def test_the_broker_admits_only_the_services_with_the_files_broker_config_writes(
    compose: dict[str, Any],
) -> None:
    config = compose["configs"]["mosquitto-conf"]["content"].splitlines()
    assert "allow_anonymous true" not in config
    assert "allow_anonymous false" in config and "use_username_as_clientid true" in config
    writer = compose["services"]["broker-config"]["command"]
    directory = writer[writer.index("--out") + 1]
    mounted = {
        volume.split(":")[1]
        for volume in compose["services"]["mosquitto"]["volumes"]
        if volume.split(":")[0] == "broker-access"
    }
    assert f"{directory}:" in " ".join(compose["services"]["broker-config"]["volumes"]) + ":"
    for line in ("password_file", "acl_file"):
        path = next(entry.split()[1] for entry in config if entry.startswith(line))
        assert any(path.startswith(base + "/") for base in mounted), path
    depends = compose["services"]["mosquitto"]["depends_on"]
    assert depends["broker-config"]["condition"] == "service_completed_successfully"


def test_the_broker_keeps_sessions_and_big_queues(compose: dict[str, Any]) -> None:
    config = compose["configs"]["mosquitto-conf"]["content"].splitlines()
    assert "persistence true" in config
    assert "listener 1883 0.0.0.0" in config
    assert any(
        line.startswith("max_queued_messages 1") and int(line.split()[1]) >= 1_000_000 for line in config
    )
