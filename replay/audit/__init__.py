"""Distribution audits of a recorded run: who got what, what is missing, whether precedence held,
serial-number continuity and header consistency.

The computations (`distribution`, `precedence`, `continuity`, `consistency`) are pure functions over
plain rows; `load` reads those rows from the audit store; `report` assembles the JSON contract and
`html` renders it as one self-contained page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from topology.exports import lazy_exports

if TYPE_CHECKING:
    from replay.audit.html import render_html
    from replay.audit.report import AuditReport, build_report, finding_counts, report_to_json

#: Each exported name and the module it comes from.
EXPORTS: dict[str, str] = {
    "AuditReport": "replay.audit.report",
    "build_report": "replay.audit.report",
    "finding_counts": "replay.audit.report",
    "report_to_json": "replay.audit.report",
    "render_html": "replay.audit.html",
}

__all__ = ["AuditReport", "build_report", "finding_counts", "render_html", "report_to_json"]

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
