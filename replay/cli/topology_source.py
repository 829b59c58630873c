"""Which topology a command uses: the `--topology` files, or what the cables themselves teach."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from os import PathLike
from pathlib import Path

from router.learn import learn_topology
from router.model import Cable
from topology.files import bundled_example, load_topology
from topology.topology import Topology


def topology_for(topology_paths: Sequence[str | PathLike[str]], cables: Iterable[Cable]) -> Topology:
    """The topology for a run over `cables`.

    With `--topology` files: those files layered in order, later files winning (the cables are not
    looked at). Without: what `learn_topology` finds in the cables, with the bundled example
    topology on top (the hand-written entries win where both describe a post or collective; their
    members and aliases are merged). Raises `topology.files.TopologyFileError` for a bad file.
    """
    if topology_paths:
        return load_topology([Path(path) for path in topology_paths])
    return learn_topology(cables).layered(bundled_example())
