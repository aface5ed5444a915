"""JSON log lines on stderr (cron appends them to backup.log): one object per event, UTC timestamps."""

from __future__ import annotations

import sys
from collections.abc import Iterable, MutableMapping
from typing import Any

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


def redactor(secrets: Iterable[str], marker: str) -> structlog.types.Processor:
    """A processor that replaces each secret in every string value of an event with `marker`.

    Longest first: a secret that contains another is replaced whole, not in part.
    """
    values = sorted({secret for secret in secrets if secret}, key=len, reverse=True)

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            for secret in values:
                value = value.replace(secret, marker)
        return value

    def processor(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        return {key: scrub(value) for key, value in event.items()}

    return processor
