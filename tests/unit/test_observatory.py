"""Observatory grading: responses with known scores under Mozilla's published rules (algorithm 6)."""

from __future__ import annotations

import pytest

from local_services.netlify.site_server import SECURITY_HEADERS
from scripts.sfops.observatory.csp import parse_csp
from scripts.sfops.observatory.grade import analyze, grade_for_score
from scripts.sfops.observatory.model import Cookie, HttpResponse, RedirectEntry, Requests

HOST = "soundfactorynyc.com"
HTML = "text/html; charset=utf-8"


def https_site(headers: dict[str, str], *, page: str = "", cookies: list[Cookie] | None = None) -> Requests:
    """A site that redirects http -> https on the same host and answers 200 there."""
    raw = [("Content-Type", HTML), *headers.items()]
    auto = HttpResponse(f"https://{HOST}/", 200, raw, page)
    return Requests(
        hostname=HOST,
        session_url=f"https://{HOST}/",
        auto=auto,
        http=HttpResponse(f"https://{HOST}/", 200, raw, page),
        https=auto,
        http_redirects=[RedirectEntry(f"http://{HOST}/", 301), RedirectEntry(f"https://{HOST}/", 200)],
        cors=HttpResponse(f"https://{HOST}/", 200, raw, request_headers={}),
        page=page,
        cookies=cookies or [],
    )


def plain_http_loopback(headers: dict[str, str]) -> Requests:
    raw = [("Content-Type", HTML), *headers.items()]
    auto = HttpResponse("http://127.0.0.1:18082/", 200, raw)
    return Requests(
        hostname="127.0.0.1",
        session_url="http://127.0.0.1:18082/",
        auto=auto,
        http=auto,
        https=None,
        http_redirects=[RedirectEntry("http://127.0.0.1:18082/", 200)],
        cors=HttpResponse("http://127.0.0.1:18082/", 405, raw),
    )


def results(requests: Requests) -> dict[str, str]:
    return {test.name: test.result for test in analyze(requests).tests}


def test_the_sites_headers_over_https_score_140_a_plus() -> None:
    scan = analyze(https_site(SECURITY_HEADERS))
    # CSP default-src 'none' +10, frame-ancestors +5, referrer +5, CORP +10, COOP +10.
    assert (scan.score, scan.grade, scan.tests_passed) == (140, "A+", 12)


def test_the_sites_headers_over_plain_http_lose_hsts_and_redirection_and_all_bonuses() -> None:
    scan = analyze(plain_http_loopback(SECURITY_HEADERS))
    assert (scan.score, scan.grade) == (60, "C+")
    assert (
        results(plain_http_loopback(SECURITY_HEADERS))["strict-transport-security"] == "hsts-not-implemented-no-https"
    )


def test_no_security_headers_scores_30_d() -> None:
    # CSP -25, HSTS -20, X-Content-Type-Options -5, X-Frame-Options -20.
    assert (analyze(https_site({})).score, analyze(https_site({})).grade) == (30, "D")


def test_bonuses_count_only_when_the_penalties_leave_at_least_90() -> None:
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'"}
    scan = analyze(https_site(headers))
    assert results(https_site(headers))["content-security-policy"] == "csp-implemented-with-unsafe-inline"
    assert (scan.score, scan.grade) == (80, "B+")


@pytest.mark.parametrize(
    ("hsts", "expected"),
    [
        ("max-age=63072000; includeSubDomains; preload", "hsts-implemented-max-age-at-least-six-months"),
        ("max-age=15551999", "hsts-implemented-max-age-less-than-six-months"),
        ("max-age=15552000", "hsts-implemented-max-age-at-least-six-months"),
        ("max-age=abc", "hsts-implemented-max-age-at-least-six-months"),  # NaN < x is false in JavaScript too
        ("includeSubDomains", "hsts-header-invalid"),
        ("max-age=63072000, max-age=63072000", "hsts-header-invalid"),
    ],
)
def test_hsts_parsing(hsts: str, expected: str) -> None:
    assert results(https_site({**SECURITY_HEADERS, "Strict-Transport-Security": hsts}))[
        "strict-transport-security"
    ] == (expected)


