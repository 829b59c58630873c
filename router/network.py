"""The network in virtual time: one circuit per post, driven by a discrete-event clock.

A heap of `(time, kind, seq, ...)` entries: kind 0 is a circuit's next event (completion, outage start
or end), kind 1 a plan arriving. At equal times circuit events come before arrivals (a transmission
that completes at the instant a FLASH arrives is not interrupted), and `seq` (push order) breaks the
remaining ties, so every run with the same inputs gives the same result. A circuit's event is valid
only while it is the latest one scheduled for that circuit; superseded entries are skipped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from heapq import heappop, heappush

from router.circuit import Circuit, CircuitStats
from router.deliveries import Plan, Sent
from topology.topology import Topology

_CIRCUIT = 0
_ARRIVAL = 1


#: Slices of time over which each circuit keeps its deepest queue (for charts of queue depth).
DEPTH_SLICES = 120


def depth_slices(first: float | None, last: float | None, slices: int = DEPTH_SLICES) -> tuple[float, float]:
    """`(depth_from, depth_every)` for a run whose cables enter between `first` and `last`: that span
    cut into `slices` equal slices (of a second at least; from 0 when there is no time at all)."""
    if first is None or last is None:
        return 0.0, 1.0
    return first, max((last - first) / slices, 1.0)


class Network:
    """Every post's circuit, fed with plans at given times and advanced in virtual time.

    Link rate of a post: `link_cps[post]` if given, else `default_cps` if given (it overrides the
    topology for every post), else the topology's rate for the post. `outages[post]` lists
    `(start, end)` windows in which the post's circuit is down. With `depth_every`, each circuit keeps
    its deepest queue per slice of that many seconds from `depth_from` (`Circuit.stats`). Times are
    Unix seconds.
    """

    def __init__(
        self,
        topology: Topology,
        *,
        fifo: bool = False,
        link_cps: Mapping[str, float] | None = None,
        default_cps: float | None = None,
        outages: Mapping[str, Sequence[tuple[float, float]]] | None = None,
        depth_from: float = 0.0,
        depth_every: float | None = None,
    ) -> None:
        self.topology = topology
        self.fifo = fifo
        self._link_cps = dict(link_cps or {})
        self._default_cps = default_cps
        self._outages = {post: list(windows) for post, windows in (outages or {}).items()}
        self._depth_from = depth_from
        self._depth_every = depth_every
        self._circuits: dict[str, Circuit] = {}
        self._heap: list[tuple] = []
        self._seq = 0
        #: The virtual time the network has been advanced to.
        self.now = -math.inf
        #: Deliveries injected so far, and transmissions completed so far.
        self.injected = 0
        self.completed = 0

    @property
    def circuits(self) -> Mapping[str, Circuit]:
        """The circuits created so far, by post RI."""
        return self._circuits

    def link_rate(self, post: str) -> float:
        """The link rate (characters per second) this network uses for a post."""
        rate = self._link_cps.get(post)
        if rate is not None:
            return rate
        if self._default_cps is not None:
            return self._default_cps
        return self.topology.link_cps(post)

    def circuit(self, post: str) -> Circuit:
        """The post's circuit, created on first use."""
        circuit = self._circuits.get(post)
        if circuit is None:
            circuit = Circuit(
                post,
                self.link_rate(post),
                fifo=self.fifo,
                outages=self._outages.get(post, ()),
                depth_from=self._depth_from,
                depth_every=self._depth_every,
            )
            self._circuits[post] = circuit
        return circuit

    def inject(self, plan: Plan, chars: int, at: float) -> None:
        """The plan's deliveries reach their circuits at `at`; a time in the past is taken as now."""
        if not plan.deliveries:
            return
        self._seq += 1
        self.injected += len(plan.deliveries)
        heappush(self._heap, (max(at, self.now), _ARRIVAL, self._seq, plan.deliveries, chars, at))

    def next_event(self) -> float | None:
        """The time of the next pending event, or None when nothing is pending."""
        heap = self._heap
        while heap and heap[0][1] == _CIRCUIT and heap[0][3].event != heap[0][2]:
            heappop(heap)
        return heap[0][0] if heap else None

    def advance(self, until: float) -> list[Sent]:
        """Run every event at or before `until`; the transmissions completed, in time order."""
        heap = self._heap
        circuits = self._circuits
        seq = self._seq
        out: list[Sent] = []
        # A circuit's next event supersedes any earlier one (`Circuit.event` holds its number); this
        # loop runs twice per delivery.
        try:
            while heap and heap[0][0] <= until:
                entry = heappop(heap)
                now = entry[0]
                if entry[1] == _CIRCUIT:
                    circuit = entry[3]
                    if circuit.event != entry[2]:
                        continue
                    sent = circuit.step(now)
                    if sent is not None:
                        out.append(sent)
                    due = circuit.due
                    if due is not None:  # (idle: nothing of the circuit's is left in the heap)
                        seq += 1
                        circuit.event = seq
                        heappush(heap, (due, _CIRCUIT, seq, circuit))
                else:
                    self.now = now
                    chars = entry[4]
                    scheduled_at = entry[5]
                    for delivery in entry[3]:
                        post = delivery.post
                        circuit = circuits.get(post) or self.circuit(post)
                        before = circuit.due
                        circuit.offer(delivery, chars, scheduled_at, now)
                        due = circuit.due
                        if due != before:
                            seq += 1
                            circuit.event = seq
                            if due is not None:
                                heappush(heap, (due, _CIRCUIT, seq, circuit))
                self.now = now
        finally:
            self._seq = seq
        if until != math.inf:
            self.now = max(self.now, until)
        self.completed += len(out)
        return out

    def stats(self) -> list[CircuitStats]:
        """Every circuit's contention figures so far, by post."""
        return [circuit.stats() for _, circuit in sorted(self._circuits.items())]

    def drain(self) -> list[Sent]:
        """Run until nothing is pending; every remaining transmission, in time order."""
        return self.advance(math.inf)
