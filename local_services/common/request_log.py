"""Every vendor API request the emulator saw, for tests that count calls (refresh economy,
no duplicate creates after a retry). Bodies are never kept: they carry secrets."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

# Bounded so a long-running local stack does not grow without limit.
MAX_ENTRIES = 10_000


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=MAX_ENTRIES)

    def record(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        status: int | None,
        fault: str | None,
        invalid: list[str] | None = None,
    ) -> None:
        entry: dict[str, Any] = {"method": method, "path": path, "query": dict(query), "status": status, "fault": fault}
        if invalid:
            # What spec validation found, also when it only warned: a test can tell.
            entry["invalid"] = list(invalid)
        with self._lock:
            self._entries.append({**entry, "ts": time.time()})

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
