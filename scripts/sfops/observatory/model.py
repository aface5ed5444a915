"""What the Observatory's analyzers look at: the responses its retriever collected.

Mirrors mdn/mdn-http-observatory's `Requests`/`Responses` (src/types.js) closely enough
that each analyzer reads like its JavaScript original. Header lookup follows Node's
HTTP client, which the Observatory runs on: repeated headers are joined with ", ",
Set-Cookie stays a list, and a few single-valued headers keep only their first value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

# Node's http module drops repeats of these instead of joining them.
_FIRST_VALUE_ONLY = frozenset(
    {
        "age",
        "authorization",
        "content-length",
        "content-type",
        "etag",
        "expires",
        "from",
        "host",
        "if-modified-since",
        "if-unmodified-since",
        "last-modified",
        "location",
        "max-forwards",
        "proxy-authorization",
        "referer",
        "retry-after",
        "server",
        "user-agent",
    }
)
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


@dataclass
class HttpResponse:
    url: str
    status: int
    raw_headers: list[tuple[str, str]]
    text: str = ""
    verified: bool = True  # False when only an unverified TLS connection worked
    request_headers: dict[str, str] = field(default_factory=dict)
    # Filled for the "auto" response only: <meta http-equiv> CSP and <meta name=referrer>.
    http_equiv: dict[str, list[str]] = field(default_factory=dict)

    def headers(self, name: str) -> list[str]:
        """All values of a header as Node exposes them (see module docstring)."""
        wanted = name.lower()
        values = [value for key, value in self.raw_headers if key.lower() == wanted]
        if not values or wanted == "set-cookie":
            return values
        if wanted in _FIRST_VALUE_ONLY:
            return values[:1]
        return [", ".join(values)]

    def first(self, name: str) -> str | None:
        values = self.headers(name)
        return values[0] if values else None


@dataclass(frozen=True)
class RedirectEntry:
    url: str
    status: int

    @property
    def scheme(self) -> str:
        return urlsplit(self.url).scheme

    @property
    def hostname(self) -> str:
        return urlsplit(self.url).hostname or ""


@dataclass(frozen=True)
class Cookie:
    """A cookie as tough-cookie parses it (only the attributes the analyzer reads)."""

    key: str
    secure: bool
    http_only: bool
    same_site: str | None  # "strict" | "lax" | "none" | None


@dataclass
class Requests:
    hostname: str
    session_url: str  # the URL the chosen session started from (https if it answered)
    auto: HttpResponse | None = None
    http: HttpResponse | None = None
    https: HttpResponse | None = None
    http_redirects: list[RedirectEntry] = field(default_factory=list)
    cors: HttpResponse | None = None
    page: str = ""
    cookies: list[Cookie] = field(default_factory=list)
    # Hosts on Chromium's HSTS preload list (host -> includeSubDomains); see grade.py.
    hsts_preloaded: dict[str, bool] = field(default_factory=dict)

    @property
    def session_scheme(self) -> str:
        return urlsplit(self.session_url).scheme
