"""Smaller things a user meets: a routing indicator with a newline, `audit --topology` read and blamed
as itself, empty run names, a closed broker port, `runs` and `audit` agreeing after a late receipt, the
progress bar's last frame, `--version`, and README examples whose options all do something."""

from __future__ import annotations

import argparse
import json
import re
import shlex
import socket
import time
from pathlib import Path

import pytest

from replay.cli import build_parser, main
from replay.cli.replay import build_options
from replay.engine.replayer import Replayer, ReplayOptions, ReplayProgress
from replay.mqtt.broker import BrokerInfo
from replay.store.store import AuditStore
from replay.store.writer import StoreWriter
from tests.cable_texts import cable_texts, small_topology
from topology.files import TopologyFileError, load_topology

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "replay" / "examples"


def test_a_routing_indicator_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "topology.toml"
    path.write_text('[[post]]\nri = "RUEHC\\n"\nname = "SECSTATE WASHDC"\n')
    with pytest.raises(TopologyFileError, match="routing indicator"):
        load_topology([path])


@pytest.fixture
def simulated(tmp_path: Path) -> Path:
    """A store with one simulated run of the example cables (every delivery received)."""
    db = tmp_path / "audit.sqlite"
    assert main(["simulate", str(EXAMPLES), "--db", str(db), "--run", "examples"]) == 0
    return db


def test_audit_reads_its_topology_even_without_html_and_blames_it(
    simulated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("x = \n")
    capsys.readouterr()
    assert main(["audit", "--db", str(simulated), "--topology", str(bad)]) == 1
    assert capsys.readouterr().err.startswith(f"cableroute audit: cannot read the topology: {bad}")
    page = tmp_path / "audit.html"
    assert main(["audit", "--db", str(simulated), "--topology", str(bad), "--html", str(page)]) == 1
    err = capsys.readouterr().err
    assert "cannot read the topology" in err and str(page) not in err
    assert not page.exists()


@pytest.mark.parametrize("name", ["", "   ", "two\nlines"])
def test_run_names_must_not_be_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    db = tmp_path / "audit.sqlite"
    for command in ("replay", "simulate"):
        with pytest.raises(SystemExit) as exit_:
            main([command, str(EXAMPLES), "--db", str(db), "--run", name])
        assert exit_.value.code == 2
        assert "run name must" in capsys.readouterr().err
    assert not db.exists()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_closed_broker_port_fails_at_once_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "audit.sqlite"
    started = time.monotonic()
    assert main(["replay", "--db", str(db), "--broker", f"mqtt://127.0.0.1:{_closed_port()}"]) == 1
    assert time.monotonic() - started < 5  # it was 10 s of silent retries
    assert "refused the connection (is the broker running?)" in capsys.readouterr().err
    assert not db.exists()


def test_runs_and_audit_agree_after_a_late_receipt(
    simulated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with AuditStore(simulated) as store:
        connection = store.connection
        kept = connection.execute("SELECT * FROM receipts LIMIT 1").fetchone()
        run_id, cable, post = kept[0], kept[1], kept[2]
        connection.execute(
            "DELETE FROM receipts WHERE run_id = ? AND cable = ? AND post = ?", (run_id, cable, post)
        )
        connection.execute("INSERT INTO missing VALUES (?, ?, ?, 'not received')", (run_id, cable, post))

    def counts() -> tuple[int, int, int, int]:
        capsys.readouterr()
        assert main(["runs", "--db", str(simulated), "--json"]) == 0
        listed = json.loads(capsys.readouterr().out)
        assert main(["audit", "--db", str(simulated), "--json"]) == 0
        audited = json.loads(capsys.readouterr().out)["distribution"]
        return listed["received"], listed["missing"], audited["received"], audited["missing"]

    assert counts() == (21, 1, 21, 1)
    with AuditStore(simulated) as store:  # the receipt comes in after the run closed
        store.connection.execute(f"INSERT INTO receipts VALUES ({', '.join('?' * len(kept))})", kept)
    assert counts() == (22, 0, 22, 0)


@pytest.mark.broker
async def test_the_last_progress_frame_shows_the_final_figures(
    broker_info: BrokerInfo, tmp_path: Path
) -> None:
    frames: list[ReplayProgress] = []
    with AuditStore(tmp_path / "audit.sqlite") as store:
        run = store.start_run("progress", "replay")
        writer = StoreWriter(store)
        replayer = Replayer(writer, run, broker_info, ReplayOptions(timeout=10), progress=frames.append)
        try:
            await replayer.run(cable_texts(20), lambda cables: small_topology(1_000_000.0))
        finally:
            writer.close()
    summary = replayer.summary
    assert summary.received == summary.planned == 100
    assert (frames[-1].cables, frames[-1].received) == (summary.cables, summary.received)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert re.fullmatch(r"cableroute \d+\.\d+\.\d+\S*\n", capsys.readouterr().out)


def _readme_commands() -> list[list[str]]:
    """The `cableroute ...` lines of the README's code blocks, as argument lists (comments dropped)."""
    text = (ROOT / "README.md").read_text()
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words[:1] == ["cableroute"]:
                commands.append(words[1:])
    return commands


def _meaning(command: str, args: argparse.Namespace) -> dict[str, object]:
    """What a parsed command line asks for: its values, with a replay's pacing as the replay takes it."""
    values = vars(args).copy()
    if command == "replay":
        del values["speed"], values["top_speed"]
        values["options"] = build_options(args)
    return values


def test_every_option_in_the_readme_examples_does_something() -> None:
    commands = _readme_commands()
    assert any(words[:1] == ["replay"] for words in commands)
    for words in commands:
        parser = build_parser([words[0]])
        full = _meaning(words[0], parser.parse_args(words))
        for index, word in enumerate(words):
            if not word.startswith("--"):
                continue
            takes_value = index + 1 < len(words) and not words[index + 1].startswith("--")
            without = words[:index] + words[index + (2 if takes_value else 1) :]
            changed = _meaning(words[0], parser.parse_args(without)) != full
            assert changed, f"{word} changes nothing in: cableroute {' '.join(words)}"


def test_replay_help_says_top_speed_is_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["replay", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "default: no pacing, top speed" in help_text
    assert "--top-speed no pacing, as fast as the broker goes: the default" in help_text
