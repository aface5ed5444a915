"""Scoring as Mozilla's HTTP Observatory does it (src/grader/charts.js, src/scanner/index.js).

Algorithm version 6: twelve tests; start at 100, add every test's modifier; bonuses
(positive modifiers) count only when the score from the penalties alone is at least 90;
the grade is looked up by the score rounded down to a multiple of 5 (100 and above: A+).
The HSTS preload list is an input (`Requests.hsts_preloaded`): the Observatory builds it
from Chromium's list at release time, which this repo does not download.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from scripts.sfops.observatory import analyzers
from scripts.sfops.observatory.csp import csp_test
from scripts.sfops.observatory.model import Requests

ALGORITHM_VERSION = 6
MINIMUM_SCORE_FOR_EXTRA_CREDIT = 90
GRADE_CHART = {
    100: "A+", 95: "A", 90: "A", 85: "A-", 80: "B+", 75: "B", 70: "B", 65: "B-", 60: "C+", 55: "C", 50: "C",
    45: "C-", 40: "D+", 35: "D", 30: "D", 25: "D-", 20: "F", 15: "F", 10: "F", 5: "F", 0: "F",
}  # fmt: skip
GRADE_ORDER = ["F", "D-", "D", "D+", "C-", "C", "C+", "B-", "B", "B+", "A-", "A", "A+"]

MODIFIERS = {
    "csp-implemented-with-no-unsafe-default-src-none": 10,
    "csp-implemented-with-no-unsafe": 5,
    "csp-implemented-with-unsafe-inline-in-style-src-only": 0,
    "csp-implemented-with-insecure-scheme-in-passive-content-only": -10,
    "csp-implemented-with-unsafe-eval": -10,
    "csp-implemented-with-unsafe-inline": -20,
    "csp-implemented-with-insecure-scheme": -20,
    "csp-header-invalid": -25,
    "csp-not-implemented": -25,
    "csp-not-implemented-but-reporting-enabled": -25,
    "csp-implemented-but-duplicate-directives": 0,
    "cookies-secure-with-httponly-sessions-and-samesite": 5,
    "cookies-secure-with-httponly-sessions": 0,
    "cookies-not-found": 0,
    "cookies-without-secure-flag-but-protected-by-hsts": -5,
    "cookies-session-without-secure-flag-but-protected-by-hsts": -10,
    "cookies-without-secure-flag": -20,
    "cookies-samesite-flag-invalid": -20,
    "cookies-anticsrf-without-samesite-flag": -20,
    "cookies-session-without-httponly-flag": -30,
    "cookies-session-without-secure-flag": -40,
    "cross-origin-resource-sharing-not-implemented": 0,
    "cross-origin-resource-sharing-implemented-with-public-access": 0,
    "cross-origin-resource-sharing-implemented-with-restricted-access": 0,
    "cross-origin-resource-sharing-implemented-with-universal-access": -50,
    "redirection-all-redirects-preloaded": 0,
    "redirection-to-https": 0,
    "redirection-not-needed-no-http": 0,
    "redirection-off-host-from-http": -5,
    "redirection-not-to-https-on-initial-redirection": -10,
    "redirection-not-to-https": -20,
    "redirection-missing": -20,
    "redirection-invalid-cert": -20,
    "referrer-policy-private": 5,
    "referrer-policy-not-implemented": 0,
    "referrer-policy-unsafe": -5,
    "referrer-policy-header-invalid": -5,
    "hsts-preloaded": 5,
    "hsts-implemented-max-age-at-least-six-months": 0,
    "hsts-implemented-max-age-less-than-six-months": -10,
    "hsts-not-implemented": -20,
    "hsts-header-invalid": -20,
    "hsts-not-implemented-no-https": -20,
    "hsts-invalid-cert": -20,
    "sri-implemented-and-all-scripts-loaded-securely": 5,
    "sri-implemented-and-external-scripts-loaded-securely": 5,
    "sri-not-implemented-response-not-html": 0,
    "sri-not-implemented-but-no-scripts-loaded": 0,
    "sri-not-implemented-but-all-scripts-loaded-from-secure-origin": 0,
    "sri-not-implemented-but-external-scripts-loaded-securely": -5,
    "sri-implemented-but-external-scripts-not-loaded-securely": -20,
    "sri-not-implemented-and-external-scripts-not-loaded-securely": -50,
    "x-content-type-options-nosniff": 0,
    "x-content-type-options-not-implemented": -5,
    "x-content-type-options-header-invalid": -5,
    "x-frame-options-implemented-via-csp": 5,
    "x-frame-options-sameorigin-or-deny": 5,
    "x-frame-options-allow-from-origin": 0,
    "x-frame-options-not-implemented": -20,
    "x-frame-options-header-invalid": -20,
    "cross-origin-resource-policy-header-invalid": -5,
    "cross-origin-resource-policy-implemented-with-cross-origin": 0,
    "cross-origin-resource-policy-implemented-with-same-origin": 10,
    "cross-origin-resource-policy-implemented-with-same-site": 10,
    "cross-origin-resource-policy-not-implemented": 0,
    "coep-implemented-with-require-corp": 10,
    "coep-implemented-with-credentialless": 10,
    "coep-implemented-with-unsafe-none": 0,
    "coep-not-implemented": 0,
    "coep-header-invalid": -5,
    "coop-implemented-with-same-origin": 10,
    "coop-implemented-with-same-origin-allow-popups": 10,
    "coop-implemented-with-noopener-allow-popups": 10,
    "coop-implemented-with-unsafe-none": 0,
    "coop-not-implemented": 0,
    "coop-header-invalid": -5,
    "html-not-parseable": -20,
}


def _csp(requests: Requests) -> tuple[str, bool]:
    outcome = csp_test(requests)
    return outcome.result, outcome.passed


# In the Observatory's order (src/constants.js ALL_TESTS).
TESTS: list[tuple[str, str, Callable[[Requests], tuple[str, bool]]]] = [
    ("content-security-policy", "Content Security Policy (CSP)", _csp),
    ("cookies", "Cookies", analyzers.cookies),
    ("cross-origin-embedder-policy", "Cross Origin Embedder Policy", analyzers.cross_origin_embedder_policy),
    ("cross-origin-opener-policy", "Cross Origin Opener Policy", analyzers.cross_origin_opener_policy),
    ("cross-origin-resource-sharing", "Cross Origin Resource Sharing (CORS)", analyzers.cors),
    ("redirection", "Redirection", analyzers.redirection),
    ("referrer-policy", "Referrer Policy", analyzers.referrer_policy),
    ("strict-transport-security", "Strict Transport Security (HSTS)", analyzers.strict_transport_security),
    ("subresource-integrity", "Subresource Integrity", analyzers.subresource_integrity),
    ("x-content-type-options", "X-Content-Type-Options", analyzers.x_content_type_options),
    ("x-frame-options", "X-Frame-Options", analyzers.x_frame_options),
    ("cross-origin-resource-policy", "Cross Origin Resource Policy", analyzers.cross_origin_resource_policy),
]


@dataclass(frozen=True)
class TestResult:
    name: str
    title: str
    result: str
    passed: bool
    modifier: int


@dataclass(frozen=True)
class Scan:
    score: int
    grade: str
    tests: list[TestResult]
    status_code: int

    @property
    def tests_passed(self) -> int:
        return sum(1 for test in self.tests if test.passed)


class ScanError(Exception):
    """The Observatory refuses to grade: site down or an unexpected status."""


def grade_for_score(score: int) -> tuple[int, str]:
    score = max(score, 0)
    return score, GRADE_CHART[min(score - score % 5, 100)]


def score_tests(tests: list[TestResult]) -> tuple[int, str]:
    with_bonus = 100 + sum(test.modifier for test in tests)
    penalties_only = 100 + sum(test.modifier for test in tests if test.modifier < 0)
    return grade_for_score(with_bonus if penalties_only >= MINIMUM_SCORE_FOR_EXTRA_CREDIT else penalties_only)


def analyze(requests: Requests) -> Scan:
    if requests.auto is None:
        raise ScanError("The site seems to be down.")
    status = requests.auto.status
    if status < 200 or (status >= 400 and status not in (401, 403)):
        raise ScanError(f"Site did respond with an unexpected HTTP status code {status}.")
    tests = [
        TestResult(name, title, result, passed, MODIFIERS.get(result, 0))
        for name, title, run in TESTS
        for result, passed in [run(requests)]
    ]
    score, grade = score_tests(tests)
    return Scan(score, grade, tests, status)


def grade_at_least(grade: str, minimum: str) -> bool:
    return GRADE_ORDER.index(grade) >= GRADE_ORDER.index(minimum)
