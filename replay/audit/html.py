"""The audit report as one self-contained HTML page: inline CSS, inline SVG charts, no network.

Charts: latency by precedence (p50, p95, max on a logarithmic time axis) against the speed-of-service
objective, and receipts over simulated time by precedence. Then a per-post table and the findings.
A small inline script makes tables sortable and marks `<body data-rendered="ok">` once it has run,
so a headless browser can tell the page rendered without script errors.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from html import escape
from typing import Any

from replay.audit.continuity import Gap
from replay.audit.report import CORPUS_KINDS, AuditReport
from replay.store.store import REJECTION_KINDS
from topology.topology import Topology

#: Rows of long lists shown on the page (the JSON report has them all).
LIST_LIMIT = 500

_COLOURS = {"FLASH": "#c0392b", "IMMEDIATE": "#e67e22", "PRIORITY": "#2980b9", "ROUTINE": "#7f8c8d"}

_TICKS = (
    (1, "1s"),
    (10, "10s"),
    (60, "1m"),
    (600, "10m"),
    (1800, "30m"),
    (3600, "1h"),
    (3 * 3600, "3h"),
    (6 * 3600, "6h"),
    (86_400, "1d"),
    (7 * 86_400, "1w"),
)

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1100px;
 color:#222;padding:0 1em}
h1{font-size:1.5em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.sub{color:#666}table{border-collapse:collapse;margin:.6em 0;font-size:13px}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left}th{background:#f4f4f4;cursor:pointer}
td.n{text-align:right;font-variant-numeric:tabular-nums}.bad{color:#b00;font-weight:600}.ok{color:#080}.info{color:#555}
.cards{display:flex;flex-wrap:wrap;gap:.6em}.card{border:1px solid #ddd;border-radius:6px;padding:.5em .9em}
.card b{display:block;font-size:1.4em}svg text{font-size:11px;fill:#333}.note{color:#666;font-size:12px}
"""

_SCRIPT = """
(function () {
  function cellValue(row, i) {
    var text = row.cells[i] ? row.cells[i].textContent.trim() : "";
    var number = parseFloat(text.replace(/,/g, ""));
    return isNaN(number) || !/^[-+]?[0-9.,]+%?$/.test(text) ? text.toLowerCase() : number;
  }
  function sortBy(table, i) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var ascending = table.getAttribute("data-sorted") !== String(i);
    rows.sort(function (a, b) {
      var x = cellValue(a, i), y = cellValue(b, i);
      return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
    });
    rows.forEach(function (row) { body.appendChild(row); });
    table.setAttribute("data-sorted", ascending ? String(i) : "");
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      th.addEventListener("click", function () { sortBy(table, i); });
    });
  });
  document.body.setAttribute("data-rendered", "ok");
})();
"""

_ERROR_HOOK = (
    "window.addEventListener('error',function(e){document.documentElement.setAttribute("
    "'data-script-error',String(e.message))});"
)


def _time(seconds: float | None) -> str:
    """Unix seconds as `YYYY-MM-DD HH:MM:SSZ`."""
    if seconds is None:
        return ""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _duration(seconds: float | None) -> str:
    """A short duration for charts and tables."""
    if seconds is None:
        return ""
    value = abs(seconds)
    sign = "-" if seconds < 0 else ""
    if value < 60:
        return f"{sign}{value:.1f}s"
    if value < 3600:
        return f"{sign}{value / 60:.1f}m"
    if value < 86_400:
        return f"{sign}{value / 3600:.1f}h"
    return f"{sign}{value / 86_400:.1f}d"


def _table(headers: list[str], rows: list[list[Any]], numeric: set[int] | None = None) -> str:
    """A sortable HTML table; every cell escaped."""
    numeric = numeric or set()
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{escape(str(c))}</td>' if i in numeric else f"<td>{escape(str(c))}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f'<table class="sortable"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _limited(rows: list[Any]) -> tuple[list[Any], str]:
    """At most `LIST_LIMIT` rows, and a note when some were left out."""
    if len(rows) <= LIST_LIMIT:
        return rows, ""
    return rows[
        :LIST_LIMIT
    ], f'<p class="note">First {LIST_LIMIT} of {len(rows)}; the JSON report lists all.</p>'


