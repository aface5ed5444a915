"""Request parsing and rendering ("responses"): the Messages list with Twilio's paging.

GET /2010-04-01/Accounts/{AccountSid}/Messages.json
    To, From, DateSent, DateSent<, DateSent> (YYYY-MM-DD, inclusive), PageSize (1-1000,
    default 50), Page, PageToken. Newest first; the page carries `messages` and Twilio's
    paging fields (`page`, `page_size`, `start`, `end`, `uri`, `first_page_uri`,
    `next_page_uri`, `previous_page_uri`). `next_page_uri` holds a PageToken naming the
    last message served, so paging stays stable while new messages arrive.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from local_services.common.http_server import HttpError, Request, Response, json_response
from local_services.twilio.models import API_VERSION, MessageBackend, MessageQuery

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FILTERS = ("To", "From", "DateSent", "DateSent<", "DateSent>")


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise HttpError(400, f"Invalid {name}: {text!r} (expected an integer between {low} and {high})")
    return int(text)


def parse_query(request: Request) -> MessageQuery:
    for name in ("DateSent", "DateSent<", "DateSent>"):
        value = request.query.get(name)
        if value is not None and not DAY.match(value):
            raise HttpError(400, f"Invalid {name}: {value!r} (expected YYYY-MM-DD)")
    return MessageQuery(
        to=request.query.get("To"),
        from_=request.query.get("From"),
        sent_on=request.query.get("DateSent"),
        sent_after=request.query.get("DateSent>"),
        sent_before=request.query.get("DateSent<"),
    )


class TwilioResponses:
    def __init__(self, messages: MessageBackend) -> None:
        self.messages = messages

    def _not_found(self, request: Request) -> HttpError:
        return HttpError(404, f"The requested resource {request.path} was not found")

    def list_messages(self, request: Request, params: dict[str, str]) -> Response:
        if params["AccountSid"] != self.messages.account_sid:
            raise self._not_found(request)
        query = parse_query(request)
        size = _int_param(request, "PageSize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
        page = _int_param(request, "Page", 0, 0, 1_000_000)
        found = self.messages.newest_first(query)
        token = request.query.get("PageToken")
        if token is not None:
            sids = [m["sid"] for m in found]
            if not token.startswith("PA") or token[2:] not in sids:
                raise HttpError(400, f"Invalid PageToken: {token!r}")
            start = sids.index(token[2:]) + 1
        else:
            start = page * size
        served = found[start : start + size]
        filters = {name: request.query[name] for name in FILTERS if name in request.query}
        base = f"/{API_VERSION}/Accounts/{self.messages.account_sid}/Messages.json"

        def uri(page_number: int, page_token: str | None = None) -> str:
            paging: dict[str, Any] = {**filters, "PageSize": size, "Page": page_number}
            if page_token is not None:
                paging["PageToken"] = page_token
            return f"{base}?{urlencode(paging)}"

        more = start + size < len(found) and bool(served)
        payload = {
            "messages": [self.messages.render(m) for m in served],
            "page": page,
            "page_size": size,
            "start": start,
            "end": start + max(len(served) - 1, 0),
            "uri": uri(page, token),
            "first_page_uri": uri(0),
            "next_page_uri": uri(page + 1, "PA" + served[-1]["sid"]) if more else None,
            "previous_page_uri": uri(page - 1) if page > 0 else None,
        }
        return json_response(200, payload)
