"""Breakages a test can make in the emulated site, for `sfops verify` and `sfops monitor`.

GET | PUT | DELETE /_emulator/site-overrides   (PUT merges into what is set; DELETE heals;
                                               the kit's POST /_emulator/reset heals too)

  headers            {"Name": "value" | null}  replace a response header, null removes it
  functions          {"send-sms": {"status": 404|500|..., "delay_ms": 3500}}
  homepage_status    answer the homepage with this status (e.g. 503)
  homepage_delay_ms  answer the homepage this late (a slow, "degraded" site)
  live_stream        false: the homepage lacks the live-stream container
  rate_limit_per_minute  answer 429 once a minute's requests pass this count
  webhook_accepts_unsigned  true: stripe-webhook answers 200 without checking the signature

Kept apart from the site's normal behaviour so that without overrides it serves exactly
what a healthy deploy serves.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from local_services.common.http_server import HttpError, Request, Response, empty_response, json_response
from local_services.common.routing import Route

# Below the kit's control prefix (/_emulator).
PATH = "/site-overrides"
_KEYS = frozenset(
    {
        "headers",
        "functions",
        "homepage_status",
        "homepage_delay_ms",
        "live_stream",
        "rate_limit_per_minute",
        "webhook_accepts_unsigned",
    }
)


@dataclass(frozen=True)
class FunctionOverride:
    status: int | None = None
    delay_ms: int = 0


@dataclass
class SiteOverrides:
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _settings: dict[str, Any] = field(default_factory=dict)
    _window: list[float] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._settings)

    def _get(self, key: str, default: Any) -> Any:
        with self._lock:
            return self._settings.get(key, default)

    def function(self, name: str) -> FunctionOverride:
        raw = self._get("functions", {}).get(name) or {}
        return FunctionOverride(raw.get("status"), int(raw.get("delay_ms", 0)))

    @property
    def live_stream(self) -> bool:
        return bool(self._get("live_stream", True))

    @property
    def webhook_accepts_unsigned(self) -> bool:
        return bool(self._get("webhook_accepts_unsigned", False))

    @property
    def homepage_status(self) -> int | None:
        status = self._get("homepage_status", None)
        return int(status) if status is not None else None

    @property
    def homepage_delay_s(self) -> float:
        return float(self._get("homepage_delay_ms", 0)) / 1000

    def rate_limited(self) -> bool:
        """Count one site request; True when it is over the configured per-minute limit."""
        limit = self._get("rate_limit_per_minute", None)
        if limit is None:
            return False
        now = time.monotonic()
        with self._lock:
            self._window = [stamp for stamp in self._window if now - stamp < 60] + [now]
            return len(self._window) > int(limit)

    def apply_headers(self, response: Response) -> None:
        for name, value in self._get("headers", {}).items():
            for existing in [key for key in response.headers if key.lower() == name.lower()]:
                del response.headers[existing]
            if value is not None:
                response.headers[name] = value

    def routes(self) -> list[Route]:
        """Registered in the kit's control namespace by the Netlify control API."""
        return [
            Route("GET", PATH, lambda _r, _p: json_response(200, self.describe())),
            Route("PUT", PATH, self.update),
            Route("DELETE", PATH, self.heal),
        ]

    def clear(self) -> None:
        with self._lock:
            self._settings, self._window = {}, []

    def heal(self, _request: Request, _params: dict[str, str]) -> Response:
        self.clear()
        return empty_response(204)

    def update(self, request: Request, _params: dict[str, str]) -> Response:
        body = request.json()
        if not isinstance(body, dict):
            raise HttpError(400, "body must be a JSON object")
        unknown = sorted(set(body) - _KEYS)
        if unknown:
            raise HttpError(422, f"unknown override keys: {', '.join(unknown)}; known: {', '.join(sorted(_KEYS))}")
        if not isinstance(body.get("headers", {}), dict) or not isinstance(body.get("functions", {}), dict):
            raise HttpError(422, "headers and functions must be objects")
        with self._lock:
            for key, value in body.items():
                if isinstance(value, dict) and isinstance(self._settings.get(key), dict):
                    self._settings[key] = {**self._settings[key], **value}
                else:
                    self._settings[key] = value
        return json_response(200, self.describe())