def latency_chart(report: AuditReport) -> str:
    """SVG: per level, p50/p95/max bars on a log axis and the objective as a dashed line."""
    levels = list(report.precedence.latency.items())
    top = max(
        [stats.max_s or 0.0 for _, stats in levels]
        + [float(stats.objective_s) for _, stats in levels]
        + [60.0]
    )
    low, high = 1.0, top * 1.5
    left, width, row_h, margin = 90, 700, 46, 150
    height = 30 + row_h * len(levels) + 30

    def x(seconds: float) -> float:
        value = min(max(seconds, low), high)
        return left + width * (math.log10(value) - math.log10(low)) / (math.log10(high) - math.log10(low))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + margin}" '
        f'height="{height}" role="img">'
    ]
    for tick, label in _TICKS:
        if tick <= high:
            parts.append(
                f'<line x1="{x(tick):.1f}" y1="20" x2="{x(tick):.1f}" y2="{height - 25}" stroke="#eee"/>'
                f'<text x="{x(tick):.1f}" y="{height - 10}" text-anchor="middle">{label}</text>'
            )
    for i, (level, stats) in enumerate(levels):
        y = 30 + i * row_h
        colour = _COLOURS.get(level, "#555")
        parts.append(f'<text x="{left - 8}" y="{y + 16}" text-anchor="end">{escape(level)}</text>')
        if stats.n:
            for j, (label, value) in enumerate(
                (("p50", stats.p50_s), ("p95", stats.p95_s), ("max", stats.max_s))
            ):
                if value is None:
                    continue
                opacity = (1.0, 0.65, 0.35)[j]
                parts.append(
                    f'<rect x="{left}" y="{y + j * 9}" width="{max(x(value) - left, 1):.1f}" height="8" '
                    f'fill="{colour}" fill-opacity="{opacity}">'
                    f"<title>{label} {_duration(value)}</title></rect>"
                )
            met = f"{stats.met_ratio:.1%} met" if stats.met_ratio is not None else ""
            parts.append(f'<text x="{left + width + 10}" y="{y + 16}">n={stats.n} {met}</text>')
        else:
            parts.append(f'<text x="{left + 4}" y="{y + 16}">no receipts</text>')
        ox = x(float(stats.objective_s))
        parts.append(
            f'<line x1="{ox:.1f}" y1="{y - 4}" x2="{ox:.1f}" y2="{y + 30}" '
            'stroke="#000" stroke-dasharray="4 3">'
            f"<title>objective {_duration(stats.objective_s)}</title></line>"
        )
    parts.append("</svg>")
    return "".join(parts)


