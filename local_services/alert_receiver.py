"""A local stand-in for Slack and Discord incoming webhooks, for tests of the monitor.

POST /slack/<hook>      Slack's payload rules: "text" or "blocks" required; answers 200 "ok"
POST /discord/<hook>    Discord's: "content" (<= 2000 chars) or "embeds" (<= 10); answers 204
GET  /_receiver/messages            what each accepted POST carried: [{"vendor", "hook", "body"}]
PUT  /_receiver/fail {"statuses": [429, 500]}   answer the next POSTs with these, in order
DELETE /_receiver/messages          forget

Refused and failed POSTs are not recorded: the list is exactly what the vendor accepted.
"""

from __future__ import annotations

import threading
from typing import Any

from local_services.common.http_server import AppServer, Request, Response, json_response


def _problem(vendor: str, body: Any) -> str | None:
    if not isinstance(body, dict):
        return "body must be a JSON object"
    if vendor == "slack":
        return None if body.get("text") or body.get("blocks") else "invalid_payload: text or blocks required"
    content, embeds = body.get("content"), body.get("embeds")
    if not content and not embeds:
        return "Cannot send an empty message"
    if isinstance(content, str) and len(content) > 2000:
        return "content: Must be 2000 or fewer in length."
    if embeds is not None and (not isinstance(embeds, list) or len(embeds) > 10):
        return "embeds: Must be 10 or fewer in length."
    return None


class AlertReceiver:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.messages: list[dict[str, Any]] = []
        self.fail_next: list[int] = []
        self.server = AppServer(0, "alert-receiver")
        self.server.app = self
        self.url = f"http://127.0.0.1:{self.server.port}"

    def __call__(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        if parts[:2] == ["_receiver", "messages"]:
            if request.method == "DELETE":
                with self._lock:
                    self.messages.clear()
                return Response(204)
            with self._lock:
                return json_response(200, list(self.messages))
        if parts[:2] == ["_receiver", "fail"] and request.method == "PUT":
            with self._lock:
                self.fail_next = [int(s) for s in request.json().get("statuses", [])]
            return Response(204)
        if request.method != "POST" or len(parts) != 2 or parts[0] not in ("slack", "discord"):
            return json_response(404, {"message": "Unknown Webhook", "code": 10015})
        vendor, hook = parts
        with self._lock:
            injected = self.fail_next.pop(0) if self.fail_next else None
        if injected == 429:
            return json_response(
                429, {"message": "You are being rate limited.", "retry_after": 0.05}, {"Retry-After": "0"}
            )
        if injected is not None:
            return json_response(injected, {"message": "injected failure"})
        body = request.json()
        problem = _problem(vendor, body)
        if problem is not None:
            return json_response(400, {"message": problem})
        with self._lock:
            self.messages.append({"vendor": vendor, "hook": hook, "body": body})
        if vendor == "slack":
            return Response(200, b"ok", {"Content-Type": "text/plain"})
        return Response(204)

    def start(self) -> AlertReceiver:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def received(self, vendor: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.messages if vendor is None or m["vendor"] == vendor]

    def fail(self, *statuses: int) -> None:
        with self._lock:
            self.fail_next = list(statuses)
