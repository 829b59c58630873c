"""`decode(text) -> Cable`: a whole cable text (wrappers, header, body) decoded. Never raises on text."""

from __future__ import annotations

from router.body import BodyParts, read_banner, scan_body
from router.header import MAX_BLANK_RUN, HeaderParts, read_standard_header, walk_header
from router.model import Cable, Diagnostic
from router.reference_id import derive_reference_id
from router.wrappers import MAX_WRAPPER_LINES, TelegramStart, locate_telegram

#: Characters split into lines at first; the window grows only when a header runs past it.
FIRST_WINDOW = 2048
#: Lines the header walk may look past its last line (blank lines inside an addressee list).
_LOOKAHEAD = MAX_BLANK_RUN + 1
#: Where a telegram whose first line is FL1 starts.
_FL1_ON_FIRST_LINE = TelegramStart(index=0, first="fl1")


#: Diagnostics that mean a text is no cable at all: nothing in it can be routed.
NOT_A_CABLE = frozenset({"empty", "no-header"})


def not_a_cable(cable: Cable) -> str | None:
    """Why a decoded text is not a cable at all (empty, no telegram header), or None when it is one."""
    for diagnostic in cable.diagnostics:
        if diagnostic.code in NOT_A_CABLE:
            return f"not a cable: {diagnostic.message}"
    return None


def decode(text: str, source: str | None = None, *, routing_only: bool = False) -> Cable:
    """Decode one cable. Whatever cannot be read becomes a diagnostic; the decodable rest is returned.

    `routing_only`: read of the body only its banner, which routing and the audit store need (with the
    header, it names the cable and its origin), and leave out the header's text; the other body fields
    (`sipdis`, `declassify`, `tags`, `subject`, `references`) and `header` are then left empty. Every
    other field, the diagnostics included, is what the full decode gives (the body fields add none).
    """
    try:
        return _decode(text, source, routing_only)
    except Exception as error:  # a bug must not stop a corpus run; it is reported on the cable
        diagnostic = Diagnostic(
            0, "internal-error", "error", f"decoder failed: {type(error).__name__}: {error}"
        )
        size = len(text) if isinstance(text, str) else 0
        return Cable(source=source, size=size, diagnostics=(diagnostic,))


def _decode(text: str, source: str | None, routing_only: bool) -> Cable:
    """Decode a header in the standard layout straight from the text; any other with a window of lines
    that grows until the header and the top of the body fit in it."""
    if not text or text.isspace():
        empty = Diagnostic(0, "empty", "error", "the input is empty")
        return Cable(source=source, size=len(text), diagnostics=(empty,))
    standard = read_standard_header(text)
    if standard is not None:
        return _assemble(text, source, _FL1_ON_FIRST_LINE, standard, routing_only)
    window = FIRST_WINDOW
    while True:
        lines, complete = _split(text, window)
        start = locate_telegram(lines)
        if start.first is None:
            if complete or len(lines) > MAX_WRAPPER_LINES:
                return _without_header(text, source, routing_only)
            window *= 4
            continue
        header = walk_header(lines, start.index, text)
        if complete or header.end + _LOOKAHEAD < len(lines):
            return _assemble(text, source, start, header, routing_only)
        window *= 4


def _split(text: str, window: int) -> tuple[list[str], bool]:
    """The first `window` characters as lines (a cut last line dropped), and whether that is all of it."""
    if len(text) <= window:
        return text.split("\n"), True
    lines = text[:window].split("\n")
    lines.pop()
    return lines, False


def _without_header(text: str, source: str | None, routing_only: bool) -> Cable:
    """A cable in which no telegram header was found: the body fields, if any, and an error."""
    body = _body(text, 0, 1, None, routing_only)
    notes = [Diagnostic(1, "no-header", "error", "no telegram header (FL1, FL3, FL5 or FM) found")]
    notes.extend(body.notes)
    return Cable(
        source=source,
        banner=body.banner,
        sipdis=body.sipdis,
        declassify=body.declassify,
        tags=body.tags,
        subject=body.subject,
        references=tuple(body.references),
        diagnostics=tuple(notes),
        size=len(text),
    )


