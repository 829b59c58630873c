"""`cableroute audit` over hand-built stores where every finding is known; its HTML page in Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from replay.audit.html import render_html
from replay.audit.report import FINDING_KINDS, build_report
from replay.cli import main
from replay.store.receipt import Receipt
from replay.store.store import AuditStore
from router.deliveries import Delivery, OtherMeans, Plan, Sent
from router.model import Addressee, Banner, Cable, PrecedencePair, Routing, Security, Station
from router.precedence import Precedence

T0 = datetime(2008, 12, 4, 7, 0, tzinfo=UTC).timestamp()
ROUTINE, PRIORITY, IMMEDIATE = Precedence.ROUTINE, Precedence.PRIORITY, Precedence.IMMEDIATE
POSTS = ("RUEHC", "RUEHFK")


def cable(ssn: int, level: Precedence, at: float, banner_classification: str = "CONFIDENTIAL") -> Cable:
    """A consistent cable from Tokyo with serial `ssn`, filed `at` seconds after T0, to both posts."""
    filed = datetime.fromtimestamp(T0 + at, UTC)
    return Cable(
        id=f"08TOKYO{ssn}",
        routing=Routing(precedence=level),
        station=Station(ri="RUEHKO", ssn=ssn, filed=filed),
        security=Security(prosign="ZNY", classification="CONFIDENTIAL"),
        precedence=PrecedencePair(action=level),
        dtg=filed,
        to=(Addressee(ri="RUEHC", name="SECSTATE WASHDC", precedence=level, mcn=f"{ssn:04d}"),),
        info=(Addressee(ri="RUEHFK", name="AMCONSUL FUKUOKA", precedence=level),),
        banner=Banner(classification=banner_classification, origin="TOKYO", mrn=f"{ssn:06d}"),
        size=1000,
    )


def plan_for(c: Cable) -> Plan:
    """Both posts, action and info, at the cable's level."""
    level = c.precedence.action or ROUTINE
    cable_id = c.id or ""
    return Plan(
        cable_id=cable_id,
        deliveries=tuple(
            Delivery(cable_id=cable_id, post=post, role="action" if i == 0 else "info", precedence=level)
            for i, post in enumerate(POSTS)
        ),
    )


def transmit(
    run: str, c: Cable, post: str, serial: int, enqueued: float, started: float, done: float
) -> tuple[Sent, Receipt]:
    """A transmission on `post`'s circuit and the receipt it makes."""
    level = c.precedence.action or ROUTINE
    cable_id = c.id or ""
    role = "action" if post == "RUEHC" else "info"
    sent = Sent(
        cable_id=cable_id,
        post=post,
        role=role,
        precedence=level,
        niact=False,
        channel_serial=serial,
        chars=1000,
        scheduled_at=T0 + enqueued,
        enqueued_at=T0 + enqueued,
        started_at=T0 + started,
        transmitted_at=T0 + done,
    )
    receipt = Receipt(
        run=run,
        cable_id=cable_id,
        post=post,
        role=role,
        precedence=level,
        channel_serial=serial,
        scheduled_sim=T0 + enqueued,
        enqueued_sim=T0 + enqueued,
        transmitted_sim=T0 + done,
        received_sim=T0 + done,
    )
    return sent, receipt


def record_clean(store: AuditStore) -> str:
    """Three cables, each sent to both posts in precedence order and received once."""
    run = store.start_run("clean", "simulate", {})
    cables = [cable(1, ROUTINE, 0), cable(2, PRIORITY, 5), cable(3, IMMEDIATE, 6)]
    store.record_cables(run, cables)
    store.record_plans(run, [plan_for(c) for c in cables])
    pairs = []
    for post in POSTS:
        # cable 1 sends 0-10; 3 (IMMEDIATE) waited from 6, goes next; then 2 (PRIORITY).
        pairs += [
            transmit(run, cables[0], post, 1, 0, 0, 10),
            transmit(run, cables[2], post, 2, 6, 10, 20),
            transmit(run, cables[1], post, 3, 5, 20, 30),
        ]
    store.record_sent(run, [s for s, _ in pairs])
    store.record_receipts(run, [r for _, r in pairs])
    assert store.close_missing(run, "not received") == 0
    store.finish_run(run, "ok", {})
    return run


