"""A vendor's documented rate limit, counted per fixed window and reported in the
conventional `X-RateLimit-Limit/Remaining/Reset` headers.

The window is counted and reported but not enforced: rate-limit responses come from
fault injection, where a test decides when they happen.
"""

from __future__ import annotations

import math
import threading
import time


class RateLimitWindow:
    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self._lock = threading.Lock()
        self._window_start = time.time()
        self._count = 0

    def count(self) -> dict[str, str]:
        """Count one request and return the headers to send with its response."""
        with self._lock:
            now = time.time()
            if now - self._window_start >= self.window_s:
                self._window_start = now
                self._count = 0
            self._count += 1
            return {
                "X-RateLimit-Limit": str(self.limit),
                "X-RateLimit-Remaining": str(max(0, self.limit - self._count)),
                "X-RateLimit-Reset": str(math.ceil(self._window_start + self.window_s)),
            }