def timeline_chart(report: AuditReport) -> str:
    """SVG: receipts per slice of simulated time, stacked by precedence."""
    timeline = report.timeline or {}
    counts: dict[str, list[int]] = timeline.get("counts") or {}
    if not counts or timeline.get("start") is None:
        return '<p class="note">No receipts in this run.</p>'
    buckets = len(next(iter(counts.values())))
    totals = [sum(series[i] for series in counts.values()) for i in range(buckets)]
    peak = max(totals) or 1
    left, width, height, bottom = 50, 800, 220, 30
    bar = width / buckets
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 10}" height="{height + bottom}">'
    ]
    parts.append(f'<text x="{left - 6}" y="14" text-anchor="end">{peak}</text>')
    parts.append(f'<text x="{left - 6}" y="{height}" text-anchor="end">0</text>')
    for i in range(buckets):
        base = float(height)
        for level in ("ROUTINE", "PRIORITY", "IMMEDIATE", "FLASH"):
            n = counts.get(level, [0] * buckets)[i]
            if not n:
                continue
            h = (height - 10) * n / peak
            base -= h
            parts.append(
                f'<rect x="{left + i * bar:.1f}" y="{base:.1f}" '
                f'width="{max(bar - 1, 1):.1f}" height="{h:.1f}" '
                f'fill="{_COLOURS[level]}"><title>{level} {n}</title></rect>'
            )
    start, width_s = timeline["start"], timeline["width_s"]
    parts.append(f'<text x="{left}" y="{height + 18}">{escape(_time(start))}</text>')
    parts.append(
        f'<text x="{left + width}" y="{height + 18}" text-anchor="end">'
        f"{escape(_time(start + width_s * buckets))}</text>"
    )
    parts.append("</svg>")
    legend = " ".join(f'<span style="color:{colour}">■</span> {level}' for level, colour in _COLOURS.items())
    outside = timeline.get("outside") or 0
    if outside:
        legend += f" — {outside} receipts with outlying times are outside the range shown"
    return "".join(parts) + f'<p class="note">{legend}</p>'


#: The section of the page each finding card leads to (when it has findings).
_CARD_TARGETS = {
    "missing": "missing",
    "unexpected": "unexpected",
    "duplicates": "unexpected",
    "unresolved": "unresolved",
    "inversions": "inversions",
    "sos": "posts",
    "niact": "posts",
    "ssn_gaps": "corpus",
    "mcn_gaps": "corpus",
    "channel_gaps": "channel-gaps",
}


def _cards(report: AuditReport) -> str:
    """The finding counts as cards, red when non-zero."""
    cards = []
    for kind, n in report.findings.items():
        style = ("info" if kind in CORPUS_KINDS else "bad") if n else "ok"
        card = f'<b class="{style}">{n}</b>{escape(kind)}'
        target = _CARD_TARGETS.get(kind)
        if n and target:
            card = f'<a href="#{target}">{card}</a>'
        cards.append(f'<div class="card">{card}</div>')
    return '<div class="cards">' + "".join(cards) + "</div>"


def _post_table(report: AuditReport, topology: Topology | None) -> str:
    """One row per post: planned and received by level, missing, late, inversions, duplicates and
    unexpected; problems first (most missing, then late, then inversions), then by RI."""
    rows = []
    late = report.precedence.late_by_post
    inversions = report.precedence.inversions_by_post

    def problems_first(item: tuple[str, Any]) -> tuple[int, int, int, int, str]:
        ri, totals = item
        return (
            -totals.missing,
            -late.get(ri, 0),
            -inversions.get(ri, 0),
            -totals.duplicates - totals.unexpected,
            ri,
        )

    for ri, totals in sorted(report.distribution.by_post.items(), key=problems_first):
        post = topology.post(ri) if topology is not None else None
        rows.append(
            [
                ri,
                post.name if post is not None else "",
                sum(totals.planned.values()),
                sum(totals.received.values()),
                totals.missing,
                late.get(ri, 0),
                inversions.get(ri, 0),
                totals.duplicates,
                totals.unexpected,
                *(f"{totals.received[level]}/{totals.planned[level]}" for level in totals.planned),
            ]
        )
    headers = ["post", "name", "planned", "received", "missing", "late", "inversions", "dup", "unexpected"]
    headers += [f"{level} recv/plan" for level in ("FLASH", "IMMEDIATE", "PRIORITY", "ROUTINE")]
    shown, note = _limited(rows)
    return _table(headers, shown, numeric={2, 3, 4, 5, 6, 7, 8}) + note


