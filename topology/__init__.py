"""Posts, routing indicators and collectives."""

from topology.model import Collective, Member, Post, Unresolved
from topology.topology import Topology

__all__ = ["Collective", "Member", "Post", "Topology", "Unresolved"]
