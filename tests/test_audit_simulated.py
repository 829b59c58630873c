"""End to end: simulate the shared corpus with faults injected, then audit. Each audit must find exactly
what was injected; the expectations are computed here from the store's raw rows, not by the audit."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from pathlib import Path

import pytest

from replay.cli import main
from router import faults
from router.decoder import decode
from router.precedence import SPEED_OF_SERVICE_S, Precedence

pytestmark = [pytest.mark.corpus, pytest.mark.slow]

#: Kinds that describe how a run delivered; the others describe the corpus and are the same in every run.
DELIVERY_KINDS = ("missing", "unexpected", "duplicates", "inversions", "sos", "niact", "channel_gaps")
OBJECTIVE_BY_RANK = {level.rank: SPEED_OF_SERVICE_S[level] for level in Precedence}
NIACT_OBJECTIVE = SPEED_OF_SERVICE_S[Precedence.IMMEDIATE]

LOSSY, LOSSY_SHARE, SEED = "RUEHC", 0.2, 7
OFFLINE = "RUEHKO"
WINDOW_POST, WINDOW = "RUEHC", (1243814400.0, 1244419200.0)  # 2009-06-01 to 2009-06-08 UTC
SLOW_LINK = "0.3"  # characters per second: a cable takes hours, so queues build up on busy circuits
BUSY_MONTH = (2009, 12)


@pytest.fixture(scope="module")
def db(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store holding a clean run and one run per injected fault."""
    path = tmp_path_factory.mktemp("simulated") / "audit.sqlite"
    subset = [str(cable) for cable in sorted(corpus_dir.glob("*.txt")) if _filed_in(cable, BUSY_MONTH)]
    everything = [str(corpus_dir)]
    runs = {
        "clean": [*everything, "--transmissions"],
        "lossy": [*everything, "--lossy", f"{LOSSY}:{LOSSY_SHARE}", "--seed", str(SEED), "--transmissions"],
        "offline": [*everything, "--offline", OFFLINE],
        "window": [
            *everything,
            "--offline",
            f"{WINDOW_POST}@{WINDOW[0]:.0f}-{WINDOW[1]:.0f}",
            "--transmissions",
        ],
        "ordered": [*subset, "--link-rate", SLOW_LINK, "--transmissions"],
        "fifo": [*subset, "--fifo", "--link-rate", SLOW_LINK, "--transmissions"],
        "fifo-receipts": [*subset, "--fifo", "--link-rate", SLOW_LINK],
    }
    for name, args in runs.items():
        assert main(["simulate", *args, "--db", str(path), "--run", name, "--workers", "1", "--json"]) == 0
    return path


def _filed_in(path: Path, month: tuple[int, int]) -> bool:
    """True when the cable's DTG falls in the month."""
    dtg = decode(path.read_text(errors="replace"), str(path)).dtg
    return dtg is not None and (dtg.year, dtg.month) == month


