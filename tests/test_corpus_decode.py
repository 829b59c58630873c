"""The decoder on the real corpus in ../shared/corpus: derived ids, header lengths, and errors.

Thresholds from issue 2: the derived id equals the file name, and `header_lines` equals
HEADER_LINES.tsv, for at least 99.5% of the cables; every error-severity diagnostic has a named reason.
The misses are printed by category (and repeated in the assertion message).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from router.decoder import decode
from router.model import Cable

pytestmark = pytest.mark.corpus

THRESHOLD = 0.995
#: Error codes and the reason each names; any other error code fails the test.
EXPLAINED_ERRORS = {
    "no-dtg": "neither FL5 nor a wrapper gives the date, so the year is unknown",
    "dtg-invalid": "the FL5 date-time group names an impossible date",
    "no-reference-id": "the year, the station or the serial appears nowhere in the text",
    "no-header": "the text holds no telegram header",
    "empty": "the input is empty",
}
_PUBLISHED_ID = re.compile(r"\d\d[A-Z]+\d+")


@pytest.fixture(scope="module")
def decoded(shared_dir: Path) -> dict[str, Cable]:
    cables = {}
    for path in sorted((shared_dir / "corpus" / "cables").glob("*.txt")):
        cables[path.stem] = decode(path.read_text(encoding="utf-8"), path.name)
    return cables


@pytest.fixture(scope="module")
def header_lines(shared_dir: Path) -> dict[str, int]:
    rows = (shared_dir / "corpus" / "HEADER_LINES.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return {name: int(count) for name, count in (row.split("\t") for row in rows)}


def id_miss_category(name: str, cable: Cable) -> str:
    """Why a derived id differs from the published one."""
    if not _PUBLISHED_ID.fullmatch(name):
        return "published id is malformed"
    errors = [d.code for d in cable.diagnostics if d.severity == "error"]
    if errors:
        return f"no id: {errors[0]}"
    if any(d.code == "serial-mismatch" for d in cable.diagnostics):
        return "banner serial contradicts FL3 (garbled banner)"
    return "derived id differs"


@pytest.fixture
def show(capsys: pytest.CaptureFixture[str]) -> Callable[[str], None]:
    """Print past pytest's output capture, so the summaries appear with or without `-s`."""

    def _show(text: str) -> None:
        with capsys.disabled():
            print(f"\n{text}")

    return _show


def report(title: str, total: int, misses: dict[str, str]) -> str:
    """A printable summary: the ratio, then the misses by category with examples."""
    by_category: dict[str, list[str]] = {}
    for name, category in sorted(misses.items()):
        by_category.setdefault(category, []).append(name)
    lines = [f"{title}: {total - len(misses)}/{total} = {(total - len(misses)) / total:.4%}"]
    for category, names in sorted(by_category.items(), key=lambda item: -len(item[1])):
        lines.append(
            f"  {len(names):4d}  {category}: {', '.join(names[:8])}{' ...' if len(names) > 8 else ''}"
        )
    return "\n".join(lines)


def test_derived_id_equals_the_file_name(decoded: dict[str, Cable], show: Callable[[str], None]) -> None:
    misses = {name: id_miss_category(name, cable) for name, cable in decoded.items() if cable.id != name}
    summary = report("derived id == file name", len(decoded), misses)
    show(summary)
    assert len(decoded) > 4000
    assert (len(decoded) - len(misses)) / len(decoded) >= THRESHOLD, summary


def test_header_lines_match_the_ground_truth(
    decoded: dict[str, Cable], header_lines: dict[str, int], show: Callable[[str], None]
) -> None:
    misses = {}
    for name, expected in header_lines.items():
        got = decoded[name].header_lines
        if got != expected:
            misses[name] = "header too short" if got < expected else "header too long"
    summary = report("header_lines == HEADER_LINES.tsv", len(header_lines), misses)
    show(summary)
    assert len(header_lines) == len(decoded)
    assert (len(header_lines) - len(misses)) / len(header_lines) >= THRESHOLD, summary


def test_every_error_has_a_named_reason(decoded: dict[str, Cable], show: Callable[[str], None]) -> None:
    errors = Counter(d.code for cable in decoded.values() for d in cable.diagnostics if d.severity == "error")
    unexplained = {code: count for code, count in errors.items() if code not in EXPLAINED_ERRORS}
    summary = "error diagnostics: " + (
        ", ".join(
            f"{code} x{count} ({EXPLAINED_ERRORS.get(code, 'UNEXPLAINED')})" for code, count in errors.items()
        )
        or "none"
    )
    show(summary)
    assert not unexplained, summary
    assert sum(errors.values()) <= len(decoded) * (1 - THRESHOLD), summary


def test_every_cable_has_its_dtg_and_addressees(decoded: dict[str, Cable]) -> None:
    without_dtg = [name for name, cable in decoded.items() if cable.dtg is None]
    without_addressees = [name for name, cable in decoded.items() if not cable.to and not cable.info]
    print(f"without DTG: {without_dtg}; without addressees: {without_addressees}")
    assert len(without_dtg) <= 5 and not without_addressees
