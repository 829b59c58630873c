"""Options shared by the commands that make a run (`replay`, `simulate`, `serve`, `posts`).

Where the run is recorded (`--run`, `--db`), which topology it routes with (`--topology`), and the
faults injected to show the audit at work (`--offline`, `--lossy`, `--fifo`, `--seed`), and the load
what-if (`--load`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from replay.inputs.corpus import MAX_CABLE_BYTES
from topology.errors import CablerouteError

#: Offline windows per post: a list of (start, end) in simulated seconds, or None for the whole run.
OfflineWindows = dict[str, list[tuple[float, float]] | None]

LEARNED_TOPOLOGY = "bundled example + what the corpus shows"
BUNDLED_TOPOLOGY = "the bundled example"


class UsageError(CablerouteError, ValueError):
    """A command line that cannot be carried out (exit status 2)."""


def run_name(text: str) -> str:
    """A `--run` name: not empty, on one line (surrounding spaces dropped)."""
    name = text.strip()
    if not name:
        raise argparse.ArgumentTypeError("a run name must not be empty")
    if not name.isprintable():
        raise argparse.ArgumentTypeError(f"a run name must be one line of printable characters: {text!r}")
    return name


def cable_size_limit(text: str) -> int:
    """`--max-cable-size MB` in bytes."""
    try:
        megabytes = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of megabytes: {text!r}") from None
    if not megabytes > 0:
        raise argparse.ArgumentTypeError("the size limit must be positive")
    return int(megabytes * 1_000_000)


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """Add `--max-cable-size MB`: larger inputs are refused, each with its reason."""
    parser.add_argument(
        "--max-cable-size",
        type=cable_size_limit,
        default=MAX_CABLE_BYTES,
        metavar="MB",
        help="refuse any input (file, stdin, CSV record) over this size "
        f"(default {MAX_CABLE_BYTES // 10**6} MB)",
    )


def add_run_options(parser: argparse.ArgumentParser, *, run: bool = True, topology_default: str) -> None:
    """Add `--run NAME` (when asked), `--db FILE` and the repeatable `--topology FILE`."""
    if run:
        parser.add_argument(
            "--run", type=run_name, metavar="NAME", help="name of the run (default: generated)"
        )
    parser.add_argument("--db", type=Path, metavar="FILE", help="audit store (default: user data dir)")
    parser.add_argument(
        "--topology",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help=f"topology TOML (repeatable, later wins); default: {topology_default}",
    )


def add_fifo_option(parser: argparse.ArgumentParser) -> None:
    """Add `--fifo`: the circuits ignore precedence."""
    parser.add_argument("--fifo", action="store_true", help="circuits ignore precedence (arrival order)")


def add_lossy_options(parser: argparse.ArgumentParser) -> None:
    """Add the repeatable `--lossy RI:FRACTION` and its `--seed`."""
    parser.add_argument(
        "--lossy",
        action="append",
        default=[],
        metavar="RI:FRACTION",
        help="the post drops this share of its messages without a receipt (seeded; repeatable)",
    )
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="seed for --lossy (default 0)")


def add_offline_option(parser: argparse.ArgumentParser) -> None:
    """Add the repeatable `--offline RI[@START-END]`."""
    parser.add_argument(
        "--offline",
        action="append",
        default=[],
        metavar="RI[@START-END]",
        help="the post is disconnected in the window (gets its queued messages at its end), "
        "or for the whole run without one (repeatable)",
    )


def add_load_option(parser: argparse.ArgumentParser) -> None:
    """Add `--load K`: the time between cables compressed by K (twice the traffic rate at 2)."""
    parser.add_argument(
        "--load",
        default="1",
        metavar="K",
        help="compress the time between cables by K around the first cable's time: K times the "
        "traffic rate (default 1, the corpus's own times)",
    )


def parse_load_option(text: str) -> float:
    """The `--load` value; raises UsageError naming the bad value."""
    from router.load import parse_load  # (imported on use: `decode` needs only the input options)

    try:
        return parse_load(text)
    except ValueError as error:
        raise UsageError(str(error)) from None


def parse_lossy(texts: list[str]) -> dict[str, float]:
    """`--lossy` values as {RI: fraction}; raises UsageError naming the bad value."""
    from router.faults import parse_fraction

    try:
        return dict(parse_fraction(text) for text in texts)
    except ValueError as error:
        raise UsageError(str(error)) from None


def parse_offline(texts: list[str]) -> OfflineWindows:
    """`--offline` values as {RI: merged windows, or None for the whole run}; raises UsageError."""
    from router.circuit import merge_windows
    from router.faults import parse_window

    windows: OfflineWindows = {}
    try:
        for text in texts:
            ri, window = parse_window(text, required=False)
            if window is None:
                windows[ri] = None
            elif windows.get(ri, []) is not None:
                windows.setdefault(ri, []).append(window)  # type: ignore[union-attr]
    except ValueError as error:
        raise UsageError(str(error)) from None
    return {ri: None if spans is None else merge_windows(spans) for ri, spans in windows.items()}
