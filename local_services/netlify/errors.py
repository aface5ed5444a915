"""Netlify's failures and their shape (`{code, message}`, the spec's `error` definition).

Models and handlers raise these; only `error_response` builds an error body.
"""

from __future__ import annotations

from collections.abc import Mapping

from local_services.common.http_server import HttpError, Response, json_response


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return json_response(status, {"code": status, "message": message}, headers)


def not_found(kind: str, ident: str) -> HttpError:
    return HttpError(404, f"{kind} not found: {ident}")


def conflict(message: str) -> HttpError:
    return HttpError(409, message)


def bad_request(message: str) -> HttpError:
    """The request is malformed (wrong type, missing value, unreadable)."""
    return HttpError(400, message)


def unprocessable(message: str) -> HttpError:
    """Well formed, but Netlify would not accept it (unknown context, invalid key, wrong state)."""
    return HttpError(422, message)
