"""The Stripe side against the real thing's spec.

- Every request the webhook endpoint component makes is sent, through the official SDK,
  to the official stripe-mock (which validates against Stripe's spec) and must be accepted.
- The same requests to our emulator get answers that match the spec's response schemas
  (tightened: no undocumented property), and what stripe-mock refuses, it refuses too.
- The SDK's enums the config checks at preview agree with the spec for our defaults.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import jsonschema
import pytest
import stripe

from components.stripe.api import stripe_client
from components.stripe.config import DEFAULT_API_VERSION, DEFAULT_EVENTS
from components.stripe.endpoint_resource import create_params, issued_for, managed_metadata, update_params
from local_services.common.spec_validation import tighten
from local_services.stripe import RunningStripe, start_emulator
from local_services.stripe.api import OPERATIONS
from local_services.stripe.spec import event_types, operation, stripe_spec
from local_services.stripe_mock import RunningStripeMock, start_stripe_mock

pytestmark = pytest.mark.contract

KEY = "sk_test_contract0123"
PROPS: dict[str, Any] = {
    "url": "https://example.test/.netlify/functions/stripe-webhook",
    "enabled_events": sorted(DEFAULT_EVENTS),
    "api_version": DEFAULT_API_VERSION,
    "signing_secret_issued_for": issued_for(DEFAULT_API_VERSION, False),
    "description": "Sound Factory site, managed by Pulumi stack contract",
    "metadata": managed_metadata("soundfactory/contract", "stripe-webhook-endpoint", False),
    "disabled": False,
    "connect": False,
}
UPDATES: list[dict[str, Any]] = [
    {"url": "https://other.test/.netlify/functions/stripe-webhook"},
    {"enabled_events": ["charge.refunded"]},
    {"description": "changed"},
    {"disabled": True},
    {"metadata": managed_metadata("soundfactory/contract", "renamed", False)},
]


@pytest.fixture(scope="module")
def stripe_mock() -> Iterator[RunningStripeMock]:
    running = start_stripe_mock()
    yield running
    running.stop()


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[RunningStripe]:
    running = start_emulator(tmp_path / "stripe", keys=[KEY])
    yield running
    running.stop()


def component_calls(client: stripe.StripeClient) -> list[tuple[str, stripe.StripeObject]]:
    """Each kind of call the component makes, in the order of an endpoint's life."""
    calls: list[tuple[str, stripe.StripeObject]] = []
    endpoints = client.v1.webhook_endpoints
    created = endpoints.create(cast(Any, create_params(PROPS)), {"idempotency_key": "contract-create"})
    calls.append(("PostWebhookEndpoints", created))
    connect = endpoints.create(cast(Any, create_params({**PROPS, "connect": True})))
    calls.append(("PostWebhookEndpoints", connect))
    for change in UPDATES:
        params = update_params(PROPS, {**PROPS, **change})
        calls.append(("PostWebhookEndpointsWebhookEndpoint", endpoints.update(created.id, cast(Any, params))))
    calls.append(("GetWebhookEndpointsWebhookEndpoint", endpoints.retrieve(created.id)))
    calls.append(("GetWebhookEndpoints", endpoints.list({"limit": 100})))
    calls.append(("DeleteWebhookEndpointsWebhookEndpoint", endpoints.delete(created.id)))
    endpoints.delete(connect.id)
    return calls


def test_stripe_mock_accepts_every_request_the_component_makes(stripe_mock: RunningStripeMock) -> None:
    calls = component_calls(stripe_client(stripe_mock.api_url, KEY))
    assert [name for name, _ in calls].count("PostWebhookEndpointsWebhookEndpoint") == len(UPDATES)


def _nullable(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` as JSON Schema (draft 4 has no such keyword)."""
    if isinstance(node, dict):
        converted = {key: _nullable(value) for key, value in node.items() if key != "nullable"}
        if node.get("nullable"):
            return {"anyOf": [converted, {"type": "null"}]}
        return converted
    if isinstance(node, list):
        return [_nullable(item) for item in node]
    return node


def response_validator(operation_id: str, status: str = "200") -> jsonschema.Draft4Validator:
    method, path = OPERATIONS[operation_id]
    schema = operation(method, path)["responses"][status]["content"]["application/json"]["schema"]
    components = {"components": {"schemas": tighten(_nullable(stripe_spec()["components"]["schemas"]))}}
    return jsonschema.Draft4Validator({**tighten(_nullable(schema)), **components})


def test_the_emulators_answers_match_the_spec(emulator: RunningStripe) -> None:
    for operation_id, answer in component_calls(stripe_client(emulator.api_url, KEY)):
        body = answer.to_dict()
        errors = sorted(response_validator(operation_id).iter_errors(body), key=str)
        assert not errors, f"{operation_id}: {errors[0].message} at {list(errors[0].absolute_path)}"


def test_the_emulators_errors_match_the_spec(emulator: RunningStripe) -> None:
    validator = response_validator("GetWebhookEndpointsWebhookEndpoint", "default")
    for response in (
        httpx.get(f"{emulator.api_url}/v1/webhook_endpoints/we_missing", headers={"Authorization": f"Bearer {KEY}"}),
        httpx.get(f"{emulator.api_url}/v1/webhook_endpoints", headers={"Authorization": "Bearer sk_test_wrong"}),
    ):
        assert response.status_code in (401, 404)
        assert not list(validator.iter_errors(response.json()))


REFUSED: list[tuple[str, dict[str, Any]]] = [
    ("unknown parameter", {"url": "https://x.test/hook", "enabled_events": ["charge.refunded"], "colour": "red"}),
    ("missing url", {"enabled_events": ["charge.refunded"]}),
    ("bad event name", {"url": "https://x.test/hook", "enabled_events": ["charge.refundd"]}),
    ("bad api version", {"url": "https://x.test/hook", "enabled_events": ["*"], "api_version": "2026/01/01"}),
]


@pytest.mark.parametrize("params", [p for _, p in REFUSED], ids=[n for n, _ in REFUSED])
def test_what_stripe_mock_refuses_the_emulator_refuses(
    stripe_mock: RunningStripeMock, emulator: RunningStripe, params: dict[str, Any]
) -> None:
    statuses = []
    for api_url in (stripe_mock.api_url, emulator.api_url):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            stripe_client(api_url, KEY).v1.webhook_endpoints.create(cast(Any, params))
        statuses.append(refused.value.http_status)
    assert statuses == [400, 400]


def test_the_configs_defaults_are_in_the_spec() -> None:
    assert set(DEFAULT_EVENTS) <= event_types()
    method, path = OPERATIONS["PostWebhookEndpoints"]
    versions = operation(method, path)["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert DEFAULT_API_VERSION in versions["properties"]["api_version"]["enum"]
