"""Retry policy shared by the thin API clients (built on tenacity).

429 waits for the server's own hint (Retry-After, else X-RateLimit-Reset); 5xx,
timeouts and dropped connections back off exponentially with full jitter. The
waits and the number of attempts are bounded, so a dead API fails the update
instead of hanging it.
"""

from __future__ import annotations

import email.utils
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Imported where a request is sent: every program run imports this module, few send.
    import httpx
    import tenacity

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8
    base_delay_s: float = 0.2
    max_delay_s: float = 20.0
    # A rate-limit reset further away than this is not worth blocking an update for.
    max_rate_limit_wait_s: float = 65.0


# Named variants of the one policy. PREVIEW: a preview's informational look at a vendor may not
# ride out an outage (the write that follows looks again with the full policy).
PREVIEW = RetryPolicy(attempts=2, max_delay_s=1.0)

ATTEMPTS_ENV = "SOUNDFACTORY_API_RETRY_ATTEMPTS"
MAX_ATTEMPTS = 20


def policy_from_env(environ: dict[str, str] | None = None) -> RetryPolicy:
    """The default policy, with $SOUNDFACTORY_API_RETRY_ATTEMPTS (1-20) attempts when set:
    a cron job or a test that would rather fail fast than ride out an outage."""
    text = (os.environ if environ is None else environ).get(ATTEMPTS_ENV, "").strip()
    if not text:
        return RetryPolicy()
    if not text.isdigit() or not 1 <= int(text) <= MAX_ATTEMPTS:
        raise ValueError(f"{ATTEMPTS_ENV}={text!r}: expected a whole number of attempts from 1 to {MAX_ATTEMPTS}")
    return RetryPolicy(attempts=int(text))


class RetryExhausted(Exception):
    """The API kept failing with retryable errors."""


def rate_limit_wait(response: httpx.Response, now: float | None = None) -> float | None:
    """Seconds the server asks us to wait, from Retry-After or X-RateLimit-Reset."""
    now = time.time() if now is None else now
    retry_after = response.headers.get("Retry-After")
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            try:
                return max(0.0, email.utils.parsedate_to_datetime(retry_after).timestamp() - now)
            except (TypeError, ValueError):
                return None
    reset = response.headers.get("X-RateLimit-Reset")
    if reset:
        try:
            return max(0.0, float(reset) - now)
        except ValueError:
            return None
    return None


def _is_retryable(outcome: httpx.Response) -> bool:
    return outcome.status_code in RETRYABLE_STATUS


def send_with_retry(
    send: Callable[[], httpx.Response],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[str], None] | None = None,
    only_rate_limits: bool = False,
) -> httpx.Response:
    """Call `send` until it returns a non-retryable response or the attempts run out.

    Only for requests that are safe to repeat: reads, PUT/PATCH/DELETE, and creates
    whose caller turns "already exists" into success. `only_rate_limits` is for
    requests that are not: a 429 was certainly not processed, so only it is retried,
    and 5xx or transport errors go back to the caller, who must look before retrying.
    """
    import httpx
    import tenacity

    jitter = tenacity.wait_random_exponential(multiplier=policy.base_delay_s, max=policy.max_delay_s)

    def wait(state: tenacity.RetryCallState) -> float:
        outcome = state.outcome
        if outcome is not None and not outcome.failed:
            response: httpx.Response = outcome.result()
            hinted = rate_limit_wait(response) if response.status_code == 429 else None
            if hinted is not None:
                if hinted > policy.max_rate_limit_wait_s:
                    raise RetryExhausted(
                        f"rate limited for {hinted:.0f}s (more than {policy.max_rate_limit_wait_s:.0f}s); "
                        "try again later"
                    )
                return hinted
        return float(jitter(state))

    def before_sleep(state: tenacity.RetryCallState) -> None:
        if on_retry is None or state.outcome is None or state.next_action is None:
            return
        reason = (
            type(state.outcome.exception()).__name__
            if state.outcome.failed
            else f"HTTP {state.outcome.result().status_code}"
        )
        on_retry(
            f"{reason}; retrying in {state.next_action.sleep:.1f}s "
            f"(attempt {state.attempt_number + 1}/{policy.attempts})"
        )

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(policy.attempts),
        wait=wait,
        retry=(
            tenacity.retry_if_result(lambda response: response.status_code == 429)
            if only_rate_limits
            else tenacity.retry_if_exception_type((httpx.TimeoutException, httpx.TransportError))
            | tenacity.retry_if_result(_is_retryable)
        ),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
        retry_error_callback=lambda state: _exhausted(state, policy),
    )
    response: httpx.Response = retrying(send)
    return response


def _exhausted(state: tenacity.RetryCallState, policy: RetryPolicy) -> httpx.Response:
    assert state.outcome is not None
    if state.outcome.failed:
        raise RetryExhausted(
            f"gave up after {policy.attempts} attempts: {state.outcome.exception()!r}"
        ) from state.outcome.exception()
    response: httpx.Response = state.outcome.result()
    raise RetryExhausted(
        f"gave up after {policy.attempts} attempts: HTTP {response.status_code} from "
        f"{response.request.method} {response.request.url.path}"
    )
