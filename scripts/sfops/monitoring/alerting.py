"""When an alert fires, reminds and resolves: a pure state machine over probe results.

The rules operators can trust (Gatus' alerting, Alertmanager, the SRE workbook):
- an alert fires once, when a check's consecutive failures reach `fire_after` (5);
- it resolves after `resolve_after` (2) consecutive successes; flapping below the
  threshold never fires (every success resets the failure count);
- while it fires, a reminder goes out at most every `remind_every_s`;
- a notification counts as sent only when every channel accepted it; until then it
  stays pending and is retried next cycle (a resolve of an alert whose fire never got
  out is dropped with it: nobody was told, so nobody needs the all-clear);
- "down" and "degraded" (slow) are separate tracks with separate alerts;
- a check that depends on another (a function on the homepage) is suppressed while
  that one is down: its counters stand still, so the homepage alert speaks alone.

The whole state is plain data, persisted between runs (cron's MONITOR_CYCLES=1).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

UP, DEGRADED, DOWN, UNKNOWN, SUPPRESSED = "up", "degraded", "down", "unknown", "suppressed"


@dataclass(frozen=True)
class AlertPolicy:
    fire_after: int = 5
    resolve_after: int = 2
    remind_every_s: float = 3600.0


@dataclass
class Notification:
    kind: str  # fire | remind | resolve
    track: str
    text: str
    created_at: float
    channels: list[str]  # still to deliver to


@dataclass
class Track:
    failures: int = 0
    successes: int = 0
    firing: bool = False
    fired_at: float | None = None
    last_notified_at: float | None = None
    notifications_sent: int = 0


@dataclass
class AlertState:
    tracks: dict[str, Track] = field(default_factory=dict)
    pending: list[Notification] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"tracks": {k: asdict(v) for k, v in self.tracks.items()}, "pending": [asdict(n) for n in self.pending]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AlertState:
        return cls(
            tracks={k: Track(**v) for k, v in data.get("tracks", {}).items()},
            pending=[Notification(**n) for n in data.get("pending", [])],
        )

    def firing(self) -> list[str]:
        return sorted(name for name, track in self.tracks.items() if track.firing)


def track_name(check: str, status_kind: str) -> str:
    return check if status_kind == DOWN else f"{check}:{DEGRADED}"


def _outcome(kind: str, status: str) -> bool | None:
    """True: a success for this track; False: a failure; None: no evidence either way."""
    if status in (UNKNOWN, SUPPRESSED):
        return None
    if kind == DOWN:
        return status != DOWN
    if status == DOWN:
        return None  # a down check says nothing about its speed
    return status != DEGRADED


def suppress(results: dict[str, str], depends_on: dict[str, str]) -> dict[str, str]:
    """Results with every dependent of a down check marked suppressed."""
    return {
        check: SUPPRESSED if results.get(depends_on.get(check, ""), UP) == DOWN else status
        for check, status in results.items()
    }


def evaluate(
    state: AlertState,
    results: dict[str, str],
    details: dict[str, str],
    policy: AlertPolicy,
    channels: list[str],
    now: float,
    policies: dict[str, AlertPolicy] | None = None,
) -> None:
    """Advance every track by one cycle's (already suppressed) results; queue notifications."""
    for check, status in results.items():
        check_policy = (policies or {}).get(check, policy)
        for kind in (DOWN, DEGRADED):
            outcome = _outcome(kind, status)
            if outcome is None:
                continue
            name = track_name(check, kind)
            track = state.tracks.setdefault(name, Track())
            what = "is down" if kind == DOWN else "is degraded (slow)"
            if outcome:
                track.successes += 1
                track.failures = 0
                if track.firing and track.successes >= check_policy.resolve_after:
                    track.firing = False
                    undelivered_fire = [n for n in state.pending if n.track == name and n.kind == "fire"]
                    state.pending = [n for n in state.pending if n.track != name]
                    if not undelivered_fire:
                        text = f"RESOLVED: {check} is healthy again ({details.get(check, status)})"
                        state.pending.append(Notification("resolve", name, text, now, list(channels)))
            else:
                track.failures += 1
                track.successes = 0
                if not track.firing and track.failures >= check_policy.fire_after:
                    track.firing = True
                    track.fired_at = now
                    text = f"ALERT: {check} {what}: {details.get(check, status)} ({track.failures} checks in a row)"
                    state.pending.append(Notification("fire", name, text, now, list(channels)))
                elif track.firing and _remind_due(state, name, track, check_policy, now):
                    since = human_time(track.fired_at, now)
                    text = f"STILL FIRING: {check} {what} since {since}: {details.get(check, status)}"
                    state.pending.append(Notification("remind", name, text, now, list(channels)))


def human_time(at: float | None, now: float) -> str:
    """`2026-01-02 03:04 UTC (1h 5m ago)`: what an operator reads in a reminder, not an epoch."""
    if at is None:
        return "an unknown time"
    stamp = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    minutes = max(0, int(now - at) // 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    ago = f"{days}d {hours}h" if days else f"{hours}h {minutes}m" if hours else f"{minutes}m"
    return f"{stamp} ({ago} ago)"


def _remind_due(state: AlertState, name: str, track: Track, policy: AlertPolicy, now: float) -> bool:
    if any(n.track == name for n in state.pending):
        return False  # still trying to deliver the last one: no pile-up
    last = track.last_notified_at if track.last_notified_at is not None else track.fired_at or now
    return now - last >= policy.remind_every_s


def mark_delivered(state: AlertState, notification: Notification, channel: str, now: float) -> None:
    notification.channels = [c for c in notification.channels if c != channel]
    if not notification.channels:
        state.pending = [n for n in state.pending if n is not notification]
        track = state.tracks.setdefault(notification.track, Track())
        track.last_notified_at = now
        track.notifications_sent += 1
