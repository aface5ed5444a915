"""The webhook endpoint provider's pure parts: what replaces, what updates, what a create sends."""

from __future__ import annotations

from typing import Any

from components.stripe.endpoint_resource import (
    WebhookEndpointProvider,
    create_params,
    idempotency_keys,
    issued_for,
    managed_metadata,
    update_params,
)

BASE: dict[str, Any] = {
    "api_url": "http://127.0.0.1:1",
    "url": "https://example.test/.netlify/functions/stripe-webhook",
    "enabled_events": ["charge.refunded", "transfer.created"],
    "api_version": "2026-08-26.dahlia",
    "signing_secret_issued_for": issued_for("2026-08-26.dahlia", False),
    "description": "d",
    "metadata": managed_metadata("soundfactory/it", "stripe-webhook-endpoint", False),
    "disabled": False,
    "connect": False,
    "livemode": False,
}


def diff(**changes: Any) -> tuple[bool | None, list[str]]:
    result = WebhookEndpointProvider().diff("we_1", BASE, {**BASE, **changes})
    return result.changes, list(result.replaces or [])


def test_no_change_is_no_diff() -> None:
    assert diff() == (False, [])
    assert diff(enabled_events=["transfer.created", "charge.refunded"]) == (False, [])


def test_stripe_updatable_fields_update_in_place() -> None:
    for change in ({"url": "https://other.test/hook"}, {"disabled": True}, {"description": "x"}):
        assert diff(**change) == (True, [])


def test_api_version_and_connect_replace_and_say_the_secret_rotates() -> None:
    changes, replaces = diff(api_version="2026-09-30.endive")
    assert changes
    assert replaces == ["api_version", "signing_secret_issued_for"]
    assert diff(connect=True)[1] == ["connect", "signing_secret_issued_for"]


def test_a_new_api_address_is_an_update_not_a_replacement() -> None:
    assert diff(api_url="http://127.0.0.1:2") == (True, [])


def test_update_sends_only_what_changed_and_unsets_dropped_metadata() -> None:
    olds = {**BASE, "metadata": {**BASE["metadata"], "note": "by hand"}}
    params = update_params(olds, {**BASE, "disabled": True})
    assert params == {"disabled": True, "metadata": {"note": "", **BASE["metadata"]}}


def test_idempotency_keys_depend_on_the_request_and_are_a_fixed_sequence() -> None:
    keys = idempotency_keys(BASE)
    assert keys == idempotency_keys(dict(BASE))
    assert len(set(keys)) == len(keys)
    assert all(len(key) <= 255 for key in keys)
    assert idempotency_keys({**BASE, "api_version": "2026-09-30.endive"})[0] != keys[0]
    other_stack = {**BASE, "metadata": managed_metadata("soundfactory/prod", "stripe-webhook-endpoint", False)}
    assert idempotency_keys(other_stack)[0] != keys[0]


def test_create_sends_connect_only_when_asked() -> None:
    assert "connect" not in create_params(BASE)
    assert create_params({**BASE, "connect": True})["connect"] is True
