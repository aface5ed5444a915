"""Request parsing and rendering ("responses"): Stripe's webhook endpoint operations.

POST   /v1/webhook_endpoints          create (url, enabled_events required); the answer
                                      carries `secret`, which no later call shows again
GET    /v1/webhook_endpoints          list, newest first: limit (1-100, default 10),
                                      starting_after / ending_before, has_more
GET    /v1/webhook_endpoints/{id}     retrieve
POST   /v1/webhook_endpoints/{id}     update: url, enabled_events, description, metadata
                                      (an empty value unsets a key), disabled
DELETE /v1/webhook_endpoints/{id}     delete -> {id, object, deleted: true}

POSTs honour Idempotency-Key: the first answer is stored and replayed (with
`Idempotent-Replayed: true`) to a repeat with the same parameters; the same key with
other parameters is refused with Stripe's idempotency_error.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from local_services.common.http_server import Request, Response, json_response
from local_services.stripe.errors import StripeApiError, missing, stripe_error_response
from local_services.stripe.form import coerce, decode_form
from local_services.stripe.models import (
    IDEMPOTENCY_TTL_S,
    MAX_ENDPOINTS,
    EndpointRecord,
    StripeStore,
    new_endpoint,
    render_endpoint,
)
from local_services.stripe.spec import form_schema

Handler = Callable[[Request, dict[str, str]], Response]
KIND = "webhook endpoint"
LIST_URL = "/v1/webhook_endpoints"


def form_body(request: Request, method: str, path: str) -> dict[str, Any]:
    body: dict[str, Any] = coerce(decode_form(request.body), form_schema(method, path))
    body.pop("expand", None)
    return body


def _check_url(url: Any) -> None:
    parsed = urlparse(url if isinstance(url, str) else "")
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise StripeApiError(400, f"Invalid URL: {url!r}. URLs must begin with http:// or https://", param="url")


def _find(endpoints: list[EndpointRecord], endpoint_id: str) -> EndpointRecord:
    for record in endpoints:
        if record["id"] == endpoint_id:
            return record
    raise missing(KIND, endpoint_id)


class StripeResponses:
    def __init__(self, store: StripeStore, livemode: bool) -> None:
        self.store = store
        self.livemode = livemode

    def guarded(self, handler: Handler, *, idempotent: bool = False) -> Handler:
        """Stripe's error shape for the handler's own refusals, and Idempotency-Key for POSTs."""

        def run(request: Request, params: dict[str, str]) -> Response:
            try:
                if idempotent and request.header("idempotency-key"):
                    return self._idempotent(handler, request, params)
                return handler(request, params)
            except StripeApiError as exc:
                return stripe_error_response(exc)

        return run

    def _idempotent(self, handler: Handler, request: Request, params: dict[str, str]) -> Response:
        key = request.header("idempotency-key") or ""
        if len(key) > 255:
            raise StripeApiError(400, "Idempotency-Key must be at most 255 characters", type_="idempotency_error")
        # The same parameters, however the client ordered them, are the same request.
        params_seen = json.dumps(decode_form(request.body), sort_keys=True)
        fingerprint = hashlib.sha256(f"{request.method} {request.path}\n{params_seen}".encode()).hexdigest()
        with self.store.read() as data:
            stored = data["idempotency"].get(key)
        if stored is not None and time.time() - stored["created"] < IDEMPOTENCY_TTL_S:
            if stored["fingerprint"] != fingerprint:
                raise StripeApiError(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters they were first used "
                    f"with. Try using a key other than '{key}' if you meant to execute a different request.",
                    type_="idempotency_error",
                )
            headers = {"Idempotency-Key": key, "Idempotent-Replayed": "true"}
            return json_response(stored["status"], json.loads(stored["body"]), headers)
        try:
            response = handler(request, params)
        except StripeApiError as exc:
            response = stripe_error_response(exc)
        # Stripe keeps the first answer, success or refusal (but not a 5xx, which it lets run again).
        if response.status < 500:
            with self.store.mutate() as data:
                data["idempotency"][key] = {
                    "fingerprint": fingerprint,
                    "status": response.status,
                    "body": response.body.decode(),
                    "created": time.time(),
                }
        response.headers["Idempotency-Key"] = key
        return response

    def create(self, request: Request, _params: dict[str, str]) -> Response:
        body = form_body(request, "post", LIST_URL)
        _check_url(body.get("url"))
        if not body.get("enabled_events"):
            raise StripeApiError(400, "Missing required param: enabled_events.", param="enabled_events")
        with self.store.mutate() as data:
            if len(data["endpoints"]) >= MAX_ENDPOINTS:
                mode = "live" if self.livemode else "test"
                raise StripeApiError(
                    400, f"You have reached the maximum of {MAX_ENDPOINTS} {mode} webhook endpoints.", param="url"
                )
            record = new_endpoint(body, self.livemode)
            data["endpoints"].append(record)
        return json_response(200, render_endpoint(record, with_secret=True))

    def retrieve(self, _request: Request, params: dict[str, str]) -> Response:
        with self.store.read() as data:
            return json_response(200, render_endpoint(_find(data["endpoints"], params["webhook_endpoint"])))

    def update(self, request: Request, params: dict[str, str]) -> Response:
        body = form_body(request, "post", LIST_URL + "/{webhook_endpoint}")
        if "url" in body:
            _check_url(body["url"])
        if "enabled_events" in body and not body["enabled_events"]:
            raise StripeApiError(400, "enabled_events must not be empty", param="enabled_events")
        with self.store.mutate() as data:
            record = _find(data["endpoints"], params["webhook_endpoint"])
            for name in ("url", "enabled_events", "description"):
                if name in body:
                    record[name] = body[name]
            if "disabled" in body:
                record["status"] = "disabled" if body["disabled"] else "enabled"
            metadata = body.get("metadata")
            if metadata == "":
                record["metadata"] = {}
            elif isinstance(metadata, dict):
                merged = {**record["metadata"], **metadata}
                record["metadata"] = {k: v for k, v in merged.items() if v != ""}
            rendered = render_endpoint(record)
        return json_response(200, rendered)

    def delete(self, _request: Request, params: dict[str, str]) -> Response:
        with self.store.mutate() as data:
            record = _find(data["endpoints"], params["webhook_endpoint"])
            data["endpoints"].remove(record)
        return json_response(200, {"id": record["id"], "object": "webhook_endpoint", "deleted": True})

    def list(self, request: Request, _params: dict[str, str]) -> Response:
        text = request.query.get("limit", "10")
        if not text.isdigit() or not 1 <= int(text) <= 100:
            raise StripeApiError(400, "Invalid integer: limit must be between 1 and 100", param="limit")
        limit = int(text)
        with self.store.read() as data:
            newest_first = list(reversed(data["endpoints"]))
        ids = [record["id"] for record in newest_first]
        after, before = request.query.get("starting_after"), request.query.get("ending_before")
        if after is not None:
            if after not in ids:
                raise missing(KIND, after)
            page = newest_first[ids.index(after) + 1 :][:limit]
            more = ids.index(after) + 1 + limit < len(ids)
        elif before is not None:
            if before not in ids:
                raise missing(KIND, before)
            earlier = newest_first[: ids.index(before)]
            page = earlier[-limit:]
            more = len(earlier) > limit
        else:
            page, more = newest_first[:limit], len(newest_first) > limit
        payload = {"object": "list", "url": LIST_URL, "has_more": more, "data": [render_endpoint(r) for r in page]}
        return json_response(200, payload)
