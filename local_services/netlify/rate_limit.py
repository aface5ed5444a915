"""Netlify's documented rate-limit headers (500 requests per minute).

The window is counted and reported but not enforced: rate-limit responses come from
fault injection, where a test decides when they happen.
"""

from __future__ import annotations

import math
import threading
import time

LIMIT_PER_MINUTE = 500
WINDOW_S = 60.0


class RateLimitWindow:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._window_start = time.time()
        self._count = 0

    def count(self) -> dict[str, str]:
        """Count one request and return the headers to send with its response."""
        with self._lock:
            now = time.time()
            if now - self._window_start >= WINDOW_S:
                self._window_start = now
                self._count = 0
            self._count += 1
            return {
                "X-RateLimit-Limit": str(LIMIT_PER_MINUTE),
                "X-RateLimit-Remaining": str(max(0, LIMIT_PER_MINUTE - self._count)),
                "X-RateLimit-Reset": str(math.ceil(self._window_start + WINDOW_S)),
            }
