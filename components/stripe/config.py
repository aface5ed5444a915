"""The Stripe section of the stack config: the API, the key and the webhook endpoint.

Parsed once by `components.stack_config.load_stack_config`, which hands this module the
`soundfactory:` values and a list to append problems to (each names the key and the fix).
Everything here is checked at preview, before any call to Stripe.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from components.config_values import Problems, parse_bool, parse_url
from components.stripe.catalog import known_api_versions, known_event_types

DEFAULT_API_URL = "https://api.stripe.com"
WEBHOOK_PATH = "/.netlify/functions/stripe-webhook"
# The events the site's stripe-webhook function handles (payments and commissions).
DEFAULT_EVENTS = (
    "checkout.session.completed",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "charge.refunded",
    "transfer.created",
    "application_fee.created",
)
# Pinned on purpose: a new version changes the payloads the site receives, so it is a
# reviewed change (and a new endpoint with a new signing secret), never a silent upgrade.
DEFAULT_API_VERSION = "2026-08-26.dahlia"
PRODUCTION_STACK = "prod"

PLAIN_KEYS = frozenset(
    {
        "stripeApiUrl",
        "stripeWebhookUrl",
        "stripeWebhookEvents",
        "stripeWebhookApiVersion",
        "stripeWebhookDescription",
        "stripeWebhookDisabled",
        "stripeWebhookConnect",
        "stripeWebhookAdoptId",
    }
)
SECRET_KEYS = frozenset({"stripeSecretKey", "stripeWebhookAdoptSecret"})

_KEY = re.compile(r"^(sk|rk)_(live|test)_[0-9A-Za-z]+$")
_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$")
_ENDPOINT_ID = re.compile(r"^we_[0-9A-Za-z]+$")
_WEBHOOK_SECRET = re.compile(r"^whsec_[0-9A-Za-z+/=_-]+$")


@dataclass(frozen=True)
class WebhookAdoption:
    """An endpoint made by hand, taken over once: Stripe never shows its secret again."""

    endpoint_id: str
    secret: str


@dataclass(frozen=True)
class StripeConfig:
    api_url: str
    secret_key: str
    livemode: bool
    webhook_url: str
    enabled_events: tuple[str, ...]
    api_version: str
    description: str
    disabled: bool
    connect: bool
    adopt: WebhookAdoption | None


def _events(values: Mapping[str, str], problems: Problems) -> tuple[str, ...]:
    if "stripeWebhookEvents" not in values:
        return tuple(sorted(DEFAULT_EVENTS))
    text = values["stripeWebhookEvents"]
    events = [part.strip() for part in text.split(",")]
    if not any(events):
        problems.append(
            "stripeWebhookEvents: empty; an endpoint needs at least one event "
            f"(fix: pulumi config set stripeWebhookEvents {','.join(DEFAULT_EVENTS[:2])})"
        )
        return ()
    if "" in events:
        problems.append(f"stripeWebhookEvents: {text!r} has an empty entry (a stray comma?)")
    known = known_event_types()
    for event in events:
        if event and event not in known:
            close = difflib.get_close_matches(event, sorted(known), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            problems.append(f"stripeWebhookEvents: {event!r} is not a Stripe event type{hint}")
    duplicates = sorted({event for event in events if event and events.count(event) > 1})
    if duplicates:
        problems.append(f"stripeWebhookEvents: listed more than once: {', '.join(duplicates)}")
    return tuple(sorted({event for event in events if event}))


def _api_version(values: Mapping[str, str], problems: Problems) -> str:
    version = values.get("stripeWebhookApiVersion", DEFAULT_API_VERSION).strip()
    if not _API_VERSION.match(version):
        problems.append(
            f"stripeWebhookApiVersion: {version!r} is not a Stripe API version; expected YYYY-MM-DD or "
            f"YYYY-MM-DD.name such as {DEFAULT_API_VERSION}"
        )
    elif version not in known_api_versions():
        newest = max(known_api_versions())
        problems.append(
            f"stripeWebhookApiVersion: {version!r} is not a Stripe API version this SDK knows (newest: {newest})"
        )
    return version


def _key_mode(key: str, stack_name: str, problems: Problems) -> bool:
    match = _KEY.match(key)
    if not match:
        if key:
            problems.append("stripeSecretKey: expected a Stripe secret key (sk_live_..., sk_test_..., rk_live_...)")
        return False
    live = match.group(2) == "live"
    if stack_name == PRODUCTION_STACK and not live:
        problems.append(
            "stripeSecretKey: the prod stack needs a live key (sk_live_... or rk_live_...), this is a test key "
            "(fix: pulumi config set --secret stripeSecretKey sk_live_... --stack prod)"
        )
    if stack_name and stack_name != PRODUCTION_STACK and live:
        problems.append(
            f"stripeSecretKey: a live key in stack {stack_name!r}; only prod may use live keys "
            "(fix: pulumi config set --secret stripeSecretKey sk_test_...)"
        )
    return live


def _adoption(values: Mapping[str, str], problems: Problems) -> WebhookAdoption | None:
    endpoint_id = values.get("stripeWebhookAdoptId", "").strip()
    secret = values.get("stripeWebhookAdoptSecret", "").strip()
    if not endpoint_id and not secret:
        return None
    if not endpoint_id or not secret:
        problems.append(
            "stripeWebhookAdoptId and stripeWebhookAdoptSecret go together: the endpoint's id (we_...) and the "
            "signing secret shown when it was made (fix: pulumi config set stripeWebhookAdoptId we_... && "
            "pulumi config set --secret stripeWebhookAdoptSecret whsec_...)"
        )
        return None
    if not _ENDPOINT_ID.match(endpoint_id):
        problems.append(f"stripeWebhookAdoptId: {endpoint_id!r} is not a webhook endpoint id (we_...)")
    if not _WEBHOOK_SECRET.match(secret):
        problems.append("stripeWebhookAdoptSecret: expected the endpoint's signing secret (whsec_...)")
    return WebhookAdoption(endpoint_id, secret)


def parse_stripe_config(
    values: Mapping[str, str], problems: Problems, stack_name: str, site_url: str, secret_key: str
) -> StripeConfig:
    api_url = parse_url("stripeApiUrl", values.get("stripeApiUrl", DEFAULT_API_URL), problems)
    default_url = site_url.rstrip("/") + WEBHOOK_PATH if site_url else ""
    webhook_url = values.get("stripeWebhookUrl", "").strip() or default_url
    if webhook_url:
        webhook_url = parse_url("stripeWebhookUrl", webhook_url, problems)
        if stack_name == PRODUCTION_STACK and not webhook_url.startswith("https://"):
            problems.append(
                f"stripeWebhookUrl: {webhook_url!r}: prod delivers payment events over https only "
                "(fix: use the site's https address, or pulumi config rm stripeWebhookUrl to use siteUrl)"
            )
    return StripeConfig(
        api_url=api_url,
        secret_key=secret_key,
        livemode=_key_mode(secret_key, stack_name, problems),
        webhook_url=webhook_url,
        enabled_events=_events(values, problems),
        api_version=_api_version(values, problems),
        description=values.get("stripeWebhookDescription", "").strip()
        or f"Sound Factory site, managed by Pulumi stack {stack_name or 'unknown'}",
        disabled=parse_bool("stripeWebhookDisabled", values.get("stripeWebhookDisabled", "false"), problems),
        connect=parse_bool("stripeWebhookConnect", values.get("stripeWebhookConnect", "false"), problems),
        adopt=_adoption(values, problems),
    )
