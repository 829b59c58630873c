"""Post names travel with runs: recorded from the run's topology, shown by who-got, received and audit."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from replay.cli import main
from replay.mqtt.broker import BrokerInfo
from replay.store.schema import SCHEMA_VERSION
from replay.store.store import AuditStore

CABLE = """\
VZCZCXRO0007
PP RUEHC
DE RUEHNE #0007 0011200
ZNY CCCCC ZZH
P 011200Z JAN 09
FM AMEMBASSY NEW DELHI
TO RUEHC/SECSTATE WASHDC PRIORITY 0001
INFO RUEHCI/AMCONSUL KOLKATA PRIORITY 0002

C O N F I D E N T I A L NEW DELHI 000007

E.O. 12958: DECL: 01/01/2019
TAGS: PREL
SUBJECT: A TEST CABLE
"""

NAMES = """\
[[post]]
ri = "RUEHCI"
name = "AMCONSUL KOLKATA (FROM THE FILE)"
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def simulated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A store with one simulated run of a New Delhi cable, whose posts the bundled example lacks."""
    cable = tmp_path / "delhi.txt"
    cable.write_text(CABLE, encoding="utf-8")
    db = tmp_path / "audit.sqlite"
    code, _, err = run(capsys, "simulate", str(cable), "--db", str(db), "--run", "delhi")
    assert code == 0, err
    return db


@pytest.mark.broker
def test_a_broker_replay_records_the_names_too(
    broker_info: BrokerInfo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cable = tmp_path / "delhi.txt"
    cable.write_text(CABLE, encoding="utf-8")
    db = tmp_path / "replay.sqlite"
    broker = f"mqtt://{broker_info.host}:{broker_info.port}"
    code, _, err = run(capsys, "replay", str(cable), "--db", str(db), "--run", "live", "--broker", broker)
    assert code == 0, err
    with AuditStore(db, create=False) as store:
        assert store.post_names("live")["RUEHCI"] == "AMCONSUL KOLKATA"
    code, out, _ = run(capsys, "who-got", "09NEWDELHI7", "--db", str(db))
    assert code == 0 and "AMCONSUL KOLKATA" in out


def test_the_run_records_the_names_of_its_topology(simulated: Path) -> None:
    with AuditStore(simulated, create=False) as store:
        names = store.post_names("delhi")
    assert names["RUEHCI"] == "AMCONSUL KOLKATA"
    assert names["RUEHNE"] == "AMEMBASSY NEW DELHI"


def test_who_got_received_and_audit_show_the_recorded_names(
    simulated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "who-got", "09NEWDELHI7", "--db", str(simulated))
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("RUEHCI"))
    assert "AMCONSUL KOLKATA" in row
    code, out, _ = run(capsys, "received", "RUEHCI", "--db", str(simulated))
    assert code == 0 and out.startswith("RUEHCI AMCONSUL KOLKATA in run delhi: 1 cable received")
    page = tmp_path / "audit.html"
    code, _, _ = run(capsys, "audit", "--db", str(simulated), "--html", str(page))
    assert code == 0
    assert "AMCONSUL KOLKATA" in page.read_text(encoding="utf-8")


def test_who_got_json_names_every_post(simulated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "who-got", "09NEWDELHI7", "--db", str(simulated), "--json")
    assert code == 0
    names = {entry["post"]: entry["name"] for entry in json.loads(out)["received"]}
    assert names == {"RUEHC": "SECSTATE WASHDC", "RUEHCI": "AMCONSUL KOLKATA"}


def test_a_topology_file_overrides_the_recorded_names(
    simulated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = tmp_path / "names.toml"
    names.write_text(NAMES, encoding="utf-8")
    code, out, _ = run(capsys, "who-got", "09NEWDELHI7", "--db", str(simulated), "--topology", str(names))
    assert code == 0 and "AMCONSUL KOLKATA (FROM THE FILE)" in out
    assert "SECSTATE WASHDC" in out  # the other recorded names stay


def test_record_post_names_keeps_the_latest_name_per_post(tmp_path: Path) -> None:
    with AuditStore(tmp_path / "a.sqlite") as store:
        run = store.start_run("r", "simulate", {})
        store.record_post_names(run, [("RUEHKO", "EMBASSY TOKYO"), ("RUEHFK", "AMCONSUL FUKUOKA")])
        store.record_post_names(run, [("RUEHKO", "AMEMBASSY TOKYO")])
        other = store.start_run("s", "simulate", {})
        assert store.post_names(run) == {"RUEHKO": "AMEMBASSY TOKYO", "RUEHFK": "AMCONSUL FUKUOKA"}
        assert store.post_names(other) == {}


def test_a_store_of_the_previous_schema_gains_the_names_table(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with AuditStore(path) as store:
        store.start_run("old", "simulate", {})
    with sqlite3.connect(path) as connection:  # as a version-4 store left it
        connection.execute("DROP TABLE post_names")
        connection.execute("DROP TABLE circuit_stats")
        connection.execute("DROP TABLE submitted")
        connection.execute("DROP TABLE rejected_inputs")
        connection.execute("DROP TABLE delivery_reasons")
        for column in ("owner_host", "owner_pid", "owner_start", "heartbeat_at"):
            connection.execute(f"ALTER TABLE runs DROP COLUMN {column}")
        connection.execute("PRAGMA user_version=4")
    with AuditStore(path, create=False) as store:
        assert store.post_names("old") == {}
        store.record_post_names("old", [("RUEHKO", "AMEMBASSY TOKYO")])
        assert store.post_names("old") == {"RUEHKO": "AMEMBASSY TOKYO"}
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
