"""Collect the responses the Observatory grades, the way its retriever does (src/retriever/).

Two sessions, http:// and https://, each following up to 10 redirects by hand and
recording every hop; the https session's answer is graded when it has one, else the
http one. A TLS certificate error is retried without verification and marked
unverified. A CORS preflight (OPTIONS with an Origin) goes to the final URL. For a URL
with an explicit port, the port goes to whichever scheme answers on it and the other
scheme uses its default port, as the Observatory's url.js does.
"""

from __future__ import annotations

import ssl
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx

from scripts.sfops.observatory.model import HTML_TYPES, Cookie, HttpResponse, RedirectEntry, Requests

ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
USER_AGENT = "Mozilla/5.0 (compatible; sfops-verify; +observatory-rules)"
CORS_ORIGIN = "https://http-observatory.security.mozilla.org"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 10


def _is_cert_error(error: Exception) -> bool:
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return True
        cause = cause.__cause__ or cause.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(error)


def _response(raw: httpx.Response, verified: bool) -> HttpResponse:
    return HttpResponse(
        url=str(raw.request.url),
        status=raw.status_code,
        raw_headers=[(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw.headers.raw],
        text=raw.text,
        verified=verified,
        request_headers={name.lower(): value for name, value in raw.request.headers.items()},
    )


def _cookie(header: str) -> Cookie | None:
    """tough-cookie's reading of one Set-Cookie (only what the Observatory looks at)."""
    pair, *attributes = header.split(";")
    key = pair.partition("=")[0].strip()
    if not key:
        return None
    secure = http_only = False
    same_site: str | None = None
    for attribute in attributes:
        name, _, value = attribute.strip().partition("=")
        name = name.strip().lower()
        if name == "secure":
            secure = True
        elif name == "httponly":
            http_only = True
        elif name == "samesite":
            word = value.strip().lower()
            same_site = word if word in ("strict", "lax", "none") else None
    return Cookie(key, secure, http_only, same_site)


class Session:
    def __init__(self, url: str, timeout_s: float) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.history: list[RedirectEntry] = []
        self.cookies: list[Cookie] = []
        self.response: HttpResponse | None = None
        self.verified = True

    def run(self) -> Session:
        try:
            self._follow(verify=True)
        except httpx.HTTPError as error:
            if not _is_cert_error(error):
                self.response = None
                return self
            self.history, self.cookies, self.verified = [], [], False
            try:
                self._follow(verify=False)
            except httpx.HTTPError:
                self.response = None
        return self

    def _follow(self, *, verify: bool) -> None:
        headers = {"Accept": ACCEPT, "User-Agent": USER_AGENT}
        with httpx.Client(verify=verify, timeout=self.timeout_s, follow_redirects=False) as client:
            url = self.url
            for hop in range(MAX_REDIRECTS + 1):
                raw = client.get(url, headers=headers)
                self.history.append(RedirectEntry(url, raw.status_code))
                self.cookies += [c for c in map(_cookie, raw.headers.get_list("set-cookie")) if c is not None]
                location = raw.headers.get("location")
                if raw.status_code in REDIRECT_STATUSES and location and hop < MAX_REDIRECTS:
                    url = urljoin(url, location)
                    continue
                self.response = _response(raw, verify)
                return


class _MetaCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.equiv: dict[str, list[str]] = {"content-security-policy": []}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta":
            return
        attributes = {name: value or "" for name, value in attrs}
        if "http-equiv" in attributes and "content" in attributes:
            if attributes["content"] and attributes["http-equiv"].lower().strip() == "content-security-policy":
                self.equiv["content-security-policy"].append(attributes["content"])
        elif attributes.get("name", "").lower().strip() == "referrer" and attributes.get("content"):
            self.equiv["referrer-policy"] = [attributes["content"]]


def _detect_tls(host: str, port: int, timeout_s: float) -> bool | None:
    """True: https answers on the port; False: http does; None: neither."""
    for scheme, verify in (("https", False), ("http", True)):
        try:
            with httpx.Client(verify=verify, timeout=timeout_s) as client:
                if client.head(f"{scheme}://{host}:{port}/").status_code < 500:
                    return scheme == "https"
        except httpx.HTTPError:
            continue
    return None


def _cors(url: str, timeout_s: float, verify: bool) -> HttpResponse | None:
    try:
        with httpx.Client(
            verify=verify, timeout=timeout_s, follow_redirects=True, max_redirects=MAX_REDIRECTS
        ) as client:
            raw = client.options(url, headers={"Access-Control-Request-Method": "GET", "Origin": CORS_ORIGIN})
            return _response(raw, verify)
    except httpx.HTTPError:
        return None


def retrieve(site_url: str, *, timeout_s: float = 10.0, hsts_preloaded: dict[str, bool] | None = None) -> Requests:
    parts = urlsplit(site_url)
    host = parts.hostname or ""
    netloc_host = f"[{host}]" if ":" in host else host
    path = parts.path or "/"
    http_url, https_url = f"http://{netloc_host}{path}", f"https://{netloc_host}{path}"
    if parts.port is not None:
        tls = _detect_tls(netloc_host, parts.port, timeout_s)
        if tls:
            https_url = f"https://{netloc_host}:{parts.port}{path}"
        elif tls is False:
            http_url = f"http://{netloc_host}:{parts.port}{path}"
    http_session = Session(http_url, timeout_s).run()
    https_session = Session(https_url, timeout_s).run()
    chosen = https_session if https_session.response is not None else http_session
    requests = Requests(
        hostname=host,
        session_url=chosen.url,
        auto=chosen.response,
        http=http_session.response,
        https=https_session.response,
        http_redirects=http_session.history,
        cookies=chosen.cookies,
        hsts_preloaded=dict(hsts_preloaded or {}),
    )
    if chosen.response is None:
        return requests
    requests.page = chosen.response.text
    final_url = chosen.history[-1].url if chosen.history else chosen.url
    requests.cors = _cors(final_url, timeout_s, chosen.verified)
    content_type = (chosen.response.first("content-type") or "").split(";", 1)[0]
    if content_type in HTML_TYPES and requests.page:
        collector = _MetaCollector()
        collector.feed(requests.page)
        chosen.response.http_equiv = collector.equiv
    return requests
