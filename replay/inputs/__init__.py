"""Reading inputs: cable files, directories, standard input and Cablegate CSV exports.

Names are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from topology.exports import lazy_exports

if TYPE_CHECKING:
    from replay.inputs.corpus import (
        EXAMPLES_DIR,
        CableText,
        CsvSlice,
        ReadError,
        decode_bytes,
        iter_source_slices,
        iter_sources,
        read_cables,
        read_csv_slice,
    )

#: Each exported name and the module it comes from.
EXPORTS: dict[str, str] = {
    "EXAMPLES_DIR": "replay.inputs.corpus",
    "CableText": "replay.inputs.corpus",
    "CsvSlice": "replay.inputs.corpus",
    "ReadError": "replay.inputs.corpus",
    "decode_bytes": "replay.inputs.corpus",
    "iter_source_slices": "replay.inputs.corpus",
    "iter_sources": "replay.inputs.corpus",
    "read_cables": "replay.inputs.corpus",
    "read_csv_slice": "replay.inputs.corpus",
}

__all__ = [
    "EXAMPLES_DIR",
    "CableText",
    "CsvSlice",
    "ReadError",
    "decode_bytes",
    "iter_source_slices",
    "iter_sources",
    "read_cables",
    "read_csv_slice",
]

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
