"""A receipt to feed the store writers in tests."""

from __future__ import annotations

from replay.store.receipt import Receipt
from router.precedence import Precedence


def sample_receipt(run: str, number: int, serial: int) -> Receipt:
    """A PRIORITY receipt at RUEHC for cable 08TOKYO`number` with channel serial `serial`."""
    return Receipt(
        run=run,
        cable_id=f"08TOKYO{number}",
        post="RUEHC",
        role="action",
        precedence=Precedence.PRIORITY,
        channel_serial=serial,
        scheduled_sim=1.0,
        enqueued_sim=1.0,
        transmitted_sim=2.0,
        received_sim=3.0,
    )
