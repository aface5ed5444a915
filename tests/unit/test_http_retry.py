"""The retry policy: server hints are honoured, waits and attempts are bounded."""

from __future__ import annotations

import httpx
import pytest

from components.http_retry import (
    ATTEMPTS_ENV,
    RetryExhausted,
    RetryPolicy,
    policy_from_env,
    rate_limit_wait,
    send_with_retry,
)

REQUEST = httpx.Request("GET", "http://127.0.0.1/x")


def response(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers, request=REQUEST)


class Script:
    """Answers with the given outcomes in order, recording calls."""

    def __init__(self, *outcomes: httpx.Response | Exception) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    def __call__(self) -> httpx.Response:
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def test_429_waits_for_retry_after() -> None:
    sleeps: list[float] = []
    script = Script(response(429, {"Retry-After": "3"}), response(200))
    result = send_with_retry(script, RetryPolicy(), sleep=sleeps.append)
    assert result.status_code == 200
    assert sleeps == [3.0]


def test_429_falls_back_to_rate_limit_reset() -> None:
    assert rate_limit_wait(response(429, {"X-RateLimit-Reset": "1010"}), now=1000.0) == 10.0
    assert rate_limit_wait(response(429, {"X-RateLimit-Reset": "990"}), now=1000.0) == 0.0
    assert rate_limit_wait(response(429), now=1000.0) is None


def test_5xx_and_transport_errors_back_off_within_bounds() -> None:
    sleeps: list[float] = []
    policy = RetryPolicy(attempts=4, base_delay_s=0.5, max_delay_s=1.0)
    script = Script(response(503), httpx.ConnectError("refused", request=REQUEST), response(502), response(201))
    assert send_with_retry(script, policy, sleep=sleeps.append).status_code == 201
    assert script.calls == 4
    assert len(sleeps) == 3
    assert all(0 <= s <= 1.0 for s in sleeps)


def test_client_errors_are_not_retried() -> None:
    script = Script(response(404))
    assert send_with_retry(script, RetryPolicy(), sleep=lambda _: None).status_code == 404
    assert script.calls == 1


def test_attempts_are_bounded() -> None:
    script = Script(*[response(500) for _ in range(3)])
    with pytest.raises(RetryExhausted, match="gave up after 3 attempts: HTTP 500"):
        send_with_retry(script, RetryPolicy(attempts=3), sleep=lambda _: None)
    assert script.calls == 3


def test_a_far_rate_limit_reset_fails_instead_of_hanging() -> None:
    script = Script(response(429, {"Retry-After": "3600"}), response(200))
    with pytest.raises(RetryExhausted, match="rate limited for 3600s"):
        send_with_retry(script, RetryPolicy(), sleep=lambda _: None)
    assert script.calls == 1


def test_retries_are_reported() -> None:
    notes: list[str] = []
    script = Script(response(429, {"Retry-After": "0"}), response(200))
    send_with_retry(script, RetryPolicy(), sleep=lambda _: None, on_retry=notes.append)
    assert notes == ["HTTP 429; retrying in 0.0s (attempt 2/8)"]


def test_non_idempotent_requests_retry_only_rate_limits() -> None:
    sleeps: list[float] = []
    limited = Script(response(429, {"Retry-After": "2"}), response(200))
    assert send_with_retry(limited, RetryPolicy(), sleep=sleeps.append, only_rate_limits=True).status_code == 200
    assert sleeps == [2.0]

    ambiguous = Script(response(502), response(200))
    assert send_with_retry(ambiguous, RetryPolicy(), sleep=sleeps.append, only_rate_limits=True).status_code == 502
    assert ambiguous.calls == 1

    dropped = Script(httpx.RemoteProtocolError("closed", request=REQUEST), response(200))
    with pytest.raises(httpx.RemoteProtocolError):
        send_with_retry(dropped, RetryPolicy(), sleep=sleeps.append, only_rate_limits=True)
    assert dropped.calls == 1


def test_attempts_come_from_the_environment_when_set() -> None:
    assert policy_from_env({}) == RetryPolicy()
    assert policy_from_env({ATTEMPTS_ENV: " 2 "}) == RetryPolicy(attempts=2)
    for bad in ("0", "21", "two", "-1"):
        with pytest.raises(ValueError, match=ATTEMPTS_ENV):
            policy_from_env({ATTEMPTS_ENV: bad})
