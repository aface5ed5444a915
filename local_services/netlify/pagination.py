"""Netlify's page/per_page pagination with an RFC 8288 `Link` header, as the API sends it:
`<https://api.netlify.com/api/v1/sites?page=2&per_page=10>; rel="next", <...>; rel="last"`.

Clients that follow `rel="next"` (Netlify's own, and any generic paginator) read every
page; a client that reads only the first page gets at most `per_page` items.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlencode

from local_services.netlify.errors import bad_request

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000

T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    number: int
    per_page: int


def _int_query(query: Mapping[str, str], name: str, default: int, high: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"query parameter {name} must be an integer") from None
    if not 1 <= value <= high:
        raise bad_request(f"query parameter {name} must be between 1 and {high}")
    return value


def requested_page(query: Mapping[str, str]) -> Page:
    return Page(_int_query(query, "page", 1, MAX_PAGE), _int_query(query, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE))


def paginate(items: Sequence[T], query: Mapping[str, str], url: str) -> tuple[list[T], dict[str, str]]:
    """The requested page of `items` and the headers to send with it.

    `url` is the absolute URL of the list without a query; the links keep the request's
    other parameters (filters) so following them walks the same list."""
    page = requested_page(query)
    start = (page.number - 1) * page.per_page
    last = max(1, -(-len(items) // page.per_page))
    kept = {name: value for name, value in query.items() if name not in ("page", "per_page")}

    def link(number: int, rel: str) -> str:
        return f'<{url}?{urlencode({**kept, "page": number, "per_page": page.per_page})}>; rel="{rel}"'

    links = []
    if page.number < last:
        links.append(link(page.number + 1, "next"))
    if page.number > 1:
        links.append(link(min(page.number - 1, last), "prev"))
    links.append(link(last, "last"))
    return list(items[start : start + page.per_page]), {"Link": ", ".join(links)}
