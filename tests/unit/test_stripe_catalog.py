"""The catalog reads Stripe's enums from the SDK's source without importing it: the same sets as the SDK's types."""

from __future__ import annotations

import subprocess
import sys
import typing

from components.stripe import catalog


def _literal_values(annotation: object) -> frozenset[str]:
    found: set[str] = set()
    stack = [annotation]
    while stack:
        current = stack.pop()
        if typing.get_origin(current) is typing.Literal:
            found.update(str(value) for value in typing.get_args(current))
        else:
            stack.extend(typing.get_args(current))
    return frozenset(found)


def test_catalog_matches_the_imported_sdk_types() -> None:
    from stripe.params._webhook_endpoint_create_params import WebhookEndpointCreateParams

    hints = WebhookEndpointCreateParams.__annotations__
    assert catalog.known_event_types() == _literal_values(hints["enabled_events"])
    assert catalog.known_api_versions() == _literal_values(hints["api_version"])
    assert "checkout.session.completed" in catalog.known_event_types()
    assert "*" in catalog.known_event_types()


def test_reading_the_catalog_does_not_import_the_sdk() -> None:
    code = (
        "import sys; from components.stripe import catalog; catalog.known_event_types();"
        "print(sorted(m for m in sys.modules if m == 'stripe' or m.startswith('stripe.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
