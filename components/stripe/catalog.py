"""What Stripe accepts, from the pinned `stripe` SDK's own generated types.

The SDK is generated from Stripe's OpenAPI spec: its `Literal` types for the webhook
endpoint's `enabled_events` and `api_version` are the spec's enums at the pinned SDK
version. Reading them here lets a typo fail at preview, before any call to Stripe.
"""

from __future__ import annotations

import typing
from functools import cache

from stripe.params._webhook_endpoint_create_params import WebhookEndpointCreateParams


def _literal_values(annotation: object) -> frozenset[str]:
    """Every string in the Literal nested anywhere inside a typing annotation."""
    found: set[str] = set()
    stack = [annotation]
    while stack:
        current = stack.pop()
        if typing.get_origin(current) is typing.Literal:
            found.update(str(value) for value in typing.get_args(current))
        else:
            stack.extend(typing.get_args(current))
    return frozenset(found)


@cache
def known_event_types() -> frozenset[str]:
    """Event names an endpoint may subscribe to ("*" means all)."""
    return _literal_values(WebhookEndpointCreateParams.__annotations__["enabled_events"])


@cache
def known_api_versions() -> frozenset[str]:
    return _literal_values(WebhookEndpointCreateParams.__annotations__["api_version"])
