"""Posts, routing indicators and collectives: the `Topology`, and the files and books it is read from.

Names are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from topology.exports import lazy_exports

if TYPE_CHECKING:
    from topology.books import BookImport, parse_book, read_book, read_books
    from topology.errors import CablerouteError
    from topology.files import (
        TopologyFileError,
        bundled_example,
        dump_topology,
        load_topology,
        parse_topology,
        read_topology,
        write_topology,
    )
    from topology.model import Collective, Member, Post, Resolution, Unresolved
    from topology.plad import normalize_plad
    from topology.ri import RI_PATTERN, looks_like_ri
    from topology.topology import Topology, TopologyImage

#: Each exported name and the module it comes from.
EXPORTS: dict[str, str] = {
    "Topology": "topology.topology",
    "TopologyImage": "topology.topology",
    "Collective": "topology.model",
    "Member": "topology.model",
    "Post": "topology.model",
    "Resolution": "topology.model",
    "Unresolved": "topology.model",
    "RI_PATTERN": "topology.ri",
    "looks_like_ri": "topology.ri",
    "TopologyFileError": "topology.files",
    "bundled_example": "topology.files",
    "dump_topology": "topology.files",
    "load_topology": "topology.files",
    "parse_topology": "topology.files",
    "read_topology": "topology.files",
    "write_topology": "topology.files",
    "BookImport": "topology.books",
    "parse_book": "topology.books",
    "read_book": "topology.books",
    "read_books": "topology.books",
    "normalize_plad": "topology.plad",
    "CablerouteError": "topology.errors",
}

__all__ = [
    "RI_PATTERN",
    "BookImport",
    "CablerouteError",
    "Collective",
    "Member",
    "Post",
    "Resolution",
    "Topology",
    "TopologyFileError",
    "TopologyImage",
    "Unresolved",
    "bundled_example",
    "dump_topology",
    "load_topology",
    "looks_like_ri",
    "normalize_plad",
    "parse_book",
    "parse_topology",
    "read_book",
    "read_books",
    "read_topology",
    "write_topology",
]

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