def audit(capsys: pytest.CaptureFixture[str], db: Path, run: str) -> dict:
    """`cableroute audit --json` of one run."""
    capsys.readouterr()
    assert main(["audit", "--db", str(db), "--run", run, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    """Raw rows from the store, read without the audit's code."""
    with sqlite3.connect(db) as connection:
        return connection.execute(sql, params).fetchall()


def sent_rows(db: Path, run: str) -> list[tuple]:
    """(post, cable id, rank, niact, serial, scheduled, enqueued, started, transmitted) per transmission."""
    return rows(
        db,
        "SELECT p.ri, c.cable_id, s.precedence, s.niact, s.channel_serial, s.scheduled_at, s.enqueued_at, "
        "s.started_at, s.transmitted_at FROM sent s JOIN runs r ON r.id = s.run_id "
        "JOIN posts p ON p.id = s.post JOIN cables c ON c.id = s.cable WHERE r.name = ?",
        run,
    )


def planned_to(db: Path, run: str, post: str) -> list[str]:
    """The cable ids planned for one post."""
    found = rows(
        db,
        "SELECT c.cable_id FROM deliveries d JOIN runs r ON r.id = d.run_id JOIN posts p ON p.id = d.post "
        "JOIN cables c ON c.id = d.cable WHERE r.name = ? AND p.ri = ?",
        run,
        post,
    )
    return [cable_id for (cable_id,) in found]


def delivery_findings(report: dict) -> dict[str, int]:
    """The report's delivery kinds."""
    return {kind: report["findings"][kind] for kind in DELIVERY_KINDS}


def corpus_findings(report: dict) -> dict[str, int]:
    """The report's other kinds."""
    return {kind: n for kind, n in report["findings"].items() if kind not in DELIVERY_KINDS}


def test_a_clean_run_has_no_delivery_findings(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = audit(capsys, db, "clean")
    assert delivery_findings(report) == dict.fromkeys(DELIVERY_KINDS, 0)
    planned = rows(
        db, "SELECT count(*) FROM deliveries d JOIN runs r ON r.id = d.run_id WHERE r.name = 'clean'"
    )
    assert report["distribution"]["planned"] == report["distribution"]["received"] == planned[0][0] > 0
    assert report["precedence"]["inversions_from"] == "sent"
    assert main(["audit", "--db", str(db), "--run", "clean", "--fail-on", ",".join(DELIVERY_KINDS)]) == 0


def test_lossy_post_leaves_exactly_its_drops_missing(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean, report = audit(capsys, db, "clean"), audit(capsys, db, "lossy")
    dropped = {c for c in planned_to(db, "lossy", LOSSY) if faults.is_dropped(SEED, c, LOSSY, LOSSY_SHARE)}
    serials = {cable: serial for post, cable, _, _, serial, *_ in sent_rows(db, "lossy") if post == LOSSY}
    last_received = max(serial for cable, serial in serials.items() if cable not in dropped)
    visible = sum(1 for cable in dropped if serials[cable] < last_received)
    assert len(dropped) > 10
    assert delivery_findings(report) == dict.fromkeys(DELIVERY_KINDS, 0) | {
        "missing": len(dropped),
        "channel_gaps": visible,
    }
    assert report["distribution"]["missing_by_post"] == {LOSSY: len(dropped)}
    assert report["distribution"]["missing_by_reason"] == {"dropped (lossy post)": len(dropped)}
    assert {m["id"] for m in report["distribution"]["missing_list"]} == dropped
    assert corpus_findings(report) == corpus_findings(clean)


def test_offline_post_misses_everything_planned_for_it(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean, report = audit(capsys, db, "clean"), audit(capsys, db, "offline")
    planned = planned_to(db, "offline", OFFLINE)
    assert len(planned) > 10
    assert delivery_findings(report) == dict.fromkeys(DELIVERY_KINDS, 0) | {"missing": len(planned)}
    assert report["distribution"]["missing_by_post"] == {OFFLINE: len(planned)}
    assert corpus_findings(report) == corpus_findings(clean)


def test_offline_window_delivers_late_and_nothing_is_lost(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean, report = audit(capsys, db, "clean"), audit(capsys, db, "window")
    start, end = WINDOW
    late = niact_late = held = 0
    for post, _, rank, niact, _, scheduled, _, _, transmitted in sent_rows(db, "window"):
        received = end if post == WINDOW_POST and start <= transmitted < end else transmitted
        held += received != transmitted
        late += received - scheduled > OBJECTIVE_BY_RANK[rank]
        niact_late += bool(niact) and received - scheduled > NIACT_OBJECTIVE
    assert held > 10
    assert late > 0
    assert delivery_findings(report) == dict.fromkeys(DELIVERY_KINDS, 0) | {"sos": late, "niact": niact_late}
    assert report["distribution"]["missing"] == 0
    assert corpus_findings(report) == corpus_findings(clean)


def brute_force_inversions(transmissions: list[tuple]) -> dict[str, int]:
    """Per post, transmissions that started while a higher one enqueued earlier started later (pairwise)."""
    by_post: dict[str, list[tuple[int, float, float]]] = defaultdict(list)
    for post, _, rank, _, _, _, enqueued, started, _ in transmissions:
        by_post[post].append((rank, enqueued, started))
    counts = {}
    for post, circuit in by_post.items():
        n = sum(
            1
            for rank, _, started in circuit
            if any(h_rank > rank and h_enq < started < h_start for h_rank, h_enq, h_start in circuit)
        )
        if n:
            counts[post] = n
    return counts


def test_fifo_under_contention_inverts_exactly_where_higher_traffic_waited(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ordered, fifo = audit(capsys, db, "ordered"), audit(capsys, db, "fifo")
    expected = brute_force_inversions(sent_rows(db, "fifo"))
    assert sum(expected.values()) > 10
    assert fifo["precedence"]["inversions_by_post"] == expected
    assert fifo["precedence"]["inversions"] == sum(expected.values())
    assert brute_force_inversions(sent_rows(db, "ordered")) == {}
    assert ordered["precedence"]["inversions"] == 0
    for report in (ordered, fifo):
        assert report["findings"]["missing"] == report["findings"]["channel_gaps"] == 0
    # Contention: FIFO makes higher precedence wait behind lower, so its worst latency is worse.
    assert (
        fifo["precedence"]["latency"]["IMMEDIATE"]["max_s"]
        > ordered["precedence"]["latency"]["IMMEDIATE"]["max_s"]
    )


def test_inversions_rebuilt_from_receipts_agree_when_nothing_was_lost(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from_sent, from_receipts = audit(capsys, db, "fifo"), audit(capsys, db, "fifo-receipts")
    assert from_receipts["precedence"]["inversions_from"] == "receipts"
    assert from_receipts["precedence"]["inversions_by_post"] == from_sent["precedence"]["inversions_by_post"]
