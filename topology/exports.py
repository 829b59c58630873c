"""Package exports imported on first use, so that importing a package costs next to nothing.

A package lists `{name: module}` and sets `__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)`;
`from router import decode` then imports `router.decoder` at that moment, not when `router` is
imported. (Type checkers read the same names from the package's `if TYPE_CHECKING:` imports.)
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """A module `__getattr__` importing each exported name from its module, and a matching `__dir__`."""

    def __getattr__(name: str) -> object:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    def __dir__() -> list[str]:
        return sorted(set(exports) | set(vars(sys.modules[package])))

    return __getattr__, __dir__
