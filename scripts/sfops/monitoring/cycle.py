"""One monitor cycle: probe everything at once, judge, notify, remember, log (JSON lines).

Log lines carry check names, statuses, latencies and alert texts, never credentials:
a structlog processor replaces every known secret value (the stack's secrets, the
webhook URLs) wherever it appears, as a last line of defence.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import structlog

from scripts.sfops.backup.log_setup import redactor
from scripts.sfops.monitoring import alerting, state
from scripts.sfops.monitoring.notifiers import Notifier
from scripts.sfops.monitoring.probes import Probe, ProbeResult, run_probes

REDACTED = "[redacted]"


def make_logger(secrets: Iterable[str], stream: TextIO | None = None) -> structlog.typing.FilteringBoundLogger:
    logger: structlog.typing.FilteringBoundLogger = structlog.wrap_logger(
        structlog.PrintLogger(stream or sys.stderr),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redactor([s for s in secrets if len(s) >= 4], REDACTED),
            structlog.processors.JSONRenderer(sort_keys=True),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(0),
    )
    return logger


@dataclass
class Monitor:
    probes: list[Probe]
    policy: alerting.AlertPolicy
    notifiers: list[Notifier]
    state_file: Path
    log: structlog.typing.FilteringBoundLogger
    timeout_s: float = 10.0
    policies: dict[str, alerting.AlertPolicy] | None = None
    # What happened to a state file that could not be read (the command shows it).
    notes: list[str] = field(default_factory=list)

    def cycle(self) -> tuple[list[ProbeResult], list[str]]:
        """Run one cycle; returns the results and the alerts firing afterwards."""
        results = asyncio.run(run_probes(self.probes, self.timeout_s))
        depends = {p.name: p.depends_on for p in self.probes if p.depends_on}
        statuses = alerting.suppress({r.check: r.status for r in results}, depends)
        details = {r.check: r.detail for r in results}
        now = state.now()
        with state.locked(self.state_file) as (memory, note):
            if note is not None:
                self.log.warning("state_recovered", detail=note)
                self.notes.append(note)
            memory.cycles += 1
            for result in results:
                status = statuses[result.check]
                memory.record(result.check, now, result.latency_ms, status, result.detail)
                self.log.info(
                    "probe", check=result.check, status=status, latency_ms=result.latency_ms, detail=result.detail
                )
            channels = [n.channel for n in self.notifiers]
            alerting.evaluate(memory.alerts, statuses, details, self.policy, channels, now, self.policies)
            self._deliver(memory.alerts, now)
            firing = memory.alerts.firing()
        return results, firing

    def _deliver(self, alerts: alerting.AlertState, now: float) -> None:
        by_channel = {n.channel: n for n in self.notifiers}
        for notification in list(alerts.pending):
            if not notification.channels:
                alerting.mark_delivered(alerts, notification, "", now)
                self.log.warning("alert", kind=notification.kind, track=notification.track, text=notification.text)
                continue
            for channel in list(notification.channels):
                notifier = by_channel.get(channel)
                if notifier is None:
                    # A channel configured when it was queued and gone now: nobody to tell there.
                    alerting.mark_delivered(alerts, notification, channel, now)
                    continue
                delivered = notifier.send(notification)
                self.log.warning(
                    "alert",
                    kind=notification.kind,
                    track=notification.track,
                    channel=channel,
                    delivered=delivered,
                    text=notification.text,
                )
                if delivered:
                    alerting.mark_delivered(alerts, notification, channel, now)
