"""Keeps the end of a child process's stderr (its error message) without letting the pipe fill."""

from __future__ import annotations

import threading
from typing import IO

KEEP = 16384


class StderrTail:
    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._kept = b""
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        for chunk in iter(lambda: self._stream.read(4096), b""):
            self._kept = (self._kept + chunk)[-KEEP:]

    def last_lines(self, count: int = 3) -> str:
        """The last lines, joined with ' / ' (after the process closed stderr, or 10 s)."""
        self._thread.join(timeout=10)
        lines = self._kept.decode(errors="replace").strip().splitlines()
        return " / ".join(lines[-count:]) or "no message"