def _gap_table(gaps: list[Gap]) -> str:
    """Serial series with their missing numbers, most missing first."""
    rows = [
        [
            " ".join(f"{k}={v}" for k, v in g.series.items()),
            g.first,
            g.last,
            g.seen,
            g.missing,
            ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in g.ranges[:8])
            + (" …" if len(g.ranges) > 8 else ""),
        ]
        for g in sorted(gaps, key=lambda g: -g.missing)
    ]
    if not rows:
        return "<p>None.</p>"
    shown, note = _limited(rows)
    headers = ["series", "first", "last", "seen", "missing", "missing numbers"]
    return _table(headers, shown, numeric={1, 2, 3, 4}) + note


def _findings(report: AuditReport) -> str:
    """The finding lists."""
    dist, prec, cont = report.distribution, report.precedence, report.continuity
    parts = []
    missing = [[m["id"], m["post"], m["precedence"], m["role"], m["reason"]] for m in dist.missing_list]
    shown, note = _limited(missing)
    parts.append(f'<h3 id="missing">Missing deliveries ({dist.missing})</h3>')
    parts.append(
        _table(["cable", "post", "precedence", "role", "reason"], shown) + note if missing else "<p>None.</p>"
    )
    flagged = [
        [c.id, " ".join(c.missing), " ".join(c.unexpected), " ".join(c.duplicated)]
        for c in dist.cables_with_findings
        if c.unexpected or c.duplicated
    ]
    parts.append(
        f'<h3 id="unexpected">Unexpected ({dist.unexpected}) and duplicated '
        f"({dist.duplicates} extra copies)</h3>"
    )
    shown, note = _limited(flagged)
    parts.append(
        _table(["cable", "missing at", "unexpected at", "duplicated at"], shown) + note
        if flagged
        else "<p>None.</p>"
    )
    inversions = [
        [
            i.post,
            str(i.id),
            i.precedence.value,
            _time(i.started),
            str(i.waiting_id),
            i.waiting_precedence.value,
        ]
        for i in prec.inversion_list
    ]
    parts.append(f'<h3 id="inversions">Precedence inversions ({prec.inversions})</h3>')
    shown, note = _limited(inversions)
    parts.append(
        _table(["post", "cable", "precedence", "started", "while waiting", "its precedence"], shown) + note
        if inversions
        else "<p>None.</p>"
    )
    unresolved = [
        [u["cable_id"], u["name"], u["ri"] or "", u["role"], u["reason"] or ""] for u in dist.unresolved_list
    ]
    parts.append(f'<h3 id="unresolved">Unresolved addressees ({dist.unresolved})</h3>')
    shown, note = _limited(unresolved)
    parts.append(
        _table(["cable", "addressee", "RI", "role", "why"], shown) + note if unresolved else "<p>None.</p>"
    )
    parts.append(
        f'<h3 id="channel-gaps">Channel-serial gaps ({cont.channel_gaps} missing numbers in '
        f"{len(cont.channel_series)} series)</h3>"
    )
    parts.append(_gap_table(cont.channel_series))
    consistency = [[f.kind, f.id, f.detail] for f in report.consistency_findings]
    parts.append(f"<h3>Header consistency ({len(consistency)})</h3>")
    shown, note = _limited(consistency)
    parts.append(_table(["kind", "cable", "detail"], shown) + note if consistency else "<p>None.</p>")
    rejected = [[kind, REJECTION_KINDS[kind], n] for kind, n in report.rejected.items() if n]
    parts.append(f"<h3>Rejected messages ({sum(report.rejected.values())})</h3>")
    parts.append(
        _table(["kind", "meaning", "messages"], rejected, numeric={2}) if rejected else "<p>None.</p>"
    )
    return "".join(parts)


_DEPTH_COLOURS = ("#c0392b", "#2980b9", "#e67e22", "#27ae60", "#8e44ad")


