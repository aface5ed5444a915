"""Stripe's failures and their shape: `{"error": {"type", "message", "code"?, "param"?}}`.

Handlers raise `StripeApiError` (an `HttpError` that also carries Stripe's `code` and
`param`); only `error_response` builds an error body.
"""

from __future__ import annotations

from collections.abc import Mapping

from local_services.common.http_server import HttpError, Response, json_response

# HTTP status -> Stripe's error type when nothing more specific applies.
TYPES = {429: "invalid_request_error", 500: "api_error", 502: "api_error", 503: "api_error"}
CODES = {429: "rate_limit"}


class StripeApiError(HttpError):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        type_: str = "invalid_request_error",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status, message, headers)
        self.code = code
        self.param = param
        self.type = type_


def render(status: int, message: str, *, type_: str, code: str | None, param: str | None) -> dict[str, object]:
    error: dict[str, object] = {"type": type_, "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return {"error": error}


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """What the kit renders (faults, auth, validation): spec problems are 400s at Stripe."""
    status = 400 if status == 422 else status
    type_ = TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    return json_response(status, render(status, message, type_=type_, code=CODES.get(status), param=None), headers)


def stripe_error_response(exc: StripeApiError) -> Response:
    body = render(exc.status, exc.message, type_=exc.type, code=exc.code, param=exc.param)
    return json_response(exc.status, body, exc.headers)


def missing(kind: str, object_id: str) -> StripeApiError:
    return StripeApiError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param="id")
