"""The Stripe section of the stack config: every bad input named at preview, before any call."""

from __future__ import annotations

import pytest

from components.stack_config import ConfigError, load_stack_config
from components.stripe.config import DEFAULT_API_VERSION, DEFAULT_EVENTS, WEBHOOK_PATH
from tests.unit.test_stack_config import VALID

PROD = {
    **VALID,
    "soundfactory:siteUrl": "https://soundfactorynyc.com",
    "soundfactory:stripeSecretKey": "sk_live_abc123",
}


def problems(raw: dict[str, str], stack: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_stack_config(raw, stack_name=stack)
    return caught.value.problems


def test_defaults_point_the_endpoint_at_the_sites_function() -> None:
    stripe = load_stack_config(VALID, stack_name="local").stripe
    assert stripe.webhook_url == "http://127.0.0.1:2" + WEBHOOK_PATH
    assert stripe.enabled_events == tuple(sorted(DEFAULT_EVENTS))
    assert stripe.api_version == DEFAULT_API_VERSION
    assert not stripe.livemode
    assert not stripe.disabled
    assert "local" in stripe.description


def test_prod_with_a_live_key_and_https_loads() -> None:
    stripe = load_stack_config(PROD, stack_name="prod").stripe
    assert stripe.livemode
    assert stripe.webhook_url == "https://soundfactorynyc.com" + WEBHOOK_PATH


BAD: list[tuple[str, str, dict[str, str], str]] = [
    ("http url in prod", "prod", {"soundfactory:stripeWebhookUrl": "http://soundfactorynyc.com/hook"}, "https only"),
    ("test key in prod", "prod", {"soundfactory:stripeSecretKey": "sk_test_abc"}, "prod stack needs a live key"),
    ("live key outside prod", "staging", {"soundfactory:stripeSecretKey": "rk_live_abc"}, "only prod may use live"),
    (
        "unknown event",
        "local",
        {"soundfactory:stripeWebhookEvents": "checkout.session.complete"},
        "'checkout.session.complete' is not a Stripe event type; did you mean checkout.session.completed?",
    ),
    ("empty event list", "local", {"soundfactory:stripeWebhookEvents": " "}, "stripeWebhookEvents: empty"),
    ("stray comma", "local", {"soundfactory:stripeWebhookEvents": "charge.refunded,"}, "empty entry"),
    ("malformed api version", "local", {"soundfactory:stripeWebhookApiVersion": "2026/08/26"}, "not a Stripe API"),
    ("unknown api version", "local", {"soundfactory:stripeWebhookApiVersion": "2031-01-01"}, "this SDK knows"),
    ("bad disabled flag", "local", {"soundfactory:stripeWebhookDisabled": "yes"}, "allowed values: true, false"),
    ("adopt id alone", "local", {"soundfactory:stripeWebhookAdoptId": "we_123"}, "go together"),
    (
        "adopt id malformed",
        "local",
        {"soundfactory:stripeWebhookAdoptId": "123", "soundfactory:stripeWebhookAdoptSecret": "whsec_abc"},
        "is not a webhook endpoint id",
    ),
]


@pytest.mark.parametrize(("stack", "changes", "expected"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_is_named(stack: str, changes: dict[str, str], expected: str) -> None:
    base = PROD if stack == "prod" else VALID
    found = problems({**base, **changes}, stack)
    assert any(expected in problem for problem in found), found


def test_events_are_normalised_so_order_is_no_change() -> None:
    one = load_stack_config({**VALID, "soundfactory:stripeWebhookEvents": "charge.refunded, transfer.created"})
    two = load_stack_config({**VALID, "soundfactory:stripeWebhookEvents": "transfer.created,charge.refunded"})
    assert one.stripe.enabled_events == two.stripe.enabled_events == ("charge.refunded", "transfer.created")