def _body(text: str, offset: int, first_line: int, year: int | None, routing_only: bool) -> BodyParts:
    """The top of the body (see `scan_body`); with `routing_only` its banner alone."""
    if routing_only:
        return BodyParts(banner=read_banner(text, offset, first_line))
    return scan_body(text, offset, first_line, year)


def _assemble(
    text: str, source: str | None, start: TelegramStart, header: HeaderParts, routing_only: bool
) -> Cable:
    """Read the top of the body and put the parts together, with the diagnostics only the whole tells."""
    raw_header = "" if routing_only else text[: header.offset]
    year = header.dtg.year if header.dtg else None
    body = _body(text, header.offset + 1 if header.end else 0, header.end + 1, year, routing_only)
    notes: list[Diagnostic] = []
    if start.skipped:
        kinds = ", ".join(start.wrappers)
        notes.append(
            Diagnostic(
                1, "wrapper-skipped", "info", f"{start.skipped} lines before the telegram skipped ({kinds})"
            )
        )
    if start.first is not None and start.first != "fl1":
        notes.append(Diagnostic(start.index + 1, "no-fl1", "info", f"header starts at {start.first.upper()}"))
    notes.extend(header.notes)
    dtg = header.dtg
    if dtg is None and start.wrapper_dtg is not None:
        dtg = start.wrapper_dtg
        notes.append(
            Diagnostic(0, "dtg-from-wrapper", "warning", "no FL5: date-time group taken from the wrapper")
        )
    elif dtg is None and not any(note.code == "dtg-invalid" for note in notes):
        notes.append(Diagnostic(0, "no-dtg", "error", "no date-time group (FL5) found"))
    if header.from_ is None:
        notes.append(Diagnostic(0, "no-fm", "warning", "no originator (FL6 FM line) found"))
    if not header.to and not header.info:
        notes.append(Diagnostic(0, "no-addressees", "warning", "no TO or INFO addressees found"))
    notes.extend(body.notes)
    if body.banner is None:
        notes.append(Diagnostic(0, "no-banner", "warning", "no banner line found at the top of the body"))
    _check_serials(header, body, notes)
    cable_id = derive_reference_id(dtg, body.banner, header.station, header.from_)
    if cable_id is None:
        notes.append(
            Diagnostic(
                0,
                "no-reference-id",
                "error",
                "reference id cannot be derived (year, station or serial missing)",
            )
        )
    return Cable(
        id=cable_id,
        source=source,
        header_lines=header.end,
        transmission=header.transmission,
        routing=header.routing,
        station=header.station,
        security=header.security,
        precedence=header.precedence,
        dtg=dtg,
        dtg_signals=header.dtg_signals,
        from_=header.from_,
        to=tuple(header.to),
        info=tuple(header.info),
        xmt=tuple(header.xmt),
        banner=body.banner,
        sipdis=body.sipdis,
        declassify=body.declassify,
        tags=body.tags,
        subject=body.subject,
        references=tuple(body.references),
        diagnostics=tuple(notes),
        header=raw_header,
        size=len(text),
    )


def _check_serials(header: HeaderParts, body: BodyParts, notes: list[Diagnostic]) -> None:
    """Warn when the banner's serial and FL3's station serial number disagree."""
    station, banner = header.station, body.banner
    if station is None or station.ssn is None or banner is None or not banner.mrn:
        return
    if int(banner.mrn) % 10_000 != station.ssn % 10_000:
        notes.append(
            Diagnostic(
                banner.line,
                "serial-mismatch",
                "warning",
                f"banner serial {banner.mrn} does not match FL3 station serial {station.ssn}",
            )
        )
