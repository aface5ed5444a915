"""What a vendor package supplies to the kit, in the roles moto gives a service:

- routes ("urls"): a `Router` of the vendor's API below its `prefix`;
- request parsing and rendering ("responses"): the route handlers and `decode_body`
  (JSON for Netlify, form encoding for Stripe);
- backend state ("models"): whatever the handlers call; the kit only stores it
  (`JsonStateStore`) and asks the vendor to `reset` it;
- errors ("exceptions"): `error` renders a failure in the vendor's shape; handlers raise
  `HttpError` and never build error bodies themselves.

The kit supplies the rest: the server, the pipeline (faults, rate limit, log), spec
validation, and the control namespace under /_emulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from local_services.common.http_server import Request, Response
from local_services.common.routing import Router


class VendorApi(Protocol):
    prefix: str  # where the API lives on its port, e.g. "/api/v1"
    router: Router

    def error(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
        """A client-visible failure in the vendor's error shape."""
        ...

    def authenticate(self, request: Request) -> Response | None:
        """None when the request may proceed, else the vendor's refusal (401)."""
        ...

    def decode_body(self, request: Request) -> Any:
        """The request body as the vendor's clients encode it; raises HttpError(400) if unreadable."""
        ...


class VendorSettings(Protocol):
    """The vendor's runtime knobs under /_emulator/config (e.g. Netlify's build time)."""

    keys: frozenset[str]

    def describe(self) -> dict[str, Any]: ...

    def update(self, changes: Mapping[str, Any]) -> None:
        """Apply all of `changes` (only known keys) or none; HttpError(422) names a bad value."""
        ...
