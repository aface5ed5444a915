"""The Observatory's other tests (src/analyzer/tests/*.js), one function each.

Each returns (result, passed). Where the original relies on a JavaScript quirk that
changes a score, the port keeps it and says so.
"""

from __future__ import annotations

import ipaddress
import math
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

from scripts.sfops.observatory.csp import csp_test
from scripts.sfops.observatory.model import HTML_TYPES, Requests

Outcome = tuple[str, bool]
SIX_MONTHS = 15_552_000  # the Observatory's "white lie": 180 days, not 15768000
_PSL = PublicSuffixList(only_icann=True)  # tldts' default: private suffixes off


def _worse(new: str, old: str | None, order: list[str]) -> str:
    if old is None or order.index(new) > (order.index(old) if old in order else -1):
        return new
    return old


def hsts_preloaded(requests: Requests, hostname: str) -> bool:
    if hostname in requests.hsts_preloaded:
        return True
    labels = hostname.split(".")[1:]
    while labels:
        if requests.hsts_preloaded.get(".".join(labels)):
            return True
        labels = labels[1:]
    return False


def _parse_int(text: str) -> float:
    """JavaScript's parseInt(text, 10): a leading integer, else NaN (which compares false)."""
    found = re.match(r"\s*([+-]?\d+)", text)
    return int(found.group(1)) if found else math.nan


def strict_transport_security(requests: Requests) -> Outcome:
    response = requests.https
    result = "hsts-not-implemented"
    if response is None:
        result = "hsts-not-implemented-no-https"
    elif not response.verified:
        result = "hsts-invalid-cert"
    elif response.headers("strict-transport-security"):
        data = (response.headers("strict-transport-security")[0] or "")[:1024]
        max_age: float | None = None
        valid = "," not in data  # a comma means the header was sent twice
        for parameter in (item.strip().lower() for item in data.split(";")):
            if parameter.startswith("max-age="):
                max_age = _parse_int(parameter[8:128])
        if not valid or max_age is None:
            result = "hsts-header-invalid"
        elif max_age < SIX_MONTHS:
            result = "hsts-implemented-max-age-less-than-six-months"
        else:
            # NaN (max-age=abc) is not < SIX_MONTHS in JavaScript either.
            result = "hsts-implemented-max-age-at-least-six-months"
    if response is not None and hsts_preloaded(requests, requests.hostname):
        result = "hsts-preloaded"
    return result, result in ("hsts-implemented-max-age-at-least-six-months", "hsts-preloaded")


def redirection(requests: Requests) -> Outcome:
    response = requests.http
    route = requests.http_redirects
    if response is None:
        result = "redirection-not-needed-no-http"
    elif not response.verified:
        result = "redirection-invalid-cert"
    elif all(hsts_preloaded(requests, entry.hostname) for entry in route):
        result = "redirection-all-redirects-preloaded"
    elif len(route) == 1:
        result = "redirection-missing"
    elif route[-1].scheme != "https":
        result = "redirection-not-to-https"
    elif route[1].scheme == "http":
        result = "redirection-not-to-https-on-initial-redirection"
    elif route[0].scheme == "http" and route[1].scheme == "https" and route[0].hostname != route[1].hostname:
        result = "redirection-off-host-from-http"
    else:
        result = "redirection-to-https"
    passing = ("redirection-not-needed-no-http", "redirection-all-redirects-preloaded", "redirection-to-https")
    return result, result in passing


def referrer_policy(requests: Requests) -> Outcome:
    good = ["no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"]
    bad = ["origin", "origin-when-cross-origin", "unsafe-url", "no-referrer-when-downgrade"]
    response = requests.auto
    if response is None:
        return "referrer-policy-not-implemented", False
    values = [*response.headers("referrer-policy"), *response.http_equiv.get("referrer-policy", [])]
    if not values:
        return "referrer-policy-not-implemented", True
    valid = [part.lower().strip() for part in ", ".join(values).split(",") if part.lower().strip() in good + bad]
    policy = valid[-1] if valid else ""
    if policy in good:
        result = "referrer-policy-private"
    elif policy in bad:
        result = "referrer-policy-unsafe"
    else:
        result = "referrer-policy-header-invalid"
    return result, result == "referrer-policy-private"


def x_content_type_options(requests: Requests) -> Outcome:
    response = requests.auto
    header = response.first("x-content-type-options") if response else None
    if not header:
        return "x-content-type-options-not-implemented", False
    if header[:256].strip().lower() == "nosniff":
        return "x-content-type-options-nosniff", True
    return "x-content-type-options-header-invalid", False