def record_faulty(store: AuditStore) -> str:
    """Five cables with one of each injected fault (see the assertions)."""
    run = store.start_run("faulty", "simulate", {})
    cables = [
        cable(1, ROUTINE, 0),
        cable(2, ROUTINE, 1),
        cable(3, PRIORITY, 2),
        cable(5, ROUTINE, 3, banner_classification="SECRET"),  # serial 4 absent; FL4 vs banner
        cable(6, ROUTINE, 4),
    ]
    store.record_cables(run, cables)
    store.record_plans(
        run,
        [
            *[plan_for(c) for c in cables],
            Plan(cable_id="08TOKYO1", other_means=(OtherMeans(cable_id="08TOKYO1", name="AMEMBASSY SEOUL"),)),
        ],
    )
    c1, c2, c3, c5, c6 = cables
    # RUEHC, first in first out: c2 starts at 10 while PRIORITY c3 waits since 2 -> one inversion.
    # c6 is received 7 hours after filing -> one ROUTINE over the 6-hour objective.
    on_c = [
        transmit(run, c1, "RUEHC", 1, 0, 0, 10),
        transmit(run, c2, "RUEHC", 2, 1, 10, 20),
        transmit(run, c3, "RUEHC", 3, 2, 20, 30),
        transmit(run, c5, "RUEHC", 4, 3, 30, 40),
        transmit(run, c6, "RUEHC", 5, 4, 7 * 3600, 7 * 3600 + 4),
    ]
    # RUEHFK, in precedence order; it drops c2 (serial 3: a channel gap) and never gets c6 (serial 5,
    # past the last serial it saw: missing, but no visible gap).
    on_fk = [
        transmit(run, c1, "RUEHFK", 1, 0, 0, 10),
        transmit(run, c3, "RUEHFK", 2, 2, 10, 20),
        transmit(run, c2, "RUEHFK", 3, 1, 20, 30),
        transmit(run, c5, "RUEHFK", 4, 3, 30, 40),
        transmit(run, c6, "RUEHFK", 5, 4, 40, 50),
    ]
    store.record_sent(run, [s for s, _ in on_c + on_fk])
    receipts = [r for _, r in on_c] + [r for _, r in on_fk if r.cable_id not in ("08TOKYO2", "08TOKYO6")]
    store.record_receipts(run, receipts)
    store.record_receipts(run, [on_c[0][1]])  # a QoS 1 redelivery: one duplicate
    stray = on_c[0][1]
    store.record_receipts(
        run,
        [
            Receipt(
                **{name: getattr(stray, name) for name in stray.__struct_fields__}
                | {"post": "RUEHNH", "channel_serial": 1}
            )
        ],
    )
    store.record_drops(run, [("08TOKYO2", "RUEHFK")])
    assert store.close_missing(run, "not received (post offline)") == 2
    store.finish_run(run, "ok", {})
    return run


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A store with the clean run, then the faulty run (the latest)."""
    path = tmp_path / "audit.sqlite"
    with AuditStore(path) as store:
        record_clean(store)
        record_faulty(store)
    return path


def audit_json(capsys: pytest.CaptureFixture[str], db: Path, *argv: str) -> tuple[int, dict]:
    """Run `audit --json`; the exit code and the report."""
    code = main(["audit", "--db", str(db), "--json", *argv])
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 1
    return code, json.loads(out)


def test_a_clean_run_has_no_findings(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = audit_json(capsys, db, "--run", "clean", "--fail-on", "all")
    assert code == 0
    assert report["findings"] == dict.fromkeys(FINDING_KINDS, 0)
    assert report["distribution"]["planned"] == report["distribution"]["received"] == 6
    assert report["precedence"]["inversions_from"] == "sent"


def test_each_injected_fault_is_found_exactly(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = audit_json(capsys, db)
    assert code == 0
    assert report["run"] == "faulty"
    expected = dict.fromkeys(FINDING_KINDS, 0) | {
        "missing": 2,
        "unexpected": 1,
        "duplicates": 1,
        "inversions": 1,
        "sos": 1,
        "ssn_gaps": 1,
        "mcn_gaps": 1,
        "channel_gaps": 1,
        "fl4_vs_banner": 1,
    }
    assert report["findings"] == expected
    dist = report["distribution"]
    assert (dist["cables"], dist["planned"], dist["received"], dist["other_means"]) == (5, 10, 8, 1)
    assert dist["missing_by_post"] == {"RUEHFK": 2}
    assert dist["missing_by_reason"] == {"dropped (lossy post)": 1, "not received (post offline)": 1}
    prec = report["precedence"]
    assert prec["inversions_by_post"] == {"RUEHC": 1}
    assert [(i["id"], i["waiting_id"]) for i in prec["inversion_list"]] == [("08TOKYO2", "08TOKYO3")]
    routine = prec["latency"]["ROUTINE"]
    assert (routine["n"], routine["objective_s"], routine["met_ratio"]) == (7, 21600, 6 / 7)
    assert routine["max_s"] == pytest.approx(7 * 3600 + 4 - 4)
    cont = report["continuity"]
    assert [g["ranges"] for g in cont["ssn_series"]] == [[[4, 4]]]
    assert [g["series"] for g in cont["channel_series"]] == [{"post": "RUEHFK"}]
    assert report["consistency"] == {
        "dtg_vs_filing": 0,
        "fl4_vs_banner": 1,
        "fl2_precedence": 0,
        "fl5_precedence": 0,
        "id_vs_mrn": 0,
    }


@pytest.mark.parametrize(
    ("fail_on", "code"),
    [
        ("missing", 1),
        ("inversions,sos", 1),
        ("niact,fl2_precedence", 0),
        ("MCN-gaps", 1),
        ("all", 1),
        ("", 0),
    ],
)
def test_fail_on(db: Path, capsys: pytest.CaptureFixture[str], fail_on: str, code: int) -> None:
    assert main(["audit", "--db", str(db), "--fail-on", fail_on]) == code
    err = capsys.readouterr().err
    assert ("findings present" in err) == bool(code)


def test_fail_on_an_unknown_kind_is_a_usage_error(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--db", str(db), "--fail-on", "missing,typos"]) == 2
    assert "unknown finding kind(s) typos" in capsys.readouterr().err


def test_human_report(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Audit of run faulty (simulate, ok)")
    assert "Distribution: 5 cables, 10 planned deliveries, 8 received, 2 missing, 1 duplicates" in out
    assert "Precedence: 1 inversions (from sent), 1 deliveries over the speed-of-service objective" in out
    assert "fl4_vs_banner  08TOKYO5  FL4 CONFIDENTIAL, banner SECRET" in out
    findings, corpus = out.rstrip().splitlines()[-2:]
    assert findings.startswith("Findings: ") and findings.endswith("fl4_vs_banner 1")
    assert "ssn_gaps" not in findings
    assert (
        corpus == "Corpus gaps (cables absent from the input, the same in every run): ssn_gaps 1, mcn_gaps 1"
    )


def test_missing_store_and_run_are_clear_errors(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "--db", str(tmp_path / "none.sqlite")]) == 1
    assert "no audit store" in capsys.readouterr().err
    assert main(["audit", "--db", str(db), "--run", "ghost"]) == 1
    assert "no run named 'ghost'" in capsys.readouterr().err


def test_a_run_still_going_is_audited_with_pending_deliveries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "audit.sqlite"
    with AuditStore(path) as store:
        run = store.start_run("live", "replay", {})
        c = cable(1, ROUTINE, 0)
        store.record_cables(run, [c])
        store.record_plans(run, [plan_for(c)])
        store.record_receipts(run, [transmit(run, c, "RUEHC", 1, 0, 0, 10)[1]])
        code, report = audit_json(capsys, path)
    assert code == 0
    assert report["status"] == "running"
    assert report["distribution"]["missing_by_reason"] == {"not received yet (the run is still going)": 1}
    assert report["precedence"]["inversions_from"] == "receipts"


def chromium() -> str | None:
    """The Chromium executable, if installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def load_in_chromium(page: Path, profile: Path) -> tuple[str, str]:
    """Load a page in headless Chromium; its DOM after scripts ran, and Chromium's log."""
    browser = chromium()
    if browser is None:
        pytest.skip("chromium is not installed (make test installs it: apt-get install chromium)")
    result = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=2000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout, result.stderr