def depth_chart(report: AuditReport) -> str:
    """SVG: the deepest queue per slice of time on the worst circuits, one step line each."""
    section = report.circuits
    shown = [row for row in section.circuits if row.depth and row.depth_every]
    if not shown:
        return '<p class="note">No queue formed on any circuit.</p>'
    start = min(t for row in shown for t, _ in row.depth)
    end = max(t + (row.depth_every or 0.0) for row in shown for t, _ in row.depth)
    every = min(row.depth_every or 0.0 for row in shown)
    peak = max(n for row in shown for _, n in row.depth) or 1
    left, width, height, bottom = 50, 800, 200, 30
    scale_x = width / max(end - start, every)

    def x(t: float) -> float:
        return left + (t - start) * scale_x

    def y(n: int) -> float:
        return height - (height - 10) * n / peak

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 10}" height="{height + bottom}">'
    ]
    parts.append(f'<text x="{left - 6}" y="14" text-anchor="end">{peak}</text>')
    parts.append(f'<text x="{left - 6}" y="{height}" text-anchor="end">0</text>')
    parts.append(f'<line x1="{left}" y1="{height}" x2="{left + width}" y2="{height}" stroke="#999"/>')
    for colour, row in zip(_DEPTH_COLOURS, shown, strict=False):
        width_s = row.depth_every or every
        depth = {round((t - start) / width_s): n for t, n in row.depth}
        points = []
        for i in range(round((end - start) / width_s)):
            t, n = start + i * width_s, depth.get(i, 0)
            points.append(f"{x(t):.1f},{y(n):.1f} {x(t + width_s):.1f},{y(n):.1f}")
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{" ".join(points)}">'
            f"<title>{escape(row.post)}: at most {row.peak_queue} waiting</title></polyline>"
        )
    parts.append(f'<text x="{left}" y="{height + 18}">{escape(_time(start))}</text>')
    parts.append(f'<text x="{left + width}" y="{height + 18}" text-anchor="end">{escape(_time(end))}</text>')
    parts.append("</svg>")
    legend = " ".join(
        f'<span style="color:{colour}">■</span> {escape(row.post)}'
        for colour, row in zip(_DEPTH_COLOURS, shown, strict=False)
    )
    note = (
        "deepest queue per slice of simulated time (wider slices for a queue that drains long after the "
        "last cable)"
    )
    return "".join(parts) + f'<p class="note">{legend} — {note}</p>'


def circuit_section(report: AuditReport, topology: Topology | None) -> str:
    """The per-circuit contention table, worst first, and the queue depth of the worst circuits."""
    section = report.circuits
    if not section.recorded:
        return "<p>This run recorded no contention figures (it was made before circuits kept them).</p>"
    levels = ("FLASH", "IMMEDIATE", "PRIORITY", "ROUTINE")
    rows = []
    for row in section.circuits:
        post = topology.post(row.post) if topology is not None else None
        rows.append(
            [
                row.post,
                post.name if post is not None else "",
                row.transmitted,
                row.peak_queue,
                row.preemptions,
                row.interrupted,
                f"{row.utilisation:.1%}",
                *(_duration(row.longest_wait.get(level)) for level in levels),
            ]
        )
    headers = ["post", "name", "sent", "peak queue", "preemptions", "interrupted", "busy"]
    headers += [f"longest wait {level}" for level in levels]
    shown, note = _limited(rows)
    return (
        f"<p>{len(section.circuits)} circuits, {section.contended} with a queue at some time; worst first "
        "(deepest queue, then longest wait, then busiest). Busy: the share of the run the link spent "
        "transmitting, cut-off sends included.</p>"
        + depth_chart(report)
        + _table(headers, shown, numeric={2, 3, 4, 5, 6})
        + note
    )


