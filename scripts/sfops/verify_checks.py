"""The post-deploy checks of playbook §3 (the old verify-production.sh), one function each.

Site checks talk to the site only; Netlify checks read the production context through
the API client the Pulumi program uses. Each returns `Check`s whose detail names what is
wrong, so an operator reading a failed run knows which breakage it is.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from components.backups.validation import is_loopback_url
from components.netlify.api import NetlifyClient
from components.netlify.variables import SiteVariable, site_variables
from components.stack_config import StackConfig
from scripts.sfops import function_probes
from scripts.sfops.observatory.grade import Scan, TestResult, grade_at_least, score_tests

if TYPE_CHECKING:
    # httpx (~0.35 s) is imported by the checks that send requests, after the first line of output.
    import httpx

FUNCTIONS = "/.netlify/functions/"
# Over plain HTTP on loopback these two cannot pass, here as at Mozilla.
LOOPBACK_EXPECTED = frozenset({"redirection", "strict-transport-security"})
REQUIRED_HEADERS = (
    "Content-Security-Policy",
    "Strict-Transport-Security",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
    "Cross-Origin-Resource-Policy",
)
# Where Netlify reads a variable for production deploys.
PRODUCTION_CONTEXTS = ("production", "all")


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # pass | fail | expected | skip | error (could not check)
    detail: str
    # Worth asking again while a fresh deploy propagates (a site answer, not a config fact).
    retryable: bool = False

    @property
    def failed(self) -> bool:
        return self.status == "fail"

    @property
    def unchecked(self) -> bool:
        return self.status == "error"

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "detail": self.detail}


def is_loopback_http(site_url: str) -> bool:
    return urlsplit(site_url).scheme == "http" and is_loopback_url(site_url)


def _site(check: str, detail: str, ok: bool) -> Check:
    return Check(check, "pass" if ok else "fail", detail, retryable=not ok)


def homepage(client: httpx.Client, site_url: str) -> Check:
    import httpx

    try:
        response = client.get(site_url + "/")
    except httpx.HTTPError as exc:
        return _site("homepage", f"GET / failed: {type(exc).__name__}: {exc}", False)
    return _site("homepage", f"GET / answered {response.status_code}", response.status_code == 200)


def security_headers(client: httpx.Client, site_url: str, required: tuple[str, ...] = REQUIRED_HEADERS) -> Check:
    import httpx

    try:
        response = client.get(site_url + "/")
    except httpx.HTTPError as exc:
        return _site("security-headers", f"GET / failed: {exc}", False)
    missing = [name for name in required if name not in response.headers]
    detail = f"missing: {', '.join(missing)}" if missing else f"all {len(required)} present"
    return _site("security-headers", detail, not missing)


def observatory(scan: Scan, *, loopback: bool, min_grade: str) -> list[Check]:
    """One check per failing Observatory test, plus the grade against the minimum."""
    checks: list[Check] = []
    excused = [test for test in scan.tests if loopback and not test.passed and test.name in LOOPBACK_EXPECTED]
    for test in scan.tests:
        # The redirection test has its own line (https-redirect).
        if test.passed or test.name == "redirection":
            continue
        if test in excused:
            checks.append(Check(f"observatory:{test.name}", "expected", f"{test.result} (plain HTTP on loopback)"))
        else:
            checks.append(_site(f"observatory:{test.name}", f"{test.result} ({test.modifier:+d})", False))
    grade, basis = scan.grade, f"score {scan.score}, grade {scan.grade}"
    if excused:
        # Judge the minimum on what the same headers would score over HTTPS.
        neutral = [TestResult(t.name, t.title, t.result, True, 0) if t in excused else t for t in scan.tests]
        https_score, grade = score_tests(neutral)
        basis += f"; {https_score} ({grade}) without the loopback-only failures"
    ok = grade_at_least(grade, min_grade)
    checks.append(_site("observatory:grade", f"{basis}; minimum {min_grade}", ok))
    return checks


def https_redirect(scan: Scan, *, loopback: bool) -> Check:
    result = next(test for test in scan.tests if test.name == "redirection")
    if result.passed:
        return Check("https-redirect", "pass", result.result)
    if loopback:
        return Check("https-redirect", "expected", f"{result.result} (plain HTTP on loopback)")
    return _site("https-redirect", f"HTTP does not redirect to HTTPS: {result.result}", False)


def function_alive(client: httpx.Client, site_url: str, name: str) -> Check:
    """The function answers the legitimate probe as a live one does (function_probes.py)."""
    import httpx

    try:
        response = client.post(f"{site_url}{FUNCTIONS}{name}", json=function_probes.PROBE_BODY)
    except httpx.HTTPError as exc:
        return _site(f"function:{name}", f"POST failed: {type(exc).__name__}", False)
    alive, detail = function_probes.judge(name, response.status_code)
    return _site(f"function:{name}", detail, alive)


def webhook_rejects_unsigned(client: httpx.Client, site_url: str) -> Check:
    import httpx

    name = "stripe-webhook-unsigned"
    try:
        response = client.post(f"{site_url}{FUNCTIONS}stripe-webhook", json={"type": "ping"})
    except httpx.HTTPError as exc:
        return _site(name, f"POST failed: {type(exc).__name__}", False)
    status = response.status_code
    if 200 <= status < 300:
        return _site(name, f"SECURITY: an unsigned event was accepted ({status}); the signature is not checked", False)
    if status != 400:
        return _site(name, f"expected 400 for an unsigned event, got {status}", False)
    return _site(name, "unsigned event refused with 400", True)


class _IdFinder(HTMLParser):
    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id = element_id
        self.found = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found = self.found or any(name == "id" and value == self.element_id for name, value in attrs)


def element_present(client: httpx.Client, site_url: str, element_id: str) -> Check:
    import httpx

    name = f"element:#{element_id}"
    try:
        response = client.get(site_url + "/")
    except httpx.HTTPError as exc:
        return _site(name, f"GET / failed: {exc}", False)
    finder = _IdFinder(element_id)
    finder.feed(response.text)
    detail = "present" if finder.found else f"the homepage has no element with id {element_id!r}"
    return _site(name, detail, finder.found)


def burst_not_limited(client: httpx.Client, site_url: str, requests: int) -> Check:
    import httpx

    def one(_: int) -> int:
        try:
            return client.get(site_url + "/").status_code
        except httpx.HTTPError:
            return 0

    with ThreadPoolExecutor(max_workers=min(requests, 8)) as pool:
        statuses = list(pool.map(one, range(requests)))
    limited = statuses.count(429)
    detail = f"{limited} of {requests} requests answered 429" if limited else f"{requests} requests, none answered 429"
    return _site("rate-limit-burst", detail, limited == 0)


def _production_value(variable: dict[str, Any]) -> dict[str, Any] | None:
    values = {value.get("context"): value for value in variable.get("values", [])}
    return next((values[context] for context in PRODUCTION_CONTEXTS if context in values), None)


def declared_variables(config: StackConfig) -> list[SiteVariable]:
    """The program's own list of site variables (secret ones wrapped in pulumi Outputs)."""
    # pulumi.Output needs an event loop; asyncio.run() elsewhere in the process closes its loop.
    asyncio.set_event_loop(asyncio.new_event_loop())
    return site_variables(config, "placeholder")


