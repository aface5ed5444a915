"""JSON log lines on stderr (cron appends them to backup.log): one object per event, UTC timestamps."""

from __future__ import annotations

import sys

import structlog


def configure_json_logging() -> None:
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(sort_keys=True),
        ],
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