def x_frame_options(requests: Requests) -> Outcome:
    response = requests.auto
    if response is None:
        return "x-frame-options-not-implemented", False
    header = response.first("x-frame-options")
    if header:
        xfo = header[:1024].strip().lower()
        if xfo in ("deny", "sameorigin"):
            result = "x-frame-options-sameorigin-or-deny"
        elif xfo.startswith("allow-from"):
            result = "x-frame-options-allow-from-origin"
        else:
            result = "x-frame-options-header-invalid"
    else:
        result = "x-frame-options-not-implemented"
    # frame-ancestors anywhere in the combined policy counts (the original reads csp.data).
    csp = csp_test(requests)
    if csp.data and "frame-ancestors" in csp.data:
        result = "x-frame-options-implemented-via-csp"
    passing = (
        "x-frame-options-allow-from-origin",
        "x-frame-options-sameorigin-or-deny",
        "x-frame-options-implemented-via-csp",
    )
    return result, result in passing


def cors(requests: Requests) -> Outcome:
    result = "cross-origin-resource-sharing-not-implemented"
    response = requests.cors
    acao = response.first("access-control-allow-origin") if response else None
    if response is not None and acao:
        origin = response.request_headers.get("origin")
        credentials = response.first("access-control-allow-credentials")
        if acao[:256].strip().lower() == "*":
            result = "cross-origin-resource-sharing-implemented-with-public-access"
        elif origin and origin == acao and credentials and credentials.lower().strip() == "true":
            result = "cross-origin-resource-sharing-implemented-with-universal-access"
        else:
            result = "cross-origin-resource-sharing-implemented-with-restricted-access"
    return result, result != "cross-origin-resource-sharing-implemented-with-universal-access"


def cross_origin_resource_policy(requests: Requests) -> Outcome:
    response = requests.auto
    if response is None:
        return "cross-origin-resource-policy-not-implemented", True
    header = ", ".join(response.headers("cross-origin-resource-policy"))
    if not header:
        return "cross-origin-resource-policy-not-implemented", True
    value = header[:256].strip().lower()
    result = {
        "same-site": "cross-origin-resource-policy-implemented-with-same-site",
        "same-origin": "cross-origin-resource-policy-implemented-with-same-origin",
        "cross-origin": "cross-origin-resource-policy-implemented-with-cross-origin",
    }.get(value, "cross-origin-resource-policy-header-invalid")
    return result, result != "cross-origin-resource-policy-header-invalid"


_TOKEN = re.compile(r"[A-Za-z*][A-Za-z0-9!#$%&'*+\-.^_`|~:/]*")
_KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_BARE_ITEM = re.compile(
    r'-?\d+(\.\d+)?|"(?:[^"\\]|\\["\\])*"|:[A-Za-z0-9+/=]*:|\?[01]|[A-Za-z*][A-Za-z0-9!#$%&\'*+\-.^_`|~:/]*'
)


def structured_field_token(value: str) -> str | None:
    """RFC 8941 item whose bare item is a token -> the token; anything else -> None."""
    text = value.strip(" ")
    found = _TOKEN.match(text)
    if found is None:
        return None
    position = found.end()
    while position < len(text) and text[position] == ";":
        position += 1
        while position < len(text) and text[position] == " ":
            position += 1
        key = _KEY.match(text, position)
        if key is None:
            return None
        position = key.end()
        if position < len(text) and text[position] == "=":
            item = _BARE_ITEM.match(text, position + 1)
            if item is None:
                return None
            position = item.end()
    return found.group(0) if position == len(text) else None


def _policy_test(requests: Requests, header: str, prefix: str, known: dict[str, str]) -> Outcome:
    response = requests.auto
    if response is None:
        return f"{prefix}-not-implemented", True
    values = [value for key, value in response.raw_headers if key.lower() == header]
    if not values:
        return f"{prefix}-not-implemented", True
    # Node joins repeats into one value, which is then not a single token: invalid either way.
    token = structured_field_token(", ".join(values)[:1024].strip())
    result = known.get(token or "", f"{prefix}-header-invalid")
    return result, result != f"{prefix}-header-invalid"


def cross_origin_opener_policy(requests: Requests) -> Outcome:
    return _policy_test(
        requests,
        "cross-origin-opener-policy",
        "coop",
        {
            "same-origin": "coop-implemented-with-same-origin",
            "same-origin-allow-popups": "coop-implemented-with-same-origin-allow-popups",
            "noopener-allow-popups": "coop-implemented-with-noopener-allow-popups",
            "unsafe-none": "coop-implemented-with-unsafe-none",
        },
    )


def cross_origin_embedder_policy(requests: Requests) -> Outcome:
    return _policy_test(
        requests,
        "cross-origin-embedder-policy",
        "coep",
        {
            "require-corp": "coep-implemented-with-require-corp",
            "credentialless": "coep-implemented-with-credentialless",
            "unsafe-none": "coep-implemented-with-unsafe-none",
        },
    )