def corpus_section(report: AuditReport) -> str:
    """The input's serial gaps as what the stations really sent (not findings of the run): the
    estimate per station and year, then the station-serial and MCN series with their gaps."""
    cont = report.continuity
    if not cont.traffic:
        return "<p>No cable carries a station serial.</p>"
    share = cont.published / cont.estimated if cont.estimated else 0.0
    parts = [
        f"<p>{cont.published:,} cables with station serials, of about {cont.estimated:,} the stations sent "
        f"({share:.2%}) in {len(cont.traffic)} station-years. The rest are absent from the input, not lost "
        f"by the run: {cont.ssn_gaps:,} station serials and {cont.mcn_gaps:,} MCNs are missing from it, "
        "the same in every run of this input.</p>",
        '<p class="note">Serial-number estimate: k serials with the largest m give m + m/k − 1; the '
        "interval is [m, U], U the largest total under which a maximum this low has more than a 5% chance "
        "(see docs/audit.md).</p>",
    ]
    rows = [
        [e.station, e.year, e.observed, e.max_serial, e.estimate, f"{e.low:,}–{e.high:,}", f"{e.share:.2%}"]
        for e in sorted(cont.traffic, key=lambda e: (-e.estimate, e.station, e.year))
    ]
    shown, note = _limited(rows)
    headers = ["station", "year", "published", "max serial", "estimate", "95% interval", "share published"]
    parts.append(_table(headers, shown, numeric={1, 2, 3, 4}) + note)
    for title, gaps, key in (
        ("Station-serial gaps", cont.ssn_series, cont.ssn_gaps),
        ("MCN gaps", cont.mcn_series, cont.mcn_gaps),
    ):
        parts.append(f"<h3>{title} ({key} missing numbers in {len(gaps)} series)</h3>")
        parts.append(_gap_table(gaps))
    return "".join(parts)


def _load_note(report: AuditReport) -> str:
    """`, load factor 4` for a load what-if run; nothing at the corpus's own rate."""
    return f", load factor {report.load:g}" if report.load != 1.0 else ""


def render_html(report: AuditReport, topology: Topology | None = None) -> str:
    """The whole page."""
    dist, prec = report.distribution, report.precedence
    latency_rows = [
        [
            level,
            s.n,
            _duration(s.p50_s),
            _duration(s.p95_s),
            _duration(s.max_s),
            _duration(s.objective_s),
            f"{s.met_ratio:.1%}" if s.met_ratio is not None else "",
        ]
        for level, s in prec.latency.items()
    ]
    body = [
        f"<h1>Audit of run {escape(report.run)}</h1>",
        f'<p class="sub">{escape(report.mode)}, {escape(report.status)}{_load_note(report)} — '
        f"{dist.cables} cables, "
        f"{dist.planned} planned deliveries, {dist.received} received, {dist.missing} missing, "
        f"{dist.other_means} by other means (ZEN), {dist.unresolved} unresolved addressees</p>",
        "<h2>Findings</h2>",
        _cards(report),
        "<h2>Latency by precedence</h2>",
        '<p class="note">Bars: p50, p95 and maximum latency from filing to receipt '
        "(simulated time, log scale); "
        "dashed line: the speed-of-service objective.</p>",
        latency_chart(report),
        _table(
            ["precedence", "received", "p50", "p95", "max", "objective", "met"], latency_rows, numeric={1}
        ),
        f"<p>NIACT: {prec.niact.planned} planned, {prec.niact.received} received, "
        f"{prec.niact.missing} missing, "
        f"{prec.niact.late} later than the IMMEDIATE objective.</p>",
        '<h2 id="circuits">Circuits under load</h2>',
        circuit_section(report, topology),
        "<h2>Deliveries over simulated time</h2>",
        timeline_chart(report),
        '<h2 id="posts">Posts</h2>',
        '<p class="note">Problems first: most missing deliveries, then most late (over the '
        "speed-of-service objective), then most inversions.</p>",
        _post_table(report, topology),
        "<h2>Details</h2>",
        _findings(report),
        '<h2 id="corpus">Corpus: what the stations really sent</h2>',
        corpus_section(report),
    ]
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>Audit of {escape(report.run)}</title>'
        f"<script>{_ERROR_HOOK}</script><style>{_CSS}</style></head>"
        f"<body>{''.join(body)}<script>{_SCRIPT}</script></body></html>\n"
    )