def required_variables(client: NetlifyClient, config: StackConfig) -> Check:
    required = [variable.key for variable in declared_variables(config)]
    env = {var["key"]: var for var in client.list_env(config.netlify.account_id, config.netlify.site_id)}
    missing = [key for key in required if key not in env or _production_value(env[key]) is None]
    detail = (
        f"missing in the production context: {', '.join(missing)}"
        if missing
        else f"all {len(required)} required variables set for production"
    )
    return Check("netlify-variables", "fail" if missing else "pass", detail)


def sms_auth_path(client: NetlifyClient, http: httpx.Client, config: StackConfig) -> Check:
    """The flag in Netlify and the live send-sms function both follow the stack's flag."""
    import httpx

    wanted = config.flags["USE_SUPABASE_PHONE_OTP"]
    path = "Supabase OTP" if wanted else "custom Twilio SMS"
    env = {var["key"]: var for var in client.list_env(config.netlify.account_id, config.netlify.site_id)}
    problems: list[str] = []
    value = _production_value(env.get("USE_SUPABASE_PHONE_OTP", {}))
    stored = (value or {}).get("value")
    if stored is not None and (stored.strip().lower() == "true") != wanted:
        problems.append(f"Netlify has USE_SUPABASE_PHONE_OTP={stored} for production")
    try:
        status = http.post(f"{config.netlify.site_url}{FUNCTIONS}send-sms", json={}).status_code
    except httpx.HTTPError as exc:
        return Check("sms-auth-path", "fail", f"send-sms unreachable: {exc}", retryable=True)
    # send-sms refuses with 409 while Supabase OTP is on, and validates input (400) otherwise.
    live_otp = status == 409
    if live_otp != wanted:
        live = "Supabase OTP" if live_otp else "custom Twilio SMS"
        problems.append(f"the live send-sms serves {live} (answered {status}); a deploy may be pending")
    if problems:
        return Check("sms-auth-path", "fail", f"expected {path}: " + "; ".join(problems), retryable=True)
    return Check("sms-auth-path", "pass", f"{path}, as configured")