def cookies(requests: Requests) -> Outcome:
    order = [
        "cookies-without-secure-flag-but-protected-by-hsts",
        "cookies-without-secure-flag",
        "cookies-session-without-secure-flag-but-protected-by-hsts",
        "cookies-samesite-flag-invalid",
        "cookies-anticsrf-without-samesite-flag",
        "cookies-session-without-httponly-flag",
        "cookies-session-without-secure-flag",
    ]
    hsts = strict_transport_security(requests)[1]
    result: str | None = None
    if requests.auto is not None:
        for raw in requests.auto.headers("set-cookie"):
            for part in raw.strip().split(";"):
                key, _, value = part.strip().partition("=")
                if key.strip().lower() == "samesite" and value.split("=")[0].strip().lower() not in (
                    "lax",
                    "strict",
                    "none",
                ):
                    result = _worse("cookies-samesite-flag-invalid", result, order)
    jar = [cookie for cookie in requests.cookies if cookie.key and cookie.key != "heroku-session-affinity"]
    if not jar:
        result = "cookies-not-found"
    else:
        missing_same_site = False
        for cookie in jar:
            name = cookie.key.lower()
            session = "login" in name or "sess" in name
            if not cookie.secure and cookie.same_site == "none":
                result = _worse("cookies-samesite-flag-invalid", result, order)
            if not cookie.secure:
                kind = "cookies-without-secure-flag-but-protected-by-hsts" if hsts else "cookies-without-secure-flag"
                result = _worse(kind, result, order)
            if "csrf" in name and not cookie.same_site:
                result = _worse("cookies-anticsrf-without-samesite-flag", result, order)
            if session and not cookie.secure:
                kind = "cookies-session-without-secure-flag" + ("-but-protected-by-hsts" if hsts else "")
                result = _worse(kind, result, order)
            if session and not cookie.http_only:
                result = _worse("cookies-session-without-httponly-flag", result, order)
            missing_same_site = missing_same_site or not cookie.same_site
        if result is None:
            result = (
                "cookies-secure-with-httponly-sessions"
                if missing_same_site
                else "cookies-secure-with-httponly-sessions-and-samesite"
            )
    passing = (
        "cookies-not-found",
        "cookies-secure-with-httponly-sessions-and-samesite",
        "cookies-secure-with-httponly-sessions",
    )
    return result, result in passing


class _ScriptCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append({name: value or "" for name, value in attrs})


def registrable_domain(host: str) -> str | None:
    """tldts' `domain`: None for IP addresses and bare public suffixes."""
    host = host.strip("[]").lower()
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    domain: str | None = _PSL.privatesuffix(host)
    return domain


def subresource_integrity(requests: Requests) -> Outcome:
    order = [
        "sri-implemented-and-all-scripts-loaded-securely",
        "sri-implemented-and-external-scripts-loaded-securely",
        "sri-implemented-but-external-scripts-not-loaded-securely",
        "sri-not-implemented-but-external-scripts-loaded-securely",
        "sri-not-implemented-and-external-scripts-not-loaded-securely",
        "sri-not-implemented-response-not-html",
    ]
    response = requests.auto
    if response is None:
        return "sri-not-implemented-but-no-scripts-loaded", False
    result: str | None = None
    # Not lower-cased or trimmed, as in the original: "Text/HTML" counts as not HTML.
    mime = (response.first("content-type") or "").split(";", 1)[0]
    if mime and mime not in HTML_TYPES:
        result = "sri-not-implemented-response-not-html"
    else:
        collector = _ScriptCollector()
        collector.feed(requests.page)
        collector.close()
        foreign = False
        site_domain = registrable_domain(requests.hostname)
        for script in collector.scripts:
            src = script.get("src", "")
            if not src:
                continue
            integrity = script.get("integrity") or None
            relative_origin = relative_protocol = False
            if re.match(r"^//[^/]", src):
                relative_protocol, same_domain = True, True
            elif re.match(r"^https?://", src):
                same_domain = registrable_domain(urlsplit(src).hostname or "") == site_domain
            else:
                relative_origin, same_domain = True, True
            secure_origin = relative_origin or (same_domain and not relative_protocol)
            foreign = foreign or not secure_origin
            scheme = urlsplit(src).scheme if not (relative_protocol or relative_origin) else None
            secure_scheme = scheme == "https" or (relative_origin and requests.session_scheme == "https")
            if not secure_origin:
                if integrity and not secure_scheme:
                    result = _worse("sri-implemented-but-external-scripts-not-loaded-securely", result, order)
                elif not integrity and secure_scheme:
                    result = _worse("sri-not-implemented-but-external-scripts-loaded-securely", result, order)
                elif not integrity:
                    result = _worse("sri-not-implemented-and-external-scripts-not-loaded-securely", result, order)
            elif integrity and secure_scheme and result is None:
                result = "sri-implemented-and-all-scripts-loaded-securely"
        if not collector.scripts:
            result = "sri-not-implemented-but-no-scripts-loaded"
        elif result is None:
            result = (
                "sri-implemented-and-external-scripts-loaded-securely"
                if foreign
                else "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"
            )
    passing = (
        "sri-implemented-and-all-scripts-loaded-securely",
        "sri-implemented-and-external-scripts-loaded-securely",
        "sri-not-implemented-response-not-html",
        "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
        "sri-not-implemented-but-no-scripts-loaded",
    )
    return result, result in passing