def page_errors(log: str) -> list[str]:
    """Console errors and uncaught exceptions the page produced, from Chromium's log."""
    return [line for line in log.splitlines() if "CONSOLE" in line or "Uncaught" in line]


@pytest.mark.slow
def test_html_report_renders_in_chromium_without_errors(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "audit.html"
    assert main(["audit", "--db", str(db), "--html", str(page)]) == 0
    capsys.readouterr()
    html = page.read_text()
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html
    dom, log = load_in_chromium(page, tmp_path / "profile")
    assert 'data-rendered="ok"' in dom
    assert "data-script-error=" not in dom
    assert page_errors(log) == []
    assert dom.count("<svg") == 2
    assert "08TOKYO2" in dom  # the inversion and the dropped delivery are listed
    assert ">RUEHFK<" in dom


@pytest.mark.slow
def test_the_chromium_check_notices_a_broken_script(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    with AuditStore(tmp_path / "audit.sqlite") as store:
        report = build_report(store, record_clean(store), with_timeline=True)
    html = render_html(report).replace('setAttribute("data-rendered", "ok")', "undefinedFunction()")
    page.write_text(html)
    dom, log = load_in_chromium(page, tmp_path / "profile")
    assert 'data-rendered="ok"' not in dom
    assert "data-script-error=" in dom
    assert page_errors(log) != []


def test_the_two_process_audit_reports_the_same(db: Path) -> None:
    with AuditStore(db, create=False) as store:
        alone = build_report(store, "faulty", parallel=False)
        shared = build_report(store, "faulty", parallel=True)
    assert msgspec.json.encode(shared) == msgspec.json.encode(alone)


@pytest.mark.parametrize(
    "helper",
    ["raise SystemExit(3)", "import sys; sys.stdout.buffer.write(bytes([0x94, 0x01]))"],
    ids=["exits-with-an-error", "output-cut-short"],
)
def test_a_failed_helper_process_is_replaced_by_doing_its_part_here(
    db: Path, monkeypatch: pytest.MonkeyPatch, helper: str
) -> None:
    from replay.audit import worker

    def failing(path: str, run: str, with_timeline: bool = False) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-c", helper], stdout=subprocess.PIPE)

    with AuditStore(db, create=False) as store:
        alone = build_report(store, "faulty", parallel=False, with_timeline=True)
        helped = build_report(store, "faulty", parallel=True, with_timeline=True)
        monkeypatch.setattr(worker, "start", failing)
        rescued = build_report(store, "faulty", parallel=True, with_timeline=True)
    assert alone.timeline is not None
    assert msgspec.json.encode(rescued) == msgspec.json.encode(alone) == msgspec.json.encode(helped)


def test_html_report_ranks_posts_by_problems_and_lists_the_unresolved(db: Path) -> None:
    with AuditStore(db, create=False) as store:
        report = build_report(store, "faulty", with_timeline=True)
    unresolved = {
        "cable_id": "08TOKYO4",
        "name": "AMEMBASSY NOWHERE",
        "ri": None,
        "role": "info",
        "reason": "?",
    }
    dist = msgspec.structs.replace(report.distribution, unresolved=1, unresolved_list=[unresolved])
    report = msgspec.structs.replace(report, distribution=dist, findings={**report.findings, "unresolved": 1})
    html = render_html(report)
    # The post with missing deliveries comes first in the post table, whatever its name.
    posts = html[html.index('<h2 id="posts">') :]
    first_row = posts[posts.index("<tbody><tr><td>") + len("<tbody><tr><td>") :]
    assert first_row.startswith("RUEHFK<")
    # The unresolved card leads to the list of unresolved addressees.
    assert '<a href="#unresolved"><b class="bad">1</b>unresolved</a>' in html
    listed = html[html.index('<h3 id="unresolved">') :]
    assert "AMEMBASSY NOWHERE" in listed[: listed.index("</table>")]
    # Corpus gaps are information, not red findings; a run without circuit figures says so.
    assert '<a href="#corpus"><b class="info">1</b>ssn_gaps</a>' in html
    assert "recorded no contention figures" in html
