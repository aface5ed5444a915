"""The emulator's state ("models"): webhook endpoints, idempotency records, deliveries.

Kept in the kit's `JsonStateStore`, so what a test made survives a restart and a reset
empties it. The secret of an endpoint is stored (deliveries sign with it) but the API
renders it only in the answer to the create.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any, TypedDict

from local_services.common.state_store import JsonStateStore

STATE_FILE = "stripe-state.json"
SCHEMA_VERSION = 1
MAX_ENDPOINTS = 16
IDEMPOTENCY_TTL_S = 24 * 3600


class EndpointRecord(TypedDict):
    id: str
    created: int
    url: str
    enabled_events: list[str]
    description: str | None
    metadata: dict[str, str]
    api_version: str | None
    connect: bool
    status: str
    livemode: bool
    secret: str


class IdempotencyRecord(TypedDict):
    fingerprint: str
    status: int
    body: str
    created: float


class DeliveryRecord(TypedDict):
    event_id: str
    event_type: str
    endpoint_id: str
    attempt: int
    status: int | None  # None: no HTTP answer (connection refused, timeout)
    error: str | None
    latency_ms: float
    at: float


class StripeState(TypedDict):
    version: int
    endpoints: list[EndpointRecord]  # oldest first
    idempotency: dict[str, IdempotencyRecord]
    deliveries: list[DeliveryRecord]


StripeStore = JsonStateStore[StripeState]


def empty_state() -> StripeState:
    return {"version": SCHEMA_VERSION, "endpoints": [], "idempotency": {}, "deliveries": []}


def open_store(data_dir: Path) -> StripeStore:
    return JsonStateStore(
        data_dir, file_name=STATE_FILE, version=SCHEMA_VERSION, empty=empty_state, label="Stripe emulator"
    )


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(18).replace('-', 'A').replace('_', 'z')[:24]}"


def new_endpoint(params: dict[str, Any], livemode: bool) -> EndpointRecord:
    return {
        "id": new_id("we"),
        "created": int(time.time()),
        "url": params["url"],
        "enabled_events": list(params["enabled_events"]),
        "description": params.get("description"),
        "metadata": {k: v for k, v in dict(params.get("metadata") or {}).items() if v != ""},
        "api_version": params.get("api_version"),
        "connect": bool(params.get("connect", False)),
        "status": "enabled",
        "livemode": livemode,
        "secret": "whsec_" + secrets.token_hex(24),
    }


def render_endpoint(record: EndpointRecord, *, with_secret: bool = False) -> dict[str, Any]:
    """A `webhook_endpoint` object as Stripe's API returns it."""
    rendered: dict[str, Any] = {
        "id": record["id"],
        "object": "webhook_endpoint",
        "api_version": record["api_version"],
        "application": None,
        "created": record["created"],
        "description": record["description"],
        "enabled_events": list(record["enabled_events"]),
        "livemode": record["livemode"],
        "metadata": dict(record["metadata"]),
        "status": record["status"],
        "url": record["url"],
    }
    if with_secret:
        rendered["secret"] = record["secret"]
    return rendered
