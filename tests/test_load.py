"""Dense corpora and load what-ifs: queues form, and precedence handling shows against `--fifo`."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from replay.cli import main
from replay.inputs.corpus import iter_sources
from router.decoder import decode
from router.load import LoadClock, parse_load

COUNT = 2000
LINK_RATE = "10"  # characters per second: a typical cable takes several minutes


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same 2,000 cables (same seed) written into one day, and over the default six years."""
    folder = tmp_path_factory.mktemp("load")
    made = {
        "topology": folder / "topology.toml",
        "dense": folder / "dense.csv",
        "sparse": folder / "sparse.csv",
    }
    common = ["synth", "--count", str(COUNT), "--seed", "3", "--synthetic-topology"]
    window = ["--start", "2008-06-01", "--end", "2008-06-02"]
    assert main([*common, *window, "--topology-out", str(made["topology"]), "-o", str(made["dense"])]) == 0
    assert main([*common, "-o", str(made["sparse"])]) == 0
    return made


def _json_out(capsys: pytest.CaptureFixture[str]) -> dict:
    """The last line printed, as JSON."""
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def _run(
    capsys: pytest.CaptureFixture[str],
    corpora: dict[str, Path],
    db: Path,
    name: str,
    corpus: str,
    *options: str,
) -> tuple[dict, dict]:
    """Simulate one corpus with options, then audit it: (simulation summary, audit report)."""
    args = [str(corpora[corpus]), "--topology", str(corpora["topology"]), "--link-rate", LINK_RATE]
    common = ["--db", str(db), "--run", name]
    assert main(["simulate", *args, *options, *common, "--workers", "1", "--json"]) == 0
    summary = _json_out(capsys)
    assert main(["audit", *common, "--json"]) == 0
    return summary, _json_out(capsys)


def _p50(report: dict, level: str) -> float:
    return report["precedence"]["latency"][level]["p50_s"]


def _p95(report: dict, level: str) -> float:
    return report["precedence"]["latency"][level]["p95_s"]


def test_synth_window_puts_every_cable_inside_it(corpora: dict[str, Path]) -> None:
    start = datetime(2008, 6, 1, tzinfo=UTC)
    end = datetime(2008, 6, 2, tzinfo=UTC)
    times = [decode(item.text, item.source).dtg for item in iter_sources([str(corpora["dense"])])]
    assert len(times) == COUNT
    assert all(t is not None and start <= t < end for t in times)
    hours = {t.hour for t in times if t is not None}
    assert len(hours) == 24  # spread over the window, not piled at one end


@pytest.mark.parametrize(
    "window",
    [
        ["--start", "2008-06-01"],
        ["--end", "2008-06-01"],
        ["--start", "2008-06-02", "--end", "2008-06-01"],
        ["--start", "2008-06-01", "--end", "2008-06-01"],
    ],
)
def test_synth_window_usage_errors(tmp_path: Path, window: list[str]) -> None:
    assert main(["synth", "--count", "3", *window, "-o", str(tmp_path / "x.csv")]) == 2
    assert not (tmp_path / "x.csv").exists()


def test_synth_window_rejects_a_time_that_is_not_one(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["synth", "--count", "3", "--start", "June", "--end", "2008-06-01", "-o", str(tmp_path / "x")])
    assert exit_info.value.code == 2


