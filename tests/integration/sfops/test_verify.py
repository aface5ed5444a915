"""`sfops verify` against the emulator's site: healthy passes; each breakage fails by name."""

from __future__ import annotations

from typing import Any

import pytest

from scripts.sfops import verify
from tests.integration.sfops.conftest import Site

pytestmark = pytest.mark.integration
FAST = ("--retries", "0", "--timeout", "5")


def failures(report: dict[str, Any]) -> dict[str, str]:
    return {check["name"]: check["detail"] for check in report["checks"] if check["status"] == "fail"}


def test_healthy_site_passes_and_prints_its_grade(site: Site) -> None:
    code, report = site.run_json(verify.command, *FAST)
    assert code == 0, failures(report)
    # What Mozilla gives these responses over plain HTTP: HSTS and redirection fail.
    assert (report["observatory"]["score"], report["observatory"]["grade"]) == (60, "C+")
    statuses = {check["name"]: check["status"] for check in report["checks"]}
    assert statuses["https-redirect"] == "expected"
    assert statuses["observatory:strict-transport-security"] == "expected"
    grade = next(c for c in report["checks"] if c["name"] == "observatory:grade")
    assert "140 (A+) without the loopback-only failures" in grade["detail"]


BREAKAGES: list[tuple[str, dict[str, Any], str, str]] = [
    ("header removed", {"headers": {"X-Content-Type-Options": None}}, "security-headers", "X-Content-Type-Options"),
    ("HSTS removed", {"headers": {"Strict-Transport-Security": None}}, "security-headers", "Strict-Transport-Security"),
    (
        "referrer weakened",
        {"headers": {"Referrer-Policy": "unsafe-url"}},
        "observatory:referrer-policy",
        "referrer-policy-unsafe",
    ),
    (
        "CSP with unsafe-inline",
        {"headers": {"Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'"}},
        "observatory:content-security-policy",
        "csp-implemented-with-unsafe-inline",
    ),
    (
        "framing allowed",
        {"headers": {"X-Frame-Options": None, "Content-Security-Policy": "default-src 'none'"}},
        "observatory:x-frame-options",
        "x-frame-options-not-implemented",
    ),
    (
        "COOP garbled",
        {"headers": {"Cross-Origin-Opener-Policy": '"same-origin"'}},
        "observatory:cross-origin-opener-policy",
        "coop-header-invalid",
    ),
    ("send-sms 404", {"functions": {"send-sms": {"status": 404}}}, "function:send-sms", "404"),
    ("verify-sms 500", {"functions": {"verify-sms": {"status": 500}}}, "function:verify-sms", "500"),
    (
        "send-sms 429",
        {"functions": {"send-sms": {"status": 429}}},
        "function:send-sms",
        "429: rate limits every caller",
    ),
    ("send-sms 403", {"functions": {"send-sms": {"status": 403}}}, "function:send-sms", "403: refuses every caller"),
    ("verify-sms 401", {"functions": {"verify-sms": {"status": 401}}}, "function:verify-sms", "401: refuses every"),
    ("verify-sms 200", {"functions": {"verify-sms": {"status": 200}}}, "function:verify-sms", "accepted an empty"),
    ("unsigned webhook accepted", {"webhook_accepts_unsigned": True}, "stripe-webhook-unsigned", "SECURITY"),
    ("live stream missing", {"live_stream": False}, "element:#live-stream", "live-stream"),
    ("429 burst", {"rate_limit_per_minute": 12}, "rate-limit-burst", "answered 429"),
    ("homepage down", {"homepage_status": 503}, "homepage", "503"),
]


@pytest.mark.parametrize(("label", "overrides", "check", "text"), BREAKAGES, ids=[b[0] for b in BREAKAGES])
def test_breakage_fails_with_a_message_naming_it(
    site: Site, label: str, overrides: dict[str, Any], check: str, text: str
) -> None:
    site.overrides(**overrides)
    code, report = site.run_json(verify.command, *FAST)
    assert code == 1, label
    assert check in failures(report), failures(report)
    assert text in failures(report)[check]


def test_missing_variable_is_named(site: Site) -> None:
    site.emulator.delete_by_hand("SUPABASE_ANON_KEY")
    code, report = site.run_json(verify.command, *FAST)
    assert code == 1
    assert "SUPABASE_ANON_KEY" in failures(report)["netlify-variables"]


def test_wrong_sms_auth_path_is_named(site: Site) -> None:
    # Someone turned Supabase OTP on in Netlify and redeployed; the stack says custom SMS.
    site.emulator.set_value_by_hand("USE_SUPABASE_PHONE_OTP", "production", "true")
    site.deploy()
    code, report = site.run_json(verify.command, *FAST)
    assert code == 1
    detail = failures(report)["sms-auth-path"]
    assert "USE_SUPABASE_PHONE_OTP=true" in detail
    assert "the live send-sms serves Supabase OTP" in detail


def test_netlify_api_down_is_could_not_check_within_the_retry_setting(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOUNDFACTORY_API_RETRY_ATTEMPTS", "2")
    site.emulator.clear_requests()
    site.emulator.inject_faults(1.0, ["503"])
    try:
        code, report = site.run_json(verify.command, *FAST)
    finally:
        site.emulator.clear_faults()
    assert code == 2, report
    [api] = [c for c in report["checks"] if c["name"] == "netlify-api"]
    assert api["status"] == "error"
    assert "could not check the site's variables: gave up after 2 attempts: HTTP 503" in api["detail"]
    assert failures(report) == {}
    api_calls = [r for r in site.emulator.requests() if "/api/v1/" in str(r.get("path", ""))]
    assert len(api_calls) == 2, api_calls  # two attempts in all, not eight, and no second round


def test_functions_answering_as_alive_pass(site: Site) -> None:
    code, report = site.run_json(verify.command, *FAST)
    assert code == 0, failures(report)
    details = {c["name"]: c["detail"] for c in report["checks"]}
    assert details["function:send-sms"] == "alive (400: input validated)"
    assert details["function:verify-sms"] == "alive (400: input validated)"
