"""A thin Stripe client: the official SDK pointed at the configured API, with our retries.

The SDK retries 409 and 5xx but not 429; we turn its retries off and use the project's
one policy (components.http_retry) for all of them. Every request a retry repeats is
safe to repeat: reads, updates, deletes, and creates sent with an Idempotency-Key
(Stripe replays the first answer to a repeated key).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from components import credentials
from components.http_retry import RetryPolicy, policy_from_env

if TYPE_CHECKING:
    import stripe

T = TypeVar("T")

# Stripe's own client timeout is 80 s; an endpoint call answers in well under a second.
TIMEOUT_S = 30


def stripe_client(api_url: str, secret_key: str) -> stripe.StripeClient:
    if not secret_key:
        raise StripeSetupError(
            "no Stripe key reached the provider (fix: pulumi config set --secret stripeSecretKey sk_test_...)"
        )
    # The SDK (~0.3 s) loads on the first call that talks to Stripe, not with the program.
    import stripe

    return stripe.StripeClient(
        secret_key,
        base_addresses={"api": api_url},
        max_network_retries=0,
        http_client=stripe.HTTPXClient(timeout=TIMEOUT_S, allow_sync_methods=True),
    )


class StripeSetupError(Exception):
    pass


def client_for(api_url: str) -> stripe.StripeClient:
    """A client with the key the provider process was configured with (`components.credentials`)."""
    return stripe_client(api_url, credentials.stripe_secret_key())


def is_retryable(exc: BaseException) -> bool:
    import stripe

    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError):
        return True
    if isinstance(exc, stripe.StripeError):
        status = exc.http_status or 0
        return status == 409 or status >= 500
    return False


def with_retry(call: Callable[[], T], policy: RetryPolicy | None = None) -> T:
    """`call()` until it succeeds or fails for a reason a retry cannot fix."""
    import tenacity

    chosen = policy or policy_from_env()
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(is_retryable),
        stop=tenacity.stop_after_attempt(chosen.attempts),
        wait=tenacity.wait_random_exponential(multiplier=chosen.base_delay_s, max=chosen.max_delay_s),
        reraise=True,
    )
    return retrying(call)


def describe(exc: stripe.StripeError) -> str:
    """Stripe's own words for a failed call, with the HTTP status."""
    error = exc.error
    message = (error.message if error is not None else None) or exc.user_message or str(exc)
    return f"Stripe answered {exc.http_status or 'no status'}: {message}"
