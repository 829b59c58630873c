"""`cableroute runs`, `who-got` and `received` over stores built by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from replay.cli import main
from replay.store.receipt import Receipt
from replay.store.store import AuditStore
from router.deliveries import Delivery, OtherMeans, Plan, UnresolvedAddressee
from router.model import Addressee, Cable, PrecedencePair, Station
from router.precedence import Precedence

FILED = datetime(2008, 12, 4, 7, 34, tzinfo=UTC)
T0 = FILED.timestamp()
IMMEDIATE, PRIORITY, ROUTINE = Precedence.IMMEDIATE, Precedence.PRIORITY, Precedence.ROUTINE


def cable(cable_id: str, ssn: int, filed: datetime = FILED) -> Cable:
    """A cable from Tokyo filed at `filed`."""
    return Cable(
        id=cable_id,
        station=Station(ri="RUEHKO", ssn=ssn, filed=filed),
        dtg=filed,
        precedence=PrecedencePair(action=IMMEDIATE),
        to=(Addressee(ri="RUEHC", name="SECSTATE WASHDC", precedence=IMMEDIATE),),
    )


def delivery(cable_id: str, post: str, role: str, level: Precedence, niact: bool = False) -> Delivery:
    """One planned delivery."""
    return Delivery(cable_id=cable_id, post=post, role=role, precedence=level, niact=niact)  # type: ignore[arg-type]


LATER = datetime(2008, 12, 6, 10, 0, tzinfo=UTC)


def receipt(
    run: str, cable_id: str, post: str, role: str, level: Precedence, at: float, serial: int, base: float = T0
) -> Receipt:
    """A receipt `at` seconds after `base` (the filing time)."""
    return Receipt(
        run=run,
        cable_id=cable_id,
        post=post,
        role=role,  # type: ignore[arg-type]
        precedence=level,
        channel_serial=serial,
        scheduled_sim=base,
        enqueued_sim=base,
        transmitted_sim=base + at,
        received_sim=base + at,
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A store with an older empty run and a run in which 08TOKYO3310 reached two of three posts."""
    path = tmp_path / "audit.sqlite"
    with AuditStore(path) as store:
        store.start_run("older", "simulate", {})
        run = store.start_run("night", "replay", {"speed": 100})
        store.record_cables(run, [cable("08TOKYO3310", 3310), cable("08TOKYO3311", 3311, LATER)])
        store.record_plans(
            run,
            [
                Plan(
                    cable_id="08TOKYO3310",
                    deliveries=(
                        delivery("08TOKYO3310", "RUEHC", "action", IMMEDIATE, niact=True),
                        delivery("08TOKYO3310", "RUEHFK", "info", PRIORITY),
                        delivery("08TOKYO3310", "RUEHNH", "info", PRIORITY),
                    ),
                    other_means=(OtherMeans(cable_id="08TOKYO3310", name="AMEMBASSY SEOUL", ri="RUEHUL"),),
                    unresolved=(
                        UnresolvedAddressee(
                            cable_id="08TOKYO3310", name="NOWHERE", role="info", reason="unknown address"
                        ),
                    ),
                ),
                Plan(
                    cable_id="08TOKYO3311", deliveries=(delivery("08TOKYO3311", "RUEHFK", "info", ROUTINE),)
                ),
            ],
        )
        store.record_receipts(
            run,
            [
                receipt(run, "08TOKYO3310", "RUEHC", "action", IMMEDIATE, 60.0, 1),
                receipt(run, "08TOKYO3310", "RUEHFK", "info", PRIORITY, 600.0, 1),
                receipt(run, "08TOKYO3310", "RUEHFK", "info", PRIORITY, 600.0, 1),
                receipt(run, "08TOKYO3311", "RUEHFK", "info", ROUTINE, 3000.0, 2, LATER.timestamp()),
            ],
        )
        store.close_missing(run, "not received by the end of the run")
        store.finish_run(run, "ok", {"cables": 2})
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run `cableroute ARGV...`; the exit code, stdout and stderr."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_who_got_json_lists_received_missing_and_unsent(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "who-got", "08TOKYO3310", "--db", str(db), "--json")
    assert code == 0
    answer = json.loads(out)
    assert (answer["id"], answer["run"], answer["planned"]) == ("08TOKYO3310", "night", 3)
    received = {r["post"]: r for r in answer["received"]}
    assert set(received) == {"RUEHC", "RUEHFK"}
    assert received["RUEHC"]["role"] == "action"
    assert received["RUEHC"]["precedence"] == "IMMEDIATE"
    assert received["RUEHC"]["niact"] is False
    assert received["RUEHC"]["latency_s"] == pytest.approx(60.0)
    assert received["RUEHFK"]["latency_s"] == pytest.approx(600.0)
    assert received["RUEHFK"]["duplicates"] == 1
    assert received["RUEHFK"]["channel_serial"] == 1
    assert answer["missing"] == [
        {
            "post": "RUEHNH",
            "name": None,  # this store's run was recorded without post names
            "role": "info",
            "precedence": "PRIORITY",
            "niact": False,
            "reason": "not received by the end of the run",
        }
    ]
    assert [o["name"] for o in answer["other_means"]] == ["AMEMBASSY SEOUL"]
    assert [u["name"] for u in answer["unresolved"]] == ["NOWHERE"]


