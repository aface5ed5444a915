"""Netlify as the kit sees it (`VendorApi`): routes, bearer-token auth, JSON bodies and
the `{code, message}` error shape; plus the spec contracts its requests are held to."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from local_services.common.http_server import Request, Response
from local_services.common.routing import Router
from local_services.common.spec_validation import RequestValidator, swagger2_contract
from local_services.netlify.errors import error_response
from local_services.netlify.responses import NetlifyResponses
from local_services.netlify.urls import API_PREFIX, ENDPOINTS, routes


def request_validator(spec: Mapping[str, Any]) -> RequestValidator:
    """Contracts for every endpoint served; KeyError if the spec lacks one (it must not)."""
    return RequestValidator(
        swagger2_contract(spec, endpoint.method, endpoint.documented_path) for endpoint in ENDPOINTS
    )


class NetlifyApi:
    prefix = API_PREFIX

    def __init__(self, responses: NetlifyResponses, token: str) -> None:
        self.router = Router(routes(responses))
        self._token = token.encode()

    def error(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
        return error_response(status, message, headers)

    def authenticate(self, request: Request) -> Response | None:
        scheme, _, credential = (request.header("authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and credential and hmac.compare_digest(credential.strip().encode(), self._token):
            return None
        return error_response(
            401,
            "Access Denied: send Authorization: Bearer <token> with the emulator's token",
            {"WWW-Authenticate": 'Bearer realm="netlify-emulator"'},
        )

    def decode_body(self, request: Request) -> Any:
        return request.json()
