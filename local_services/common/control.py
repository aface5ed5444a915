"""The emulator's own control API under /_emulator (no auth: loopback, dev only).

Shared by every emulator:
GET    /_emulator/health
GET    /_emulator/requests | DELETE     the vendor API request log
GET    /_emulator/faults | PUT | DELETE fault injection
GET    /_emulator/config | PUT          `validation` (off|warn|strict) and the vendor's settings
POST   /_emulator/reset                 back to the freshly seeded state: vendor state and
                                        settings, request log, faults, validation mode
GET    /_emulator/state | PUT           the vendor's whole state document; PUT is a reset to a
                                        document taken earlier (a test suite's prepared world)
A vendor adds its own routes below the same prefix (e.g. Netlify's published-env).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from local_services.common.faults import FaultInjector, parse_fault_config
from local_services.common.http_server import HttpError, Request, Response, empty_response, json_response, plain_error
from local_services.common.request_log import RequestLog
from local_services.common.routing import Route, Router
from local_services.common.spec_validation import ValidationMode, ValidationSwitch
from local_services.common.state_store import StateError
from local_services.common.vendor import VendorSettings

CONTROL_PREFIX = "/_emulator"
VALIDATION_KEY = "validation"


@dataclass(frozen=True)
class StateSnapshots:
    """A stateful vendor's whole state, handed out and taken back.

    Integration tests prepare a world once (a stack after its first `up`) and put it back
    before each test, instead of repeating the `up` per test; `restore` is a reset whose
    seed is that document.
    """

    take: Callable[[], Any]
    restore: Callable[[Any], None]


class ControlApi:
    def __init__(
        self,
        *,
        faults: FaultInjector,
        log: RequestLog,
        validation: ValidationSwitch,
        settings: VendorSettings,
        reset: Callable[[], None],
        snapshots: StateSnapshots | None = None,
        vendor_routes: Sequence[Route] = (),
    ) -> None:
        self.faults = faults
        self.log = log
        self.validation = validation
        self.settings = settings
        self._reset_vendor = reset
        self._snapshots = snapshots
        shared = [
            Route("GET", "/health", lambda _r, _p: json_response(200, {"ok": True})),
            Route("GET", "/requests", lambda _r, _p: json_response(200, self.log.entries())),
            Route("DELETE", "/requests", self.clear_requests),
            Route("GET", "/faults", lambda _r, _p: json_response(200, self.faults.describe())),
            Route("PUT", "/faults", self.set_faults),
            Route("DELETE", "/faults", self.clear_faults),
            Route("GET", "/config", lambda _r, _p: json_response(200, self.config())),
            Route("PUT", "/config", self.set_config),
            Route("POST", "/reset", self.reset),
            Route("GET", "/state", self.get_state),
            Route("PUT", "/state", self.put_state),
        ]
        self.router = Router([*shared, *vendor_routes])

    def __call__(self, request: Request) -> Response:
        found = self.router.match(request.method, request.path[len(CONTROL_PREFIX) :] or "/")
        if found is None:
            return plain_error(404, f"Not Found: {request.method} {request.path}")
        route, params = found
        try:
            return route.handler(request, params)
        except HttpError as exc:
            response = plain_error(exc.status, exc.message)
            response.headers.update(exc.headers)
            return response

    def clear_requests(self, _request: Request, _params: dict[str, str]) -> Response:
        self.log.clear()
        return empty_response(204)

    def set_faults(self, request: Request, _params: dict[str, str]) -> Response:
        self.faults.configure(parse_fault_config(request.json()))
        return json_response(200, self.faults.describe())

    def clear_faults(self, _request: Request, _params: dict[str, str]) -> Response:
        self.faults.configure(None)
        return empty_response(204)

    def config(self) -> dict[str, Any]:
        return {VALIDATION_KEY: str(self.validation.mode), **self.settings.describe()}

    def set_config(self, request: Request, _params: dict[str, str]) -> Response:
        body = request.json()
        if not isinstance(body, dict):
            raise HttpError(400, "body must be a JSON object")
        unknown = sorted(set(body) - self.settings.keys - {VALIDATION_KEY})
        if unknown:
            raise HttpError(422, f"unknown config keys: {', '.join(unknown)}")
        mode = None
        if VALIDATION_KEY in body:
            try:
                mode = ValidationMode(body[VALIDATION_KEY])
            except ValueError:
                allowed = ", ".join(str(m) for m in ValidationMode)
                raise HttpError(422, f"{VALIDATION_KEY} must be one of {allowed}") from None
        # The vendor's keys first: a refused value leaves the validation mode alone too.
        self.settings.update({key: value for key, value in body.items() if key != VALIDATION_KEY})
        if mode is not None:
            self.validation.set(mode)
        return json_response(200, self.config())

    def reset(self, _request: Request, _params: dict[str, str]) -> Response:
        self._reset_with(self._reset_vendor)
        return json_response(200, self.config())

    def get_state(self, _request: Request, _params: dict[str, str]) -> Response:
        return json_response(200, self._require_snapshots().take())

    def put_state(self, request: Request, _params: dict[str, str]) -> Response:
        restore = self._require_snapshots().restore
        document = request.json()
        try:
            self._reset_with(lambda: restore(document))
        except StateError as exc:
            raise HttpError(422, f"{exc}; send a document from GET {CONTROL_PREFIX}/state") from None
        return json_response(200, self.config())

    def _require_snapshots(self) -> StateSnapshots:
        if self._snapshots is None:
            raise HttpError(404, "this emulator keeps no state document to snapshot")
        return self._snapshots

    def _reset_with(self, reset_vendor: Callable[[], None]) -> None:
        # The vendor first: a refused document leaves faults, validation and the log alone too.
        reset_vendor()
        self.faults.configure(None)
        self.validation.set(self.validation.initial)
        self.log.clear()
