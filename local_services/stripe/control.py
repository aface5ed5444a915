"""Stripe's part of the control API under /_emulator (the kit serves health, requests,
faults, config and reset).

POST /_emulator/events       {"type": "checkout.session.completed", "object"?: {...}}: create
                             an event and deliver it to every enabled endpoint that takes it;
                             -> 201 {"event": {...}, "endpoints": [ids]}
GET  /_emulator/deliveries   every delivery attempt: event_id, event_type, endpoint_id,
                             attempt, status (null: no answer), error, latency_ms, at;
                             ?event_id= filters; "pending" counts queued attempts
GET  /_emulator/endpoints    every endpoint as the API renders it (never its secret)
PUT  /_emulator/config       first_retry_s, max_retry_s, max_attempts (delivery retries)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from local_services.common.http_server import HttpError, Request, Response, json_response
from local_services.common.routing import Route
from local_services.stripe.delivery import Deliverer, DeliverySettings, new_event
from local_services.stripe.models import StripeStore, render_endpoint
from local_services.stripe.spec import event_types


class DeliveryKnobs:
    """`VendorSettings`: how deliveries retry."""

    keys = frozenset({"first_retry_s", "max_retry_s", "max_attempts"})

    def __init__(self, settings: DeliverySettings) -> None:
        self.settings = settings

    def describe(self) -> dict[str, Any]:
        s = self.settings
        return {"first_retry_s": s.first_retry_s, "max_retry_s": s.max_retry_s, "max_attempts": s.max_attempts}

    def update(self, changes: Mapping[str, Any]) -> None:
        unknown = sorted(set(changes) - self.keys)
        if unknown:
            raise HttpError(422, f"unknown config keys: {', '.join(unknown)}")
        for key, value in changes.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise HttpError(422, f"{key} must be a positive number")
        if "max_attempts" in changes and not isinstance(changes["max_attempts"], int):
            raise HttpError(422, "max_attempts must be a whole number")
        for key, value in changes.items():
            setattr(self.settings, key, value)


class StripeControl:
    def __init__(self, store: StripeStore, deliverer: Deliverer, livemode: bool, settings: DeliverySettings) -> None:
        self.store = store
        self.deliverer = deliverer
        self.livemode = livemode
        self.settings = DeliveryKnobs(settings)

    def routes(self) -> list[Route]:
        return [
            Route("POST", "/events", self.create_event),
            Route("GET", "/deliveries", self.deliveries),
            Route("GET", "/endpoints", self.endpoints),
        ]

    def create_event(self, request: Request, _params: dict[str, str]) -> Response:
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            raise HttpError(400, 'body must be {"type": "<event type>", "object"?: {...}}')
        if body["type"] not in event_types() or body["type"] == "*":
            raise HttpError(422, f"{body['type']!r} is not an event type of Stripe's spec")
        data_object = body.get("object", {"object": body["type"].rsplit(".", 1)[0]})
        if not isinstance(data_object, dict):
            raise HttpError(400, "object must be a JSON object")
        event = new_event(body["type"], data_object, self.livemode)
        targets = self.deliverer.publish(event)
        return json_response(201, {"event": event, "endpoints": targets})

    def deliveries(self, request: Request, _params: dict[str, str]) -> Response:
        wanted = request.query.get("event_id")
        with self.store.read() as data:
            found = [dict(d) for d in data["deliveries"] if wanted is None or d["event_id"] == wanted]
        return json_response(200, {"deliveries": found, "pending": self.deliverer.pending()})

    def endpoints(self, _request: Request, _params: dict[str, str]) -> Response:
        with self.store.read() as data:
            return json_response(200, [render_endpoint(record) for record in data["endpoints"]])
