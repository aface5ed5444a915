"""Twilio's failures and their shape: `{code, message, more_info, status}`.

`code` is Twilio's own error number (https://www.twilio.com/docs/api/errors), not the
HTTP status; handlers raise `HttpError` and only `error_response` builds an error body.
"""

from __future__ import annotations

from collections.abc import Mapping

from local_services.common.http_server import Response, json_response

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"
# HTTP status -> the Twilio error code it is answered with when nothing more specific applies.
CODES = {
    400: 20001,
    401: 20003,
    403: 20403,
    404: 20404,
    405: 20004,
    422: 20001,
    429: 20429,
    500: 20500,
    502: 20500,
    503: 20503,
}


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    code = CODES.get(status, 20500 if status >= 500 else 20001)
    payload = {"code": code, "message": message, "more_info": MORE_INFO.format(code=code), "status": status}
    return json_response(status, payload, headers)