def test_dense_corpus_contends_and_precedence_beats_fifo(
    corpora: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "audit.sqlite"
    ordered_summary, ordered = _run(capsys, corpora, db, "ordered", "dense")
    _, fifo = _run(capsys, corpora, db, "fifo", "dense", "--fifo")
    # Queues formed: higher traffic interrupted lower traffic, and some traffic waited for hours.
    assert ordered_summary["interrupted"] > 0
    assert _p95(ordered, "ROUTINE") > 6 * 3600
    # Precedence handling: no inversion; FIFO inverts, and the high levels wait longer under it.
    assert ordered["precedence"]["inversions"] == 0
    assert fifo["precedence"]["inversions"] > 100
    for level in ("FLASH", "IMMEDIATE"):
        assert _p50(ordered, level) < _p50(fifo, level)
        assert _p95(ordered, level) < _p95(fifo, level)
    # The price: ROUTINE waits longer behind the higher levels.
    assert _p95(ordered, "ROUTINE") > _p95(fifo, "ROUTINE")
    # Per circuit: worst first, the preemptions add up, the busiest carry their queue over time.
    circuits = ordered["circuits"]["circuits"]
    assert ordered["circuits"]["recorded"] and len(circuits) > 100
    peaks = [c["peak_queue"] for c in circuits]
    assert peaks == sorted(peaks, reverse=True) and peaks[0] > 100
    assert sum(c["interrupted"] for c in circuits) == ordered_summary["interrupted"]
    assert sum(c["transmitted"] for c in circuits) == ordered_summary["transmitted"]
    assert all(0 < c["utilisation"] <= 1 for c in circuits)
    worst = circuits[0]
    assert max(n for _, n in worst["depth"]) == worst["peak_queue"]
    assert worst["longest_wait"]["ROUTINE"] > worst["longest_wait"]["IMMEDIATE"]
    assert all(not c["depth"] for c in circuits[5:])
    fifo_circuits = fifo["circuits"]["circuits"]
    assert sum(c["preemptions"] for c in fifo_circuits) == 0
    fifo_worst = next(c for c in fifo_circuits if c["post"] == worst["post"])
    assert fifo_worst["longest_wait"]["IMMEDIATE"] > worst["longest_wait"]["IMMEDIATE"]


def test_load_factor_makes_a_sparse_corpus_contend(
    corpora: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "audit.sqlite"
    calm_summary, calm = _run(capsys, corpora, db, "calm", "sparse")
    calm_fifo_summary, calm_fifo = _run(capsys, corpora, db, "calm-fifo", "sparse", "--fifo")
    busy_summary, busy = _run(capsys, corpora, db, "busy", "sparse", "--load", "2000")
    _, busy_fifo = _run(capsys, corpora, db, "busy-fifo", "sparse", "--load", "2000", "--fifo")
    # At the corpus's own rate no queue forms: precedence and FIFO give the same latencies.
    assert calm_summary["interrupted"] == 0
    assert calm_fifo["precedence"]["inversions"] == 0
    assert calm["precedence"]["latency"] == calm_fifo["precedence"]["latency"]
    # At 2000 times the rate queues form, and FIFO inverts where precedence does not.
    assert busy_summary["interrupted"] > 0
    assert busy["precedence"]["inversions"] == 0
    assert busy_fifo["precedence"]["inversions"] > 100
    assert _p50(busy, "IMMEDIATE") < _p50(busy_fifo, "IMMEDIATE")
    # The audit says which load the run was at; the corpus and its deliveries are the same.
    assert (calm["load"], busy["load"]) == (1.0, 2000.0)
    assert busy_summary["planned"] == calm_summary["planned"] == calm_fifo_summary["planned"]
    # Times between cables shrank by the factor around the first cable's time.
    spans = {}
    for name in ("calm", "busy"):
        with sqlite3.connect(db) as connection:
            spans[name] = connection.execute(
                "SELECT max(scheduled_sim) - min(scheduled_sim), min(scheduled_sim) FROM receipts "
                "JOIN runs ON runs.id = receipts.run_id WHERE runs.name = ?",
                (name,),
            ).fetchone()
    assert spans["busy"][0] == pytest.approx(spans["calm"][0] / 2000, rel=1e-6)
    assert spans["busy"][1] == spans["calm"][1]
    assert busy_summary["first_time"] == calm_summary["first_time"]


def test_load_clock_keeps_the_first_time_and_shrinks_the_gaps() -> None:
    clock = LoadClock(4.0)
    assert clock(1000.0) == 1000.0
    assert clock(1400.0) == 1100.0
    assert clock(1000.0 + 4 * 86_400) == 1000.0 + 86_400
    same = LoadClock()
    assert [same(t) for t in (5.0, 7.5, 100.0)] == [5.0, 7.5, 100.0]
    with pytest.raises(ValueError):
        LoadClock(0.0)


@pytest.mark.parametrize("text", ["0", "-2", "abc", "inf", "nan"])
def test_load_option_rejects_what_is_not_a_positive_factor(text: str) -> None:
    with pytest.raises(ValueError, match="--load"):
        parse_load(text)


def test_load_option_usage_error(tmp_path: Path, examples_dir: Path) -> None:
    args = ["simulate", str(examples_dir), "--db", str(tmp_path / "a.sqlite"), "--load", "0"]
    assert main(args) == 2
    assert parse_load("0.5") == 0.5
