"""The emulator's own control API under /_emulator (no auth: loopback, dev only).

GET    /_emulator/health
GET    /_emulator/sites/{site_id}                 the site as the API renders it
GET    /_emulator/sites/{site_id}/published-env   {"deploy_id", "env"} of the published deploy
GET    /_emulator/deploys/{deploy_id}/env         {"deploy_id", "env"} of any deploy
GET    /_emulator/requests | DELETE               the /api/v1 request log
GET    /_emulator/faults | PUT | DELETE           fault injection
GET    /_emulator/config | PUT                    build_seconds, fail_next_builds, fail_message
GET    /_emulator/sms | DELETE                    what send-sms "sent"

Env snapshots report secret values only as sha256 hex, so a test (or a curious
operator) can compare them with what was set without reading them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from local_services.netlify import render
from local_services.netlify.api import error_response
from local_services.netlify.deploys import BuildSettings, DeployService, find_deploy, find_site, published_deploy
from local_services.netlify.faults import FaultInjector, parse_fault_config
from local_services.netlify.functions import SmsOutbox
from local_services.netlify.http_base import (
    HttpError,
    Request,
    Response,
    compile_template,
    empty_response,
    json_response,
    match_template,
)
from local_services.netlify.request_log import RequestLog
from local_services.netlify.state import DeployRecord, StateStore

CONTROL_PREFIX = "/_emulator"


def _env_payload(deploy: DeployRecord) -> dict[str, Any]:
    return {"deploy_id": deploy["id"], "env": render.hashed_env(deploy["env"])}


class ControlApi:
    def __init__(
        self,
        store: StateStore,
        deploys: DeployService,
        faults: FaultInjector,
        request_log: RequestLog,
        outbox: SmsOutbox,
        urls: render.Urls,
    ) -> None:
        self.store = store
        self.deploys = deploys
        self.faults = faults
        self.request_log = request_log
        self.outbox = outbox
        self.urls = urls
        table: list[tuple[str, str, Callable[[Request, dict[str, str]], Response]]] = [
            ("GET", "/health", lambda _r, _p: json_response(200, {"ok": True})),
            ("GET", "/sites/{site_id}", self.get_site),
            ("GET", "/sites/{site_id}/published-env", self.published_env),
            ("GET", "/deploys/{deploy_id}/env", self.deploy_env),
            ("GET", "/requests", lambda _r, _p: json_response(200, self.request_log.entries())),
            ("DELETE", "/requests", self.clear_requests),
            ("GET", "/faults", lambda _r, _p: json_response(200, self.faults.describe())),
            ("PUT", "/faults", self.set_faults),
            ("DELETE", "/faults", self.clear_faults),
            ("GET", "/config", lambda _r, _p: json_response(200, self._config())),
            ("PUT", "/config", self.set_config),
            ("GET", "/sms", lambda _r, _p: json_response(200, self.outbox.messages())),
            ("DELETE", "/sms", self.clear_sms),
        ]
        self._routes: list[tuple[str, re.Pattern[str], Callable[[Request, dict[str, str]], Response]]] = [
            (method, compile_template(template), handler) for method, template, handler in table
        ]

    def __call__(self, request: Request) -> Response:
        path = request.path[len(CONTROL_PREFIX) :] or "/"
        for method, pattern, handler in self._routes:
            params = match_template(pattern, path)
            if method != request.method or params is None:
                continue
            try:
                return handler(request, params)
            except HttpError as exc:
                return error_response(exc.status, exc.message, exc.headers)
        return error_response(404, f"Not Found: {request.method} {request.path}")

    def get_site(self, _request: Request, params: dict[str, str]) -> Response:
        with self.store.read() as data:
            site = find_site(data, params["site_id"])
            return json_response(200, render.site(site, published_deploy(data, site), self.urls))

    def published_env(self, _request: Request, params: dict[str, str]) -> Response:
        with self.store.read() as data:
            deploy = published_deploy(data, find_site(data, params["site_id"]))
            if deploy is None:
                raise HttpError(404, f"site {params['site_id']} has no published deploy")
            return json_response(200, _env_payload(deploy))

    def deploy_env(self, _request: Request, params: dict[str, str]) -> Response:
        with self.store.read() as data:
            return json_response(200, _env_payload(find_deploy(data, params["deploy_id"])))

    def clear_requests(self, _request: Request, _params: dict[str, str]) -> Response:
        self.request_log.clear()
        return empty_response(204)

    def set_faults(self, request: Request, _params: dict[str, str]) -> Response:
        self.faults.configure(parse_fault_config(request.json()))
        return json_response(200, self.faults.describe())

    def clear_faults(self, _request: Request, _params: dict[str, str]) -> Response:
        self.faults.configure(None)
        return empty_response(204)

    def clear_sms(self, _request: Request, _params: dict[str, str]) -> Response:
        self.outbox.clear()
        return empty_response(204)

    def _config(self) -> dict[str, Any]:
        with self.deploys.settings_lock:
            settings = self.deploys.settings
            return {
                "build_seconds": settings.build_seconds,
                "fail_next_builds": settings.fail_next_builds,
                "fail_message": settings.fail_message,
            }

    def set_config(self, request: Request, _params: dict[str, str]) -> Response:
        body = request.json()
        if not isinstance(body, dict):
            raise HttpError(400, "body must be a JSON object")
        unknown = sorted(set(body) - {"build_seconds", "fail_next_builds", "fail_message"})
        if unknown:
            raise HttpError(422, f"unknown config keys: {', '.join(unknown)}")
        update = BuildSettings(**self._config())
        if "build_seconds" in body:
            seconds = body["build_seconds"]
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds <= 3600:
                raise HttpError(422, "build_seconds must be a number between 0 and 3600")
            update.build_seconds = float(seconds)
        if "fail_next_builds" in body:
            count = body["fail_next_builds"]
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise HttpError(422, "fail_next_builds must be a non-negative integer")
            update.fail_next_builds = count
        if "fail_message" in body:
            message = body["fail_message"]
            if not isinstance(message, str) or not message:
                raise HttpError(422, "fail_message must be a non-empty string")
            update.fail_message = message
        with self.deploys.settings_lock:
            self.deploys.settings = update
        return json_response(200, self._config())
