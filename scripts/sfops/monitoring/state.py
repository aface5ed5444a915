"""The monitor's memory between runs: alert counters, pending notifications, latency history.

One JSON file per stack, replaced atomically, and read-modify-written under an flock so
two overlapping cron runs count each cycle once. The status page reads the same file.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.sfops.monitoring.alerting import AlertState

STATE_DIR_ENV = "SFOPS_STATE_DIR"
HISTORY_S = 6 * 3600  # the status page's chart covers the last hours
MAX_SAMPLES = 2000  # per check, whatever the interval


def default_state_file(stack: str) -> Path:
    base = os.environ.get(STATE_DIR_ENV) or os.path.join(
        os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state"), "soundfactory-infra"
    )
    return Path(base) / f"monitor-{stack}.json"


@dataclass
class MonitorState:
    alerts: AlertState = field(default_factory=AlertState)
    # check -> [[unix time, latency ms or null, status], ...]
    history: dict[str, list[list[Any]]] = field(default_factory=dict)
    last: dict[str, dict[str, Any]] = field(default_factory=dict)
    cycles: int = 0

    def record(self, check: str, now: float, latency_ms: float | None, status: str, detail: str) -> None:
        samples = self.history.setdefault(check, [])
        samples.append([round(now, 3), None if latency_ms is None else round(latency_ms, 1), status])
        cutoff = now - HISTORY_S
        self.history[check] = [s for s in samples if s[0] >= cutoff][-MAX_SAMPLES:]
        self.last[check] = {"status": status, "latency_ms": latency_ms, "detail": detail, "at": now}

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "alerts": self.alerts.to_json(),
            "history": self.history,
            "last": self.last,
            "cycles": self.cycles,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MonitorState:
        return cls(
            alerts=AlertState.from_json(data.get("alerts", {})),
            history=data.get("history", {}),
            last=data.get("last", {}),
            cycles=int(data.get("cycles", 0)),
        )


def load(path: Path) -> MonitorState:
    try:
        return MonitorState.from_json(json.loads(path.read_text()))
    except FileNotFoundError:
        return MonitorState()


@contextlib.contextmanager
def locked(path: Path) -> Iterator[MonitorState]:
    """Load, let the caller change, then save atomically, all under one lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = load(path)
        yield state
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".monitor-", suffix=".json")
        with os.fdopen(handle, "w") as out:
            json.dump(state.to_json(), out, separators=(",", ":"))
        os.replace(temporary, path)


def now() -> float:
    return time.time()
