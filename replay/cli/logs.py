"""structlog configuration, done once at the command-line edge. Logs go to standard error.

structlog (and, through it, rich) is imported here only when a command's code logs: the command line
configures logging once it has imported the command's module, and only when that imported structlog.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import structlog


def _stderr_logger(*_args: object) -> structlog.PrintLogger:
    """A logger on whatever `sys.stderr` is now (tests and callers may swap it)."""
    import structlog

    return structlog.PrintLogger(sys.stderr)


def configure_logging(verbosity: int = 0, json: bool = False) -> None:
    """Route structlog to stderr: warnings by default, info with -v, debug with -vv."""
    import structlog

    level = logging.WARNING - 10 * min(verbosity, 2)
    renderer = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
