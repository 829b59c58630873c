"""Fault injection shared by the broker replay and the simulator: lossy posts and time windows.

`is_dropped` decides, from a hash of (seed, cable id, post), whether a lossy post drops a delivery, so
two runs with the same seed (broker or simulated) drop exactly the same deliveries. `parse_window` and
friends read the `RI@START-END` and `RI:FRACTION` forms the command line accepts (times: `router.times`).
"""

from __future__ import annotations

from hashlib import blake2b

from router.times import parse_time
from topology.ri import looks_like_ri

_SCALE = float(1 << 64)


def drop_draw(seed: int, cable_id: str, post: str) -> float:
    """A number in [0, 1) fixed by (seed, cable id, post): the same on every run and machine."""
    key = f"{seed}\x1f{cable_id}\x1f{post}".encode()
    return int.from_bytes(blake2b(key, digest_size=8).digest(), "big") / _SCALE


def is_dropped(seed: int, cable_id: str, post: str, fraction: float) -> bool:
    """Whether a post that drops `fraction` of its messages drops this cable (deterministic)."""
    if fraction <= 0.0:
        return False
    if fraction >= 1.0:
        return True
    return drop_draw(seed, cable_id, post) < fraction


def parse_ri(text: str) -> str:
    """A routing indicator, upper-cased and checked (`R` and 3 to 7 letters or digits)."""
    ri = text.strip().upper()
    if not looks_like_ri(ri):
        raise ValueError(f"not a routing indicator (R and 3 to 7 letters or digits): {text!r}")
    return ri


def parse_span(text: str) -> tuple[float, float]:
    """`START-END` (or `START/END`) as Unix seconds; END must be after START.

    ISO dates contain hyphens, so every `-` is tried as the separator until both sides are times.
    """
    candidates = [i for i, char in enumerate(text) if char in "-/"]
    for index in candidates:
        left, right = text[:index], text[index + 1 :]
        if not left or not right:
            continue
        try:
            start, end = parse_time(left), parse_time(right)
        except ValueError:
            continue
        if end <= start:
            raise ValueError(f"window {text!r} ends before it starts")
        return start, end
    raise ValueError(f"not a time window: {text!r} (use START-END, e.g. 2008-12-04T07:00Z-2008-12-04T09:00Z)")


def parse_window(text: str, *, required: bool = True) -> tuple[str, tuple[float, float] | None]:
    """`RI@START-END` as (RI, (start, end)); with `required=False` a bare `RI` gives (RI, None)."""
    ri, at, span = text.partition("@")
    if not at:
        if required:
            raise ValueError(f"expected RI@START-END, got {text!r}")
        return parse_ri(ri), None
    return parse_ri(ri), parse_span(span)


def parse_fraction(text: str) -> tuple[str, float]:
    """`RI:FRACTION` (0 to 1) as (RI, fraction)."""
    ri, colon, value = text.partition(":")
    if not colon:
        raise ValueError(f"expected RI:FRACTION, got {text!r}")
    try:
        fraction = float(value)
    except ValueError:
        raise ValueError(f"not a fraction: {value!r}") from None
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be between 0 and 1, not {fraction}")
    return parse_ri(ri), fraction


def receipt_time(transmitted_at: float, windows: list[tuple[float, float]] | None) -> float | None:
    """When a post receives a transmission given its offline windows.

    None for `windows` means always offline: never received. Inside a window the persistent session
    holds the message until the window ends; otherwise it arrives when transmitted.
    """
    if windows is None:
        return None
    received = transmitted_at
    for start, end in sorted(windows):
        if start <= received < end:
            received = end
    return received