def test_preloaded_host_gets_the_bonus() -> None:
    requests = https_site(SECURITY_HEADERS)
    requests.hsts_preloaded = {"soundfactorynyc.com": True}
    assert results(requests)["strict-transport-security"] == "hsts-preloaded"
    assert analyze(requests).score == 145


@pytest.mark.parametrize(
    ("csp", "expected"),
    [
        ("default-src 'none'; img-src 'self'; img-src 'self'", "csp-header-invalid"),
        ("default-src 'none'; report-uri /a; report-uri /b", "csp-implemented-but-duplicate-directives"),
        ("default-src 'self'; script-src 'self' 'unsafe-eval'", "csp-implemented-with-unsafe-eval"),
        ("default-src 'self'; style-src 'unsafe-inline'", "csp-implemented-with-unsafe-inline-in-style-src-only"),
        ("default-src 'self'; script-src 'nonce-abc' 'unsafe-inline'", "csp-implemented-with-no-unsafe"),
        ("default-src 'self'; script-src 'strict-dynamic'", "csp-header-invalid"),
        ("default-src 'self'; script-src http://cdn.example.com", "csp-implemented-with-insecure-scheme"),
        ("default-src 'self'; img-src http:", "csp-implemented-with-insecure-scheme-in-passive-content-only"),
        ("a-src", "csp-header-invalid"),  # shorter than the shortest directive
        ("img-src", "csp-implemented-with-unsafe-inline"),  # no script-src nor default-src: anything runs
    ],
)
def test_csp_results(csp: str, expected: str) -> None:
    assert results(https_site({**SECURITY_HEADERS, "Content-Security-Policy": csp}))["content-security-policy"] == (
        expected
    )


def test_several_policies_are_intersected() -> None:
    parsed = parse_csp(["default-src 'self' https://a.example", "default-src https://a.example"])
    assert parsed["default-src"] == {"https://a.example"}


def test_meta_referrer_wins_over_the_header() -> None:
    requests = https_site(SECURITY_HEADERS)
    assert requests.auto is not None
    requests.auto.http_equiv = {"referrer-policy": ["unsafe-url"]}
    assert results(requests)["referrer-policy"] == "referrer-policy-unsafe"


def test_session_cookie_without_httponly_costs_30() -> None:
    cookies = [Cookie("sessionid", secure=True, http_only=False, same_site="lax")]
    scan = analyze(https_site(SECURITY_HEADERS, cookies=cookies))
    assert {t.name: t.result for t in scan.tests}["cookies"] == "cookies-session-without-httponly-flag"
    assert scan.score == 70


def test_cors_reflecting_the_origin_with_credentials_costs_50() -> None:
    requests = https_site(SECURITY_HEADERS)
    origin = "https://http-observatory.security.mozilla.org"
    requests.cors = HttpResponse(
        f"https://{HOST}/",
        200,
        [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true")],
        request_headers={"origin": origin},
    )
    assert analyze(requests).score == 50


def test_external_script_over_http_without_sri_costs_50() -> None:
    page = '<html><head><script src="http://cdn.example.net/x.js"></script></head></html>'
    scan = analyze(https_site(SECURITY_HEADERS, page=page))
    assert {t.name: t.result for t in scan.tests}["subresource-integrity"] == (
        "sri-not-implemented-and-external-scripts-not-loaded-securely"
    )
    assert scan.score == 50


@pytest.mark.parametrize(
    ("score", "grade"), [(-10, (0, "F")), (24, (24, "F")), (25, (25, "D-")), (89, (89, "A-")), (120, (120, "A+"))]
)
def test_grade_chart(score: int, grade: tuple[int, str]) -> None:
    assert grade_for_score(score) == grade
