"""What sealing costs: a transmission sealed and opened (HMAC-SHA256 and every bound checked) against
the same message encoded and decoded bare, in the same run.

Prints messages/s for both and their ratio, for cable texts of 1 kB, 4 kB (about the corpus's mean)
and 16 kB. Usage: `python bench/wire_sealing.py [N]` (default 100,000 messages per size).
"""

from __future__ import annotations

import sys
import time

import msgspec

from replay.mqtt.wire import Transmission, encode, open_transmission, seal
from router.precedence import Precedence

KEY = b"bench-key-0123456789abcdef0123456789"
_bare = msgspec.msgpack.Decoder()  # the baseline: decoding without a type, so without any bound check


def message(size: int, number: int) -> Transmission:
    """A transmission of a cable text of `size` characters."""
    return Transmission(
        "bench", f"08TOKYO{number}", "RUEHC", "action", Precedence.PRIORITY, False, number, 1.2e9, 1.2e9,
        1.2e9 + 1, 1.7e9, 1.7e9, 1.7e9, 0.0, "X" * size,
    )  # fmt: skip


def rate(work, messages: list[Transmission]) -> float:
    """Messages per second of `work` over `messages` (best of three)."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        work(messages)
        best = min(best, time.perf_counter() - started)
    return len(messages) / best


def bare(messages: list[Transmission]) -> None:
    for item in messages:
        _bare.decode(encode(item))


def sealed(messages: list[Transmission]) -> None:
    for item in messages:
        open_transmission(seal(item, KEY), KEY)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(f"{count:,} messages per size; encode+decode bare (baseline) vs seal+open (HMAC, bounds)")
    for size in (1_000, 4_000, 16_000):
        messages = [message(size, number) for number in range(count)]
        baseline, measured = rate(bare, messages), rate(sealed, messages)
        print(
            f"text {size:>6,} chars: bare {baseline:>10,.0f}/s  sealed {measured:>10,.0f}/s  "
            f"ratio {measured / baseline:.2f}"
        )


if __name__ == "__main__":
    main()
