"""Twilio's part of the control API under /_emulator (the kit serves health, requests,
faults, config and reset).

POST   /_emulator/messages   add messages: {"messages": [{"status": "failed", "count": 3,
                             "age_s"?: 60, "to"?, "from"?, "body"?}]}; status one of
                             queued, sent, delivered, failed, undelivered
GET    /_emulator/messages   every message as the API renders it, newest first
DELETE /_emulator/messages   forget them all
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from local_services.common.http_server import HttpError, Request, Response, empty_response, json_response
from local_services.common.routing import Route
from local_services.twilio.models import MessageBackend, MessageQuery, parse_new_messages


class NoSettings:
    """`VendorSettings`: the Twilio emulator has no runtime knobs beyond the kit's."""

    keys: frozenset[str] = frozenset()

    def describe(self) -> dict[str, Any]:
        return {}

    def update(self, changes: Mapping[str, Any]) -> None:
        if changes:
            raise HttpError(422, f"unknown config keys: {', '.join(sorted(changes))}")


class TwilioControl:
    def __init__(self, messages: MessageBackend) -> None:
        self.messages = messages
        self.settings = NoSettings()

    def routes(self) -> list[Route]:
        return [
            Route("POST", "/messages", self.add_messages),
            Route("GET", "/messages", self.list_messages),
            Route("DELETE", "/messages", self.clear_messages),
        ]

    def add_messages(self, request: Request, _params: dict[str, str]) -> Response:
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            raise HttpError(400, 'body must be {"messages": [...]}')
        added = self.messages.add([parse_new_messages(item) for item in body["messages"]])
        return json_response(201, {"added": len(added), "sids": [m["sid"] for m in added]})

    def list_messages(self, _request: Request, _params: dict[str, str]) -> Response:
        found = self.messages.newest_first(MessageQuery())
        return json_response(200, [self.messages.render(m) for m in found])

    def clear_messages(self, _request: Request, _params: dict[str, str]) -> Response:
        self.messages.clear()
        return empty_response(204)
