"""Event delivery as Stripe does it.

An event goes to every enabled endpoint whose `enabled_events` match its type ("*"
matches all), as a JSON POST signed `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of
"<t>.<body>" keyed with the endpoint's secret>`. A 2xx answer is a success; anything
else (another status, a refused connection, a timeout) is retried with exponential
backoff until `max_attempts`. Each attempt is recorded with its status and latency.
A background thread sends, so the control call that creates an event returns at once.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from local_services.stripe.models import DeliveryRecord, EndpointRecord, StripeStore, new_id


def signature_header(secret: str, payload: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def matches(endpoint: EndpointRecord, event_type: str) -> bool:
    return endpoint["status"] == "enabled" and (
        "*" in endpoint["enabled_events"] or event_type in endpoint["enabled_events"]
    )


def new_event(event_type: str, data_object: dict[str, Any], livemode: bool) -> dict[str, Any]:
    return {
        "id": new_id("evt"),
        "object": "event",
        "api_version": None,
        "created": int(time.time()),
        "data": {"object": data_object},
        "livemode": livemode,
        "pending_webhooks": 0,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


@dataclass(order=True)
class _Attempt:
    due: float
    attempt: int
    event: dict[str, Any] = field(compare=False)
    endpoint_id: str = field(compare=False)
    generation: int = field(default=0, compare=False)


@dataclass
class DeliverySettings:
    first_retry_s: float = 0.5
    max_retry_s: float = 5.0
    max_attempts: int = 10
    timeout_s: float = 10.0


class Deliverer:
    def __init__(self, store: StripeStore, settings: DeliverySettings) -> None:
        self.store = store
        self.settings = settings
        self._queue: list[_Attempt] = []
        self._wake = threading.Condition()
        # Held while an attempt is sent and recorded: clear() waits for it, so a reset (the test
        # fixtures reset the emulator between tests) never finds an attempt of the previous
        # state recorded, or its retry queued, after it returns.
        self._sending = threading.Lock()
        self._generation = 0  # attempts queued before the last clear() are dropped, not sent
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="stripe-delivery", daemon=True)
        self._thread.start()

    def publish(self, event: dict[str, Any]) -> list[str]:
        """Queue `event` for every endpoint that takes it; the ids of those endpoints."""
        with self.store.read() as data:
            targets = [e["id"] for e in data["endpoints"] if matches(e, event["type"])]
        event["pending_webhooks"] = len(targets)
        with self._wake:
            for endpoint_id in targets:
                heapq.heappush(self._queue, _Attempt(time.monotonic(), 1, event, endpoint_id, self._generation))
            self._wake.notify()
        return targets

    def pending(self) -> int:
        with self._wake:
            return len(self._queue)

    def clear(self) -> None:
        """Drop every queued attempt, after the one being sent (if any) is recorded."""
        with self._sending, self._wake:
            self._queue.clear()
            self._generation += 1

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        with httpx.Client(timeout=self.settings.timeout_s) as client:
            while True:
                with self._wake:
                    while not self._stopped and (not self._queue or self._queue[0].due > time.monotonic()):
                        self._wake.wait(timeout=(self._queue[0].due - time.monotonic()) if self._queue else None)
                    if self._stopped:
                        return
                    attempt = heapq.heappop(self._queue)
                with self._sending:
                    if attempt.generation == self._generation:
                        self._send(client, attempt)

    def _send(self, client: httpx.Client, attempt: _Attempt) -> None:
        with self.store.read() as data:
            endpoint = next((e for e in data["endpoints"] if e["id"] == attempt.endpoint_id), None)
            if endpoint is not None:
                endpoint = dict(endpoint)  # type: ignore[assignment]
        if endpoint is None:
            return  # deleted meanwhile: Stripe drops its pending retries
        event = {**attempt.event, "api_version": endpoint["api_version"]}
        payload = json.dumps(event, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": signature_header(endpoint["secret"], payload, int(time.time())),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        try:
            status = client.post(endpoint["url"], content=payload, headers=headers).status_code
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        record: DeliveryRecord = {
            "event_id": event["id"],
            "event_type": event["type"],
            "endpoint_id": endpoint["id"],
            "attempt": attempt.attempt,
            "status": status,
            "error": error,
            "latency_ms": round((time.perf_counter() - started) * 1000, 2),
            "at": time.time(),
        }
        with self.store.mutate() as data:
            data["deliveries"].append(record)
        succeeded = status is not None and 200 <= status < 300
        if not succeeded and attempt.attempt < self.settings.max_attempts:
            delay = min(self.settings.max_retry_s, self.settings.first_retry_s * 2 ** (attempt.attempt - 1))
            retry = _Attempt(
                time.monotonic() + delay, attempt.attempt + 1, attempt.event, attempt.endpoint_id, attempt.generation
            )
            with self._wake:
                heapq.heappush(self._queue, retry)
                self._wake.notify()
