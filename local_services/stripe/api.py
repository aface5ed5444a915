"""Stripe as the kit sees it (`VendorApi`): routes below /v1, the secret key as a bearer
token (or HTTP basic user, as curl -u sends it), form-encoded bodies typed by the spec,
and Stripe's error shape. Requests are validated against the pinned spec by the kit."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterable, Mapping
from typing import Any

from local_services.common.http_server import Request, Response
from local_services.common.routing import Route, Router
from local_services.common.spec_validation import OperationContract, QueryParameter, RequestValidator, tighten
from local_services.stripe.errors import error_response
from local_services.stripe.form import coerce, decode_form
from local_services.stripe.responses import StripeResponses
from local_services.stripe.spec import form_schema, operation

API_PREFIX = "/v1"
# operation id -> (method, path in the spec)
OPERATIONS = {
    "PostWebhookEndpoints": ("post", "/v1/webhook_endpoints"),
    "GetWebhookEndpoints": ("get", "/v1/webhook_endpoints"),
    "GetWebhookEndpointsWebhookEndpoint": ("get", "/v1/webhook_endpoints/{webhook_endpoint}"),
    "PostWebhookEndpointsWebhookEndpoint": ("post", "/v1/webhook_endpoints/{webhook_endpoint}"),
    "DeleteWebhookEndpointsWebhookEndpoint": ("delete", "/v1/webhook_endpoints/{webhook_endpoint}"),
}


def routes(responses: StripeResponses) -> list[Route]:
    guard = responses.guarded
    handlers = {
        "PostWebhookEndpoints": guard(responses.create, idempotent=True),
        "GetWebhookEndpoints": guard(responses.list),
        "GetWebhookEndpointsWebhookEndpoint": guard(responses.retrieve),
        "PostWebhookEndpointsWebhookEndpoint": guard(responses.update, idempotent=True),
        "DeleteWebhookEndpointsWebhookEndpoint": guard(responses.delete, idempotent=True),
    }
    return [
        Route(method.upper(), path[len(API_PREFIX) :], handlers[operation_id], operation_id)
        for operation_id, (method, path) in OPERATIONS.items()
    ]


def contracts() -> Iterable[OperationContract]:
    for operation_id, (method, path) in OPERATIONS.items():
        query = {
            parameter["name"]: QueryParameter(parameter["name"], parameter.get("schema", {}), parameter.get("required"))
            for parameter in operation(method, path).get("parameters", [])
            if parameter.get("in") == "query"
        }
        body = form_schema(method, path)
        yield OperationContract(operation_id, query, tighten(body) if body else None, False)


def spec_validator() -> RequestValidator:
    return RequestValidator(contracts())


class StripeApi:
    prefix = API_PREFIX

    def __init__(self, responses: StripeResponses, keys: Iterable[str]) -> None:
        self.router = Router(routes(responses))
        self._keys = [key.encode() for key in keys]

    def error(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
        return error_response(status, message, headers)

    def _given_key(self, request: Request) -> bytes:
        scheme, _, value = (request.header("authorization") or "").partition(" ")
        if scheme.lower() == "bearer":
            return value.strip().encode()
        if scheme.lower() == "basic":
            try:
                return base64.b64decode(value.strip(), validate=True).partition(b":")[0]
            except (binascii.Error, ValueError):
                return b""
        return b""

    def authenticate(self, request: Request) -> Response | None:
        given = self._given_key(request)
        if given and any(hmac.compare_digest(given, key) for key in self._keys):
            return None
        if not given:
            message = (
                "You did not provide an API key. You need to provide your API key in the Authorization header, "
                "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
            )
        else:
            shown = given.decode(errors="replace")
            message = f"Invalid API Key provided: {shown[:8]}{'*' * 8}{shown[-4:]}"
        return error_response(401, message, {"WWW-Authenticate": 'Bearer realm="Stripe"'})

    def decode_body(self, request: Request) -> Any:
        found = self.router.match(request.method, request.path[len(API_PREFIX) :] or "/")
        body = decode_form(request.body)
        if found is None or found[0].operation_id not in OPERATIONS:
            return body
        method, path = OPERATIONS[found[0].operation_id]
        return coerce(body, form_schema(method, path))
