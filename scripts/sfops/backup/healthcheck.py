"""Optional pings to a healthchecks.io-style URL: `<url>/start`, `<url>` on success, `<url>/fail`.

A ping that fails is logged and ignored: monitoring must never break the backup. The URL
itself often carries a token, so it is never logged.
"""

from __future__ import annotations

import httpx
import structlog

SUFFIX = {"start": "/start", "success": "", "failure": "/fail"}


def ping(url: str | None, event: str, body: str = "") -> None:
    if not url:
        return
    log = structlog.get_logger()
    try:
        httpx.post(url.rstrip("/") + SUFFIX[event], content=body.encode()[:10_000], timeout=10.0).raise_for_status()
    except httpx.HTTPError as exc:
        log.warning("healthcheck.ping_failed", ping=event, error=type(exc).__name__)
