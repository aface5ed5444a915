"""What a test (or an operator trying things locally) does to the Stripe emulator: read
endpoints, deliver events, edit an endpoint "in the Dashboard", inject faults."""

from __future__ import annotations

import time
from typing import Any

import stripe

from components.stripe.api import stripe_client
from local_services.emulator_control import KitControl
from local_services.stripe import RunningStripe


class StripeControl(KitControl):
    def __init__(self, api_url: str, key: str) -> None:
        super().__init__(api_url)
        self.api_url = api_url
        self.key = key

    @classmethod
    def attach(cls, emulator: RunningStripe, key: str) -> StripeControl:
        return cls(emulator.api_url, key)

    def client(self) -> stripe.StripeClient:
        return stripe_client(self.api_url, self.key)

    def endpoints(self) -> list[dict[str, Any]]:
        response = self._control.get("/_emulator/endpoints")
        response.raise_for_status()
        found: list[dict[str, Any]] = response.json()
        return found

    def edit_by_hand(self, endpoint_id: str, **params: Any) -> None:
        """As in the Dashboard: url, enabled_events, description, metadata, disabled."""
        self.client().v1.webhook_endpoints.update(endpoint_id, params)  # type: ignore[arg-type]

    def delete_by_hand(self, endpoint_id: str) -> None:
        self.client().v1.webhook_endpoints.delete(endpoint_id)

    def create_by_hand(
        self, url: str, events: list[str], api_version: str | None = None, metadata: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """An endpoint made in the Dashboard (or by another stack): its id and its secret (shown this once)."""
        params: dict[str, Any] = {"url": url, "enabled_events": events}
        if api_version:
            params["api_version"] = api_version
        if metadata:
            params["metadata"] = metadata
        made = self.client().v1.webhook_endpoints.create(params)  # type: ignore[arg-type]
        return {"id": made.id, "secret": made.secret}

    def deliver(self, event_type: str, data_object: dict[str, Any] | None = None) -> dict[str, Any]:
        """Create an event; the emulator delivers it to every enabled endpoint that takes it."""
        body: dict[str, Any] = {"type": event_type}
        if data_object is not None:
            body["object"] = data_object
        response = self._control.post("/_emulator/events", json=body)
        response.raise_for_status()
        created: dict[str, Any] = response.json()
        return created

    def deliveries(self, event_id: str | None = None) -> list[dict[str, Any]]:
        params = {"event_id": event_id} if event_id else {}
        response = self._control.get("/_emulator/deliveries", params=params)
        response.raise_for_status()
        found: list[dict[str, Any]] = response.json()["deliveries"]
        return found

    def wait_for_deliveries(self, timeout_s: float = 30.0) -> None:
        """Until no delivery attempt is queued (retries included)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._control.get("/_emulator/deliveries").json()["pending"] == 0:
                return
            time.sleep(0.1)
        raise TimeoutError(f"Stripe deliveries still pending after {timeout_s:.0f}s")
