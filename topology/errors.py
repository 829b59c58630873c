"""The base class of the project's own errors, at the bottom of the dependency graph.

`topology` imports nothing of `router` or `replay`, so every package can derive from it; it is
re-exported as `router.CablerouteError` and `replay.CablerouteError`.
"""

from __future__ import annotations


class CablerouteError(Exception):
    """An error cableroute raises on purpose (bad input, an unusable store or broker): catch this to
    handle them all. Errors about a value also derive from ValueError."""