def test_who_got_human_output_is_plain_text_off_a_terminal(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(capsys, "who-got", "08tokyo3310", "--db", str(db))
    assert code == 0
    assert out.startswith("08TOKYO3310 in run night: IMMEDIATE from RUEHKO")
    assert "3 planned, 2 received, 1 missing" in out
    assert "\x1b[" not in out
    missing_section = out.split("Planned, not received", 1)[1]
    assert "RUEHNH" in missing_section.splitlines()[2]
    assert "AMEMBASSY SEOUL" in out.split("Delivered by other means", 1)[1]


def test_who_got_reads_the_run_asked_for(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "who-got", "08TOKYO3310", "--db", str(db), "--run", "older")
    assert code == 1
    assert "no cable '08TOKYO3310' in run 'older'" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("who-got", "08TOKYO9999"), "no cable '08TOKYO9999'"),
        (("who-got", "08TOKYO3310", "--run", "ghost"), "no run named 'ghost'"),
        (("received", "RUEHZZ"), "RUEHZZ is not a post of run 'night'"),
    ],
)
def test_unknown_names_are_clear_errors(
    db: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    code, out, err = run_cli(capsys, *argv, "--db", str(db))
    assert (code, out) == (1, "")
    assert message in err


@pytest.mark.parametrize("command", [("runs",), ("who-got", "08TOKYO3310"), ("received", "RUEHC")])
def test_a_missing_store_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    absent = tmp_path / "nothing.sqlite"
    code, _, err = run_cli(capsys, *command, "--db", str(absent))
    assert code == 1
    assert f"no audit store at {absent}" in err
    assert not absent.exists()


def test_received_json_one_object_per_cable(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "received", "RUEHFK", "--db", str(db), "--json")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(c["id"], c["precedence"], c["role"]) for c in lines] == [
        ("08TOKYO3310", "PRIORITY", "info"),
        ("08TOKYO3311", "ROUTINE", "info"),
    ]
    assert lines[0]["dtg"] == "2008-12-04T07:34:00Z"
    assert lines[0]["received_at"] == "2008-12-04T07:44:00Z"
    assert {(c["post"], c["post_name"]) for c in lines} == {("RUEHFK", None)}  # no names recorded


def test_received_json_names_the_post_as_recorded_with_the_run(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with AuditStore(db) as store:
        store.record_post_names("night", [("RUEHFK", "AMCONSUL FUKUOKA (AS RECORDED)")])
    code, out, _ = run_cli(capsys, "received", "RUEHFK", "--db", str(db), "--json")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 2
    assert {(c["post"], c["post_name"]) for c in lines} == {("RUEHFK", "AMCONSUL FUKUOKA (AS RECORDED)")}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (("--since", "2008-12-05"), ["08TOKYO3311"]),
        (("--until", "2008-12-04"), ["08TOKYO3310"]),
        (("--since", "2008-12-04T07:40", "--until", "2008-12-04T07:50"), ["08TOKYO3310"]),
        (("--precedence", "routine"), ["08TOKYO3311"]),
        (("--precedence", "P"), ["08TOKYO3310"]),
        (("--precedence", "FLASH"), []),
    ],
)
def test_received_filters(
    db: Path, capsys: pytest.CaptureFixture[str], filters: tuple[str, ...], expected: list[str]
) -> None:
    code, out, _ = run_cli(capsys, "received", "RUEHFK", "--db", str(db), "--json", *filters)
    assert code == 0
    assert [json.loads(line)["id"] for line in out.splitlines()] == expected


def test_received_bad_filters_are_usage_errors(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "received", "RUEHFK", "--db", str(db), "--precedence", "urgent")[0] == 2
    assert run_cli(capsys, "received", "RUEHFK", "--db", str(db), "--since", "yesterday")[0] == 2


def test_received_human_output(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "received", "ruehfk", "--db", str(db))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "RUEHFK AMCONSUL FUKUOKA in run night: 2 cables received"
    assert lines[1].split()[:3] == ["id", "DTG", "(UTC)"]
    assert lines[2].split()[0] == "08TOKYO3310"
    assert "10m 00s" in lines[2]
    assert "50m 00s" in lines[3]


def test_runs_lists_every_run_with_counts(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "runs", "--db", str(db), "--json")
    assert code == 0
    runs = [json.loads(line) for line in out.splitlines()]
    assert [(r["name"], r["mode"], r["status"]) for r in runs] == [
        ("older", "simulate", "running"),
        ("night", "replay", "ok"),
    ]
    assert (runs[1]["cables"], runs[1]["planned"], runs[1]["received"], runs[1]["missing"]) == (2, 4, 3, 1)
    assert runs[1]["options"] == {"speed": 100}
    code, out, _ = run_cli(capsys, "runs", "--db", str(db))
    assert code == 0
    assert out.splitlines()[2].split()[:3] == ["night", "replay", "ok"]
