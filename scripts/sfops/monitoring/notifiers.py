"""Slack and Discord incoming webhooks, each in its vendor's payload format.

Slack: POST {"text", "blocks"}; answers 200 "ok". Discord: POST {"content", "embeds"}
(content at most 2000 characters); answers 204. Both rate-limit with 429 and
Retry-After; 429 and 5xx are retried a few times within the cycle (components'
shared retry policy), and a notification that still fails stays pending for the
next cycle. Webhook URLs are credentials: they come from the environment only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from components.http_retry import RetryExhausted, RetryPolicy, send_with_retry
from scripts.sfops.monitoring.alerting import Notification

SLACK_ENV = "SFOPS_SLACK_WEBHOOK_URL"
DISCORD_ENV = "SFOPS_DISCORD_WEBHOOK_URL"
# Short: a dead webhook must not hold up the next probe cycle for long.
NOTIFY_POLICY = RetryPolicy(attempts=3, base_delay_s=0.2, max_delay_s=2.0, max_rate_limit_wait_s=10.0)
COLORS = {"fire": 0xD93025, "remind": 0xF29900, "resolve": 0x1E8E3E}


class Notifier(Protocol):
    channel: str

    def payload(self, notification: Notification) -> dict[str, Any]: ...

    def send(self, notification: Notification) -> bool: ...


@dataclass
class _Webhook:
    channel: str
    url: str
    timeout_s: float = 10.0

    def payload(self, notification: Notification) -> dict[str, Any]:
        raise NotImplementedError

    def send(self, notification: Notification) -> bool:
        body = self.payload(notification)
        with httpx.Client(timeout=self.timeout_s) as client:
            try:
                response = send_with_retry(lambda: client.post(self.url, json=body), NOTIFY_POLICY)
            except (RetryExhausted, httpx.HTTPError):
                return False
        return 200 <= response.status_code < 300


class SlackNotifier(_Webhook):
    def payload(self, notification: Notification) -> dict[str, Any]:
        return {
            "text": notification.text,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{notification.text}*"}}],
        }


class DiscordNotifier(_Webhook):
    def payload(self, notification: Notification) -> dict[str, Any]:
        return {
            "content": notification.text[:2000],
            "embeds": [
                {
                    "title": notification.kind.upper(),
                    "description": notification.text[:4096],
                    "color": COLORS.get(notification.kind, 0),
                }
            ],
            "allowed_mentions": {"parse": []},
        }


def notifiers_from_env() -> list[Notifier]:
    found: list[Notifier] = []
    if os.environ.get(SLACK_ENV):
        found.append(SlackNotifier("slack", os.environ[SLACK_ENV]))
    if os.environ.get(DISCORD_ENV):
        found.append(DiscordNotifier("discord", os.environ[DISCORD_ENV]))
    return found
