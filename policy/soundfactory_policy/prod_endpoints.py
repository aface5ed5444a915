"""On `prod`: https everywhere (webhook URLs, API bases, the site) and live Stripe keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from soundfactory_policy.policy_kit import mandatory_policy
from soundfactory_policy.resources import (
    BUCKET,
    ENV_VAR,
    PRODUCTION_STACK,
    STRIPE_WEBHOOK_ENDPOINT,
    context_values,
    is_https,
    known,
    stack_of,
)

LIVE_KEY_PREFIXES = ("sk_live_", "rk_live_")
URL_VARIABLES = ("SUPABASE_URL",)


def _https(what: str, url: Any) -> list[str]:
    return [] if not known(url) or is_https(url) else [f"{what} is {url!r}, not an https URL"]


def production_problems(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    if resource_type == STRIPE_WEBHOOK_ENDPOINT:
        problems += _https("the Stripe webhook URL", props.get("url"))
        if known(props.get("livemode")) and props.get("livemode") is not True:
            problems.append("the Stripe webhook endpoint is not in live mode (a test key on prod)")
    elif resource_type == ENV_VAR:
        key = str(props.get("key", ""))
        problems += _https("the Netlify API base", props.get("api_url"))
        problems += _https("the site URL", props.get("site_url"))
        values = context_values(props)
        if key in URL_VARIABLES:
            for context, value in sorted(values.items()):
                problems += _https(f"{key} ({context})", value)
        if key == "STRIPE_SECRET_KEY":
            for context, value in sorted(values.items()):
                if not str(value).startswith(LIVE_KEY_PREFIXES):
                    problems.append(f"STRIPE_SECRET_KEY ({context}) is not a live key (sk_live_ or rk_live_)")
    elif resource_type == BUCKET:
        problems += _https("the S3 endpoint", props.get("endpoint_url"))
    return problems


def _problems(args: ResourceValidationArgs) -> list[str]:
    if stack_of(args.urn) != PRODUCTION_STACK:
        return []
    return [f"{args.name}: {problem}" for problem in production_problems(args.resource_type, args.props)]


prod_https_and_live_keys = mandatory_policy(
    "prod-https-and-live-keys",
    "The prod stack uses https webhook URLs and API bases, and live Stripe keys.",
    frozenset({STRIPE_WEBHOOK_ENDPOINT, ENV_VAR, BUCKET}),
    _problems,
)
