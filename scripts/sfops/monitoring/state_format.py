"""The monitor state file's format: versions, strict reading, migration, salvage.

Version 2 (written now): `{"format": "sfops-monitor-state", "version": 2, "alerts": {...},
"history": {...}, "last": {...}, "cycles": N}`. The format name tells our file from any
other JSON that happens to sit at that path.
Version 1 (sfops before the state could be recovered): the same body with `"version": 1` and
no format name; it is migrated as it is read, firing alerts included, so their RESOLVED is sent.

Every field is checked for its type as it is read: a file that does not match raises
`StateError` naming the first problem, and the caller sets it aside. From a file of another
version (or a damaged one whose alerts can still be made out) the firing alerts are salvaged,
so an alert that was open is still resolved and announced.
"""

from __future__ import annotations

from typing import Any

from scripts.sfops.monitoring.alerting import AlertState, Notification, Track

FORMAT = "sfops-monitor-state"
VERSION = 2
KINDS = frozenset({"fire", "remind", "resolve"})


class StateError(ValueError):
    """The state file is not one we can read; the message says why."""


def _number(value: Any, where: str, *, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StateError(f"{where}: expected a number, found {type(value).__name__}")
    return float(value)


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise StateError(f"{where}: expected a whole number >= 0, found {value!r:.40}")
    return value


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise StateError(f"{where}: expected an object, found {type(value).__name__}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise StateError(f"{where}: expected a list, found {type(value).__name__}")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise StateError(f"{where}: expected text, found {type(value).__name__}")
    return value


def _track(data: Any, where: str) -> Track:
    fields = _mapping(data, where)
    unknown = set(fields) - set(Track.__dataclass_fields__)
    if unknown:
        raise StateError(f"{where}: unknown fields {', '.join(sorted(unknown))}")
    firing = fields.get("firing", False)
    if not isinstance(firing, bool):
        raise StateError(f"{where}.firing: expected true or false")
    return Track(
        failures=_count(fields.get("failures", 0), f"{where}.failures"),
        successes=_count(fields.get("successes", 0), f"{where}.successes"),
        firing=firing,
        fired_at=_number(fields.get("fired_at"), f"{where}.fired_at", optional=True),
        last_notified_at=_number(fields.get("last_notified_at"), f"{where}.last_notified_at", optional=True),
        notifications_sent=_count(fields.get("notifications_sent", 0), f"{where}.notifications_sent"),
    )


def _notification(data: Any, where: str) -> Notification:
    fields = _mapping(data, where)
    kind = _text(fields.get("kind"), f"{where}.kind")
    if kind not in KINDS:
        raise StateError(f"{where}.kind: {kind!r:.40} is not one of {', '.join(sorted(KINDS))}")
    channels = [_text(c, f"{where}.channels[]") for c in _list(fields.get("channels", []), f"{where}.channels")]
    created = _number(fields.get("created_at"), f"{where}.created_at")
    return Notification(
        kind, _text(fields.get("track"), f"{where}.track"), _text(fields.get("text"), f"{where}.text"),
        created or 0.0, channels,
    )  # fmt: skip


def _history(data: Any) -> dict[str, list[list[Any]]]:
    history: dict[str, list[list[Any]]] = {}
    for check, samples in _mapping(data, "history").items():
        rows = []
        for sample in _list(samples, f"history.{check}"):
            row = _list(sample, f"history.{check}[]")
            if len(row) != 3:
                raise StateError(f"history.{check}[]: expected [time, latency, status]")
            rows.append([_number(row[0], "time"), _number(row[1], "latency", optional=True), _text(row[2], "status")])
        history[check] = rows
    return history


def _last(data: Any) -> dict[str, dict[str, Any]]:
    last = _mapping(data, "last")
    for check, entry in last.items():
        fields = _mapping(entry, f"last.{check}")
        _text(fields.get("status"), f"last.{check}.status")
        _number(fields.get("at"), f"last.{check}.at")
    return last


def read_body(data: Any) -> tuple[AlertState, dict[str, list[list[Any]]], dict[str, dict[str, Any]], int]:
    """(alerts, history, last, cycles) of a version 1 or 2 document, every field checked."""
    body = _mapping(data, "the file")
    alerts = _mapping(body.get("alerts", {}), "alerts")
    tracks = {name: _track(track, f"alerts.tracks.{name}") for name, track in
              _mapping(alerts.get("tracks", {}), "alerts.tracks").items()}  # fmt: skip
    pending = [_notification(n, "alerts.pending[]") for n in _list(alerts.get("pending", []), "alerts.pending")]
    return (
        AlertState(tracks, pending),
        _history(body.get("history", {})),
        _last(body.get("last", {})),
        _count(body.get("cycles", 0), "cycles"),
    )


def version_of(data: Any) -> int | None:
    """2 for ours, 1 for the previous sfops, None for anything else."""
    if not isinstance(data, dict):
        return None
    if data.get("format") == FORMAT and data.get("version") == VERSION:
        return VERSION
    if "format" not in data and data.get("version") == 1:
        return 1
    return None


def salvage_firing(data: Any) -> dict[str, float | None]:
    """Firing alerts (track -> fired_at) that can be made out of any document, whatever else is wrong."""
    alerts = data.get("alerts") if isinstance(data, dict) else None
    tracks = alerts.get("tracks") if isinstance(alerts, dict) else None
    found: dict[str, float | None] = {}
    if not isinstance(tracks, dict):
        return found
    for name, track in tracks.items():
        if isinstance(name, str) and isinstance(track, dict) and track.get("firing") is True:
            fired = track.get("fired_at")
            found[name] = float(fired) if isinstance(fired, int | float) and not isinstance(fired, bool) else None
    return found
