"""The monitor's memory between runs: alert counters, pending notifications, latency history.

One JSON file per stack (format and versions: `state_format.py`), replaced atomically, and
read-modify-written under an flock so two overlapping cron runs count each cycle once. A file
that cannot be read is moved aside and monitoring goes on (`recover`). The status page reads
the same file.
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

from scripts.sfops.monitoring.alerting import AlertState, Track
from scripts.sfops.monitoring.state_format import FORMAT, VERSION, StateError, read_body, salvage_firing, version_of

__all__ = ["MonitorState", "StateError", "default_state_file", "load", "locked", "now", "recover"]

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
            "format": FORMAT,
            "version": VERSION,
            "alerts": self.alerts.to_json(),
            "history": self.history,
            "last": self.last,
            "cycles": self.cycles,
        }


def parse(raw: bytes) -> MonitorState:
    """A state file's bytes (version 2, or 1 migrated); StateError names what does not fit."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise StateError(f"not UTF-8 (byte {exc.start})") from None
    except ValueError as exc:
        raise StateError(f"not JSON ({exc})") from None
    version = version_of(data)
    if version is None:
        found = data.get("version", "none") if isinstance(data, dict) else "none"
        raise StateError(f"not a monitor state of version 1 or {VERSION} (format {FORMAT!r}; version {found!r:.20})")
    alerts, history, last, cycles = read_body(data)
    return MonitorState(alerts, history, last, cycles)


def load(path: Path) -> MonitorState:
    """Read only (the status page): a missing file is a fresh state; a bad one raises StateError."""
    try:
        return parse(path.read_bytes())
    except FileNotFoundError:
        return MonitorState()


def _salvaged(raw: bytes) -> MonitorState:
    """A fresh state that still knows which alerts were firing, so their RESOLVED goes out."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError is one
        return MonitorState()
    fresh = MonitorState()
    for name, fired_at in salvage_firing(data).items():
        fresh.alerts.tracks[name] = Track(firing=True, fired_at=fired_at, last_notified_at=fired_at)
    return fresh


def recover(path: Path) -> tuple[MonitorState, str | None]:
    """The state at `path`, or, when it cannot be read, a fresh one and what was done about it.

    A damaged or foreign file is moved aside (kept for inspection, never deleted) so the next
    run starts clean instead of failing on it forever; firing alerts that can be made out of
    it are carried over.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return MonitorState(), None
    try:
        return parse(raw), None
    except StateError as exc:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        aside = path.with_name(f"{path.name}.unreadable-{stamp}")
        os.replace(path, aside)
        fresh = _salvaged(raw)
        kept = fresh.alerts.firing()
        carried = f"; still firing: {', '.join(kept)}" if kept else "; alerts start afresh from the next failures"
        return fresh, f"state file {path} could not be read ({exc}): moved to {aside.name}{carried}"


@contextlib.contextmanager
def locked(path: Path) -> Iterator[tuple[MonitorState, str | None]]:
    """Load (recovering a bad file), let the caller change, then save atomically, all under one lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state, note = recover(path)
        yield state, note
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".monitor-", suffix=".json")
        try:
            with os.fdopen(handle, "w") as out:
                json.dump(state.to_json(), out, separators=(",", ":"))
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise


def now() -> float:
    return time.time()
