"""The audit over the shared corpus: station-serial gaps against an independent count."""

from __future__ import annotations

from pathlib import Path

import pytest

from replay.audit.report import build_report
from replay.store.store import AuditStore
from router.decoder import decode
from router.model import Cable

pytestmark = pytest.mark.corpus


def full_serial(cable: Cable) -> int | None:
    """The cable's station serial as the primer describes it: FL3 keeps it modulo 10,000; the banner's
    MRN has all of it."""
    if cable.station is None or cable.station.ssn is None:
        return None
    mrn = cable.banner.mrn if cable.banner is not None else None
    if mrn and mrn.isdigit() and int(mrn) % 10_000 == cable.station.ssn:
        return int(mrn)
    return cable.station.ssn


def count_absent_serials(cables: list[Cable]) -> tuple[int, int]:
    """Serial numbers absent between the lowest and highest of each (station, year), counted one by one;
    and how many (station, year) series have any."""
    seen: dict[tuple[str, int], set[int]] = {}
    for cable in cables:
        serial = full_serial(cable)
        moment = cable.dtg or (cable.station.filed if cable.station else None)
        if serial is None or moment is None or cable.station is None:
            continue
        seen.setdefault((cable.station.ri, moment.year), set()).add(serial)
    absent = 0
    series = 0
    for numbers in seen.values():
        missing = [n for n in range(min(numbers), max(numbers) + 1) if n not in numbers]
        absent += len(missing)
        series += bool(missing)
    return absent, series


@pytest.fixture(scope="module")
def corpus_cables(corpus_dir: Path) -> list[Cable]:
    """Every corpus cable, decoded."""
    return [decode(path.read_text(errors="replace"), str(path)) for path in sorted(corpus_dir.glob("*.txt"))]


def test_station_serial_gaps_match_an_independent_count(corpus_cables: list[Cable], tmp_path: Path) -> None:
    with AuditStore(tmp_path / "audit.sqlite") as store:
        run = store.start_run("corpus", "replay", {})
        store.record_cables(run, corpus_cables)
        store.finish_run(run, "ok", {})
        report = build_report(store, run)
    absent, series = count_absent_serials(corpus_cables)
    assert absent > 0
    assert report.continuity.ssn_gaps == absent
    assert len(report.continuity.ssn_series) == series
