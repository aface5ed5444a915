"""Twilio as the kit sees it (`VendorApi`): routes, HTTP basic auth with the account SID
and auth token, form-encoded bodies and Twilio's error shape."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from local_services.common.http_server import HttpError, Request, Response
from local_services.common.routing import Router
from local_services.twilio.errors import error_response
from local_services.twilio.responses import TwilioResponses
from local_services.twilio.urls import API_PREFIX, routes


class TwilioApi:
    prefix = API_PREFIX

    def __init__(self, responses: TwilioResponses, account_sid: str, auth_token: str) -> None:
        self.router = Router(routes(responses))
        self._credentials = f"{account_sid}:{auth_token}".encode()

    def error(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
        return error_response(status, message, headers)

    def authenticate(self, request: Request) -> Response | None:
        scheme, _, encoded = (request.header("authorization") or "").partition(" ")
        try:
            given = base64.b64decode(encoded.strip(), validate=True) if scheme.lower() == "basic" else b""
        except (binascii.Error, ValueError):
            given = b""
        if given and hmac.compare_digest(given, self._credentials):
            return None
        return error_response(401, "Authenticate", {"WWW-Authenticate": 'Basic realm="Twilio API"'})

    def decode_body(self, request: Request) -> Any:
        try:
            return dict(parse_qsl(request.body.decode(), keep_blank_values=True))
        except UnicodeDecodeError as exc:
            raise HttpError(400, "request body is not form-encoded UTF-8") from exc
