"""The virtual-time simulator: every delivery accounted for, faults, options, and the command."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pytest

import replay.inputs.corpus
import replay.inputs.workers
from replay.cli import main
from replay.cli.synth import write_csv
from replay.engine.simulator import Simulation, SimulationOptions, SimulationSummary
from replay.inputs.corpus import CableText, CsvSlice, ReadError, iter_source_slices, iter_sources
from replay.store.queries import who_got
from replay.store.store import AuditStore
from router.compact import pack, unpack
from router.decoder import decode
from router.faults import is_dropped
from router.learn import learn_topology
from router.planner import plan
from router.synth.corpus import synth_cables
from router.synth.topology import synthetic_topology
from topology.topology import Topology


@pytest.fixture(scope="module")
def topology() -> Topology:
    return synthetic_topology(1)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, topology: Topology) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "synth.csv"
    write_csv(synth_cables(400, seed=1, topology=topology), path)
    return path


def _simulate(
    db: Path,
    corpus: Path | Iterable[CableText | ReadError | CsvSlice],
    topology: Topology,
    options: SimulationOptions | None = None,
    workers: int = 1,
) -> tuple[AuditStore, SimulationSummary]:
    store = AuditStore(db)
    run = store.start_run("sim", "simulate", {})
    items = iter_sources([str(corpus)]) if isinstance(corpus, Path) else corpus
    summary = Simulation(store, run, options or SimulationOptions(), workers=workers).run(
        items, lambda cables: topology
    )
    store.finish_run(run, "ok", {})
    return store, summary


def _rows(store: AuditStore, sql: str) -> list[tuple]:
    return store.connection.execute(sql).fetchall()


def _pairs(store: AuditStore, table: str) -> set[tuple[str, str]]:
    sql = (
        f"SELECT c.cable_id, p.ri FROM {table} AS t JOIN cables AS c ON c.id = t.cable "
        "JOIN posts AS p ON p.id = t.post"
    )
    return set(_rows(store, sql))


def _expected(corpus: Path, topology: Topology) -> set[tuple[str, str]]:
    cables = [decode(item.text, item.source) for item in iter_sources([str(corpus)])]
    return {(d.cable_id, d.post) for cable in cables for d in plan(cable, topology).deliveries}


def test_every_planned_delivery_is_received_once(tmp_path: Path, corpus: Path, topology: Topology) -> None:
    store, summary = _simulate(tmp_path / "a.sqlite", corpus, topology)
    expected = _expected(corpus, topology)
    assert summary.cables == 400
    assert summary.planned == summary.received == summary.transmitted == len(expected)
    assert summary.missing == summary.dropped == 0
    assert _pairs(store, "deliveries") == expected
    assert _pairs(store, "receipts") == expected
    assert _rows(store, "SELECT count(*) FROM receipts WHERE duplicates > 0") == [(0,)]
    assert _rows(store, "SELECT count(*) FROM cables WHERE recorded = 1") == [(400,)]


def test_summary_names_the_time_of_each_stage(tmp_path: Path, corpus: Path, topology: Topology) -> None:
    _, summary = _simulate(tmp_path / "a.sqlite", corpus, topology)
    assert list(summary.stages) == ["read", "plan", "network", "store", "order", "finish"]
    assert all(seconds >= 0 for seconds in summary.stages.values())
    assert sum(summary.stages.values()) <= summary.wall_s


def test_channel_serials_run_from_one_per_post(tmp_path: Path, corpus: Path, topology: Topology) -> None:
    store, _ = _simulate(tmp_path / "a.sqlite", corpus, topology)
    for count, low, high, distinct in _rows(
        store,
        "SELECT count(*), min(channel_serial), max(channel_serial), count(DISTINCT channel_serial) "
        "FROM receipts GROUP BY post",
    ):
        assert (low, high, distinct) == (1, count, count)


def test_two_workers_give_the_same_run(tmp_path: Path, corpus: Path, topology: Topology) -> None:
    columns = "c.cable_id, p.ri, r.channel_serial, r.received_sim"
    sql = (
        f"SELECT {columns} FROM receipts AS r JOIN cables AS c ON c.id = r.cable "
        "JOIN posts AS p ON p.id = r.post ORDER BY 1, 2"
    )
    one, _ = _simulate(tmp_path / "one.sqlite", corpus, topology, workers=1)
    two, _ = _simulate(tmp_path / "two.sqlite", corpus, topology, workers=2)
    assert _rows(one, sql) == _rows(two, sql)


def test_csv_slices_on_two_workers_give_the_same_run(
    tmp_path: Path, corpus: Path, topology: Topology, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replay.inputs.corpus, "SLICE_ROWS", 30)
    sql = (
        "SELECT c.cable_id, c.source, p.ri, r.channel_serial, r.received_sim FROM receipts AS r "
        "JOIN cables AS c ON c.id = r.cable JOIN posts AS p ON p.id = r.post ORDER BY 1, 3"
    )
    rows, _ = _simulate(tmp_path / "rows.sqlite", corpus, topology, workers=1)
    items = list(iter_source_slices([str(corpus)]))
    assert sum(isinstance(item, CsvSlice) for item in items) == 14
    sliced, summary = _simulate(tmp_path / "sliced.sqlite", items, topology, workers=2)
    assert summary.cables == 400 and summary.read_errors == 0
    assert _rows(rows, sql) == _rows(sliced, sql)


def test_lossy_post_drops_exactly_the_chosen_deliveries(
    tmp_path: Path, corpus: Path, topology: Topology
) -> None:
    options = SimulationOptions(lossy={"RUEHC": 0.3}, seed=5)
    store, summary = _simulate(tmp_path / "a.sqlite", corpus, topology, options)
    expected = _expected(corpus, topology)
    chosen = {(c, p) for c, p in expected if p == "RUEHC" and is_dropped(5, c, p, 0.3)}
    assert chosen
    assert _pairs(store, "drops") == chosen
    assert _pairs(store, "missing") == chosen
    assert _pairs(store, "receipts") == expected - chosen
    assert summary.dropped == summary.missing == len(chosen)
    reasons = {reason for (reason,) in _rows(store, "SELECT reason FROM missing")}
    assert reasons == {"dropped (lossy post)"}


def test_offline_window_delivers_at_its_end(tmp_path: Path, corpus: Path, topology: Topology) -> None:
    first = _simulate(tmp_path / "probe.sqlite", corpus, topology)[0]
    times = sorted(t for (t,) in _rows(first, "SELECT transmitted_sim FROM receipts"))
    start, end = times[len(times) // 3], times[2 * len(times) // 3]
    options = SimulationOptions(offline={"RUEHC": [(start, end)]})
    store, summary = _simulate(tmp_path / "a.sqlite", corpus, topology, options)
    assert summary.missing == 0
    late = _rows(
        store,
        "SELECT transmitted_sim, received_sim FROM receipts AS r JOIN posts AS p ON p.id = r.post "
        f"WHERE p.ri = 'RUEHC' AND transmitted_sim >= {start} AND transmitted_sim < {end}",
    )
    assert late
    assert all(received == end for _, received in late)
    others = _rows(store, "SELECT count(*) FROM receipts WHERE received_sim != transmitted_sim")
    assert others == [(len(late),)]


def test_offline_for_good_leaves_the_post_missing(tmp_path: Path, corpus: Path, topology: Topology) -> None:
    options = SimulationOptions(offline={"RUEHC": None})
    store, summary = _simulate(tmp_path / "a.sqlite", corpus, topology, options)
    expected = _expected(corpus, topology)
    to_state = {(c, p) for c, p in expected if p == "RUEHC"}
    assert to_state
    assert _pairs(store, "missing") == to_state
    assert summary.missing == len(to_state)
    assert summary.received == len(expected) - len(to_state)


def test_outage_holds_traffic_until_the_link_is_back(
    tmp_path: Path, corpus: Path, topology: Topology
) -> None:
    first = _simulate(tmp_path / "probe.sqlite", corpus, topology)[0]
    times = sorted(t for (t,) in _rows(first, "SELECT transmitted_sim FROM receipts"))
    start, end = times[len(times) // 4], times[len(times) // 2]
    options = SimulationOptions(outages={"RUEHC": [(start, end)]})
    store, summary = _simulate(tmp_path / "a.sqlite", corpus, topology, options)
    assert summary.missing == 0
    during = _rows(
        store,
        "SELECT count(*) FROM receipts AS r JOIN posts AS p ON p.id = r.post "
        f"WHERE p.ri = 'RUEHC' AND transmitted_sim > {start} AND transmitted_sim < {end}",
    )
    assert during == [(0,)]


def test_slow_links_queue_and_fifo_changes_the_order(
    tmp_path: Path, corpus: Path, topology: Topology
) -> None:
    slow = SimulationOptions(default_cps=0.002)  # a cable takes weeks: queues form
    store, _ = _simulate(tmp_path / "slow.sqlite", corpus, topology, slow)
    waited = _rows(store, "SELECT count(*) FROM receipts WHERE transmitted_sim > enqueued_sim + 3600 * 24")
    assert waited[0][0] > 0
    fifo = SimulationOptions(default_cps=0.002, fifo=True)
    fifo_store, _ = _simulate(tmp_path / "fifo.sqlite", corpus, topology, fifo)
    order = (
        "SELECT cable FROM receipts WHERE post = (SELECT id FROM posts WHERE ri = 'RUEHC') "
        "ORDER BY channel_serial"
    )
    by_level = [c for (c,) in _rows(store, order)]
    by_arrival = [c for (c,) in _rows(fifo_store, order)]
    assert sorted(by_level) == sorted(by_arrival)
    assert by_level != by_arrival


def test_read_errors_and_duplicates_are_counted(tmp_path: Path, topology: Topology) -> None:
    cables = list(synth_cables(5, seed=2, topology=topology))
    items: list[CableText | ReadError] = [CableText(f"{c.id}.txt", c.text) for c in cables]
    items.insert(2, ReadError("broken.txt", "no such file"))
    items.append(CableText("copy.txt", cables[0].text))
    _, summary = _simulate(tmp_path / "a.sqlite", items, topology)
    assert (summary.cables, summary.read_errors, summary.duplicate_ids) == (5, 1, 1)
    assert summary.received == summary.planned > 0


def test_cables_are_recorded_in_input_order_whatever_the_workers(
    tmp_path: Path, corpus: Path, topology: Topology, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replay.inputs.workers, "CHUNK", 7)
    items = list(iter_sources([str(corpus)]))
    copies = [CableText(f"copy-{n}.txt", item.text) for n, item in enumerate(items[::50])]
    store, summary = _simulate(tmp_path / "a.sqlite", [*items, *copies], topology, workers=2)
    assert summary.duplicate_ids == len(copies) == 8
    recorded = _rows(store, "SELECT source FROM cables ORDER BY id")
    assert recorded == [(item.source,) for item in items]


def test_cables_without_a_time_go_last(tmp_path: Path, topology: Topology) -> None:
    timed = next(iter(synth_cables(1, seed=2, topology=topology)))
    untimed = "FM AMEMBASSY LONDON\nTO SECSTATE WASHDC\n\nUNCLAS LONDON 000077\n\nSUBJECT: NO DATE\n"
    items = [CableText("untimed.txt", untimed), CableText("timed.txt", timed.text)]
    store, summary = _simulate(tmp_path / "a.sqlite", items, topology)
    assert summary.untimed == 1
    received = dict(
        _rows(store, "SELECT c.source, r.received_sim FROM receipts r JOIN cables c ON c.id = r.cable")
    )
    assert received["untimed.txt"] >= received["timed.txt"]


def test_pack_keeps_what_planning_and_learning_need(corpus: Path, topology: Topology) -> None:
    cables = [decode(item.text, item.source) for item in iter_sources([str(corpus)])]
    packed = [unpack(pack(cable)) for cable in cables]
    assert [plan(c, topology) for c in cables] == [plan(c, topology) for c in packed]
    learned, relearned = learn_topology(cables), learn_topology(packed)
    assert dict(learned.posts) == dict(relearned.posts)
    assert dict(learned.collectives) == dict(relearned.collectives)
    assert [c.size for c in cables] == [c.size for c in packed]


def test_simulate_command_on_the_examples(
    tmp_path: Path, examples_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "audit.sqlite"
    code = main(["simulate", str(examples_dir), "--db", str(db), "--run", "ex", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["cables"] == 2
    assert summary["missing"] == 0
    with AuditStore(db) as store:
        answer = who_got(store, "ex", "08TOKYO3310")
    received = {r.post for r in answer.received}
    assert {"RUEHC", "RUEHFK", "RUEHNH", "RUEHOK", "RUEHKSO", "RUEHGV", "RUCNDT"} <= received
    assert "RUEHKO" not in received
    assert answer.missing == []


def test_simulate_command_options(
    tmp_path: Path, examples_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "audit.sqlite"
    args = [
        "simulate",
        str(examples_dir),
        "--db",
        str(db),
        "--run",
        "faults",
        "--link-rate",
        "50",
        "--link-rate",
        "RUEHC:10",
        "--outage",
        "RUEHFK@2008-12-04T07:00Z-2008-12-04T09:00Z",
        "--offline",
        "RUEHGV",
        "--lossy",
        "RUCNDT:1",
        "--fifo",
        "--transmissions",
        "--json",
    ]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    # RUEHGV (offline) has 08TOKYO3310; RUCNDT (drops everything) has both cables
    assert summary["missing"] == 3
    assert summary["dropped"] == 2
    with AuditStore(db) as store:
        answer = who_got(store, "faults", "08TOKYO3310")
        sent = store.connection.execute("SELECT count(*) FROM sent").fetchone()[0]
    assert {m.post for m in answer.missing} == {"RUEHGV", "RUCNDT"}
    fukuoka = next(r for r in answer.received if r.post == "RUEHFK")
    assert fukuoka.latency_s is not None and fukuoka.latency_s >= 3600
    assert sent == summary["transmitted"]


@pytest.mark.parametrize(
    "bad",
    [
        ["--link-rate", "fast"],
        ["--link-rate", "RUEHC:-1"],
        ["--outage", "RUEHC"],
        ["--outage", "RUEHC@later-sooner"],
        ["--lossy", "RUEHC:2"],
        ["--offline", "RUEHC@2008-12-04T09:00Z-2008-12-04T07:00Z"],
    ],
)
def test_simulate_command_usage_errors(tmp_path: Path, examples_dir: Path, bad: list[str]) -> None:
    assert main(["simulate", str(examples_dir), "--db", str(tmp_path / "a.sqlite"), *bad]) == 2


def test_simulate_command_reports_unreadable_inputs(tmp_path: Path, examples_dir: Path) -> None:
    db = tmp_path / "a.sqlite"
    assert main(["simulate", str(examples_dir), str(tmp_path / "absent.txt"), "--db", str(db)]) == 1
    with AuditStore(db) as store:
        assert store.connection.execute("SELECT count(*) FROM receipts").fetchone()[0] > 0
