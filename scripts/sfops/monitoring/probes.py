"""The monitor's probes: each one HTTP exchange (or one API read), run concurrently.

A probe returns a `ProbeResult` with status up / degraded (slower than its limit) /
down / unknown (not enough evidence, e.g. too few SMS in the window). Probes never
raise: a timeout or a refused connection is a "down" with the reason in `detail`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import httpx

from scripts.sfops.monitoring.alerting import DEGRADED, DOWN, UNKNOWN, UP

FUNCTIONS = "/.netlify/functions/"


@dataclass(frozen=True)
class ProbeResult:
    check: str
    status: str
    latency_ms: float | None
    detail: str


class Probe(Protocol):
    name: str
    depends_on: str | None

    async def run(self, client: httpx.AsyncClient) -> ProbeResult: ...


def _timed_status(name: str, latency_ms: float, ok: bool, slow_ms: float, detail: str) -> ProbeResult:
    if not ok:
        return ProbeResult(name, DOWN, latency_ms, detail)
    if latency_ms > slow_ms:
        return ProbeResult(name, DEGRADED, latency_ms, f"{detail}; slow: {latency_ms:.0f} ms > {slow_ms:.0f} ms")
    return ProbeResult(name, UP, latency_ms, detail)


@dataclass
class HttpProbe:
    """GET or POST one URL; down on a transport error or an unexpected status."""

    name: str
    url: str
    method: str = "GET"
    json_body: object | None = None
    ok_statuses: tuple[int, ...] = (200,)
    # Functions: (alive, meaning) of a status, as function_probes.judge says; else ok_statuses decide.
    judge: Callable[[int], tuple[bool, str]] | None = None
    slow_ms: float = 2000.0
    depends_on: str | None = None

    async def run(self, client: httpx.AsyncClient) -> ProbeResult:
        started = time.perf_counter()
        try:
            response = await client.request(self.method, self.url, json=self.json_body)
        except httpx.HTTPError as exc:
            latency = (time.perf_counter() - started) * 1000
            return ProbeResult(self.name, DOWN, latency, f"{type(exc).__name__}: {exc}".strip())
        latency = (time.perf_counter() - started) * 1000
        status = response.status_code
        if self.judge is not None:
            ok, meaning = self.judge(status)
            return _timed_status(self.name, latency, ok, self.slow_ms, f"HTTP {meaning}")
        return _timed_status(self.name, latency, status in self.ok_statuses, self.slow_ms, f"HTTP {status}")


@dataclass(frozen=True)
class Delivery:
    status: int | None
    latency_ms: float
    detail: str


class WebhookDelivery(Protocol):
    """One Stripe event delivered to the site, timed from send to the site's answer.

    Today: `SignedPostDelivery` signs and posts an event itself. The Stripe emulator
    (a later issue) can implement this to report its own delivery attempts instead.
    """

    async def deliver(self, client: httpx.AsyncClient) -> Delivery: ...


def stripe_signature(secret: str, payload: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass
class SignedPostDelivery:
    url: str
    secret: str

    async def deliver(self, client: httpx.AsyncClient) -> Delivery:
        event = {"id": f"evt_monitor_{int(time.time())}", "object": "event", "type": "monitor.ping", "data": {}}
        payload = json.dumps(event, separators=(",", ":")).encode()
        headers = {"Stripe-Signature": stripe_signature(self.secret, payload, int(time.time()))}
        headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            response = await client.post(self.url, content=payload, headers=headers)
        except httpx.HTTPError as exc:
            return Delivery(None, (time.perf_counter() - started) * 1000, type(exc).__name__)
        return Delivery(response.status_code, (time.perf_counter() - started) * 1000, f"HTTP {response.status_code}")


@dataclass
class WebhookLatencyProbe:
    name: str
    delivery: WebhookDelivery
    max_latency_ms: float = 3000.0
    depends_on: str | None = "homepage"

    async def run(self, client: httpx.AsyncClient) -> ProbeResult:
        result = await self.delivery.deliver(client)
        ok = result.status is not None and 200 <= result.status < 300
        detail = result.detail if ok else f"signed event not accepted: {result.detail}"
        return _timed_status(self.name, result.latency_ms, ok, self.max_latency_ms, detail)


FAILED_SMS = frozenset({"failed", "undelivered"})
FINAL_SMS = FAILED_SMS | {"delivered", "sent", "received", "read"}


@dataclass
class SmsFailureRateProbe:
    """Share of failed SMS over a window, read from Twilio's Messages API (all pages)."""

    name: str
    api_url: str
    account_sid: str
    auth_token: str
    window_s: float = 900.0
    min_attempts: int = 20
    max_failure_rate: float = 0.10
    depends_on: str | None = None
    max_pages: int = 20
    page_size: int = 1000  # Twilio's maximum

    async def run(self, client: httpx.AsyncClient) -> ProbeResult:
        since = datetime.now(UTC) - timedelta(seconds=self.window_s)
        url: str | None = f"{self.api_url.rstrip('/')}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        params: dict[str, str] | None = {"DateSent>": since.strftime("%Y-%m-%d"), "PageSize": str(self.page_size)}
        auth = (self.account_sid, self.auth_token)
        started = time.perf_counter()
        attempts = failed = 0
        try:
            for _ in range(self.max_pages):
                if url is None:
                    break
                response = await client.get(url, params=params, auth=auth)
                if response.status_code != 200:
                    message = response.json().get("message", "") if response.content else ""
                    return ProbeResult(self.name, UNKNOWN, None, f"Twilio answered {response.status_code} {message}")
                page = response.json()
                for message in page.get("messages", []):
                    sent = _twilio_time(message.get("date_sent") or message.get("date_created"))
                    if sent is None or sent < since or message.get("status") not in FINAL_SMS:
                        continue
                    attempts += 1
                    failed += message.get("status") in FAILED_SMS
                next_uri = page.get("next_page_uri")
                url, params = (f"{self.api_url.rstrip('/')}{next_uri}" if next_uri else None), None
        except (httpx.HTTPError, ValueError) as exc:
            return ProbeResult(self.name, UNKNOWN, None, f"cannot read Twilio messages: {type(exc).__name__}")
        latency = (time.perf_counter() - started) * 1000
        window = f"{self.window_s / 60:.0f} min"
        if attempts < self.min_attempts:
            return ProbeResult(self.name, UNKNOWN, latency, f"{attempts} SMS in {window} (< {self.min_attempts})")
        rate = failed / attempts
        detail = f"{failed}/{attempts} SMS failed in {window} ({rate:.0%}, limit {self.max_failure_rate:.0%})"
        return ProbeResult(self.name, DOWN if rate > self.max_failure_rate else UP, latency, detail)


def _twilio_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        # RFC 2822, as Twilio writes it: "Wed, 18 Aug 2010 20:01:40 +0000"
        return datetime.strptime(text, "%a, %d %b %Y %H:%M:%S %z")
    except ValueError:
        return None


async def run_probes(probes: list[Probe], timeout_s: float) -> list[ProbeResult]:
    """All probes at once on one connection pool: a cycle takes as long as its slowest probe."""
    limits = httpx.Limits(max_connections=max(10, len(probes) * 2))
    async with httpx.AsyncClient(timeout=timeout_s, limits=limits) as client:
        return list(await asyncio.gather(*(probe.run(client) for probe in probes)))
