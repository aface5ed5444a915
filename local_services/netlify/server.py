"""Wiring: one state store, the API server (/api/v1 + /_emulator) and the site server,
each on its own loopback port, served from background threads."""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from local_services.netlify.api import API_PREFIX, NetlifyApi, error_response
from local_services.netlify.control import CONTROL_PREFIX, ControlApi
from local_services.netlify.deploys import DEFAULT_BUILD_SECONDS, BuildSettings, DeployService
from local_services.netlify.faults import FaultInjector
from local_services.netlify.functions import SmsOutbox
from local_services.netlify.http_base import LOOPBACK, App, AppServer, HttpError, Request, Response
from local_services.netlify.render import Urls
from local_services.netlify.request_log import RequestLog
from local_services.netlify.site_overrides import PATH as SITE_OVERRIDES_PATH
from local_services.netlify.site_overrides import SiteOverrides
from local_services.netlify.site_server import SiteApp
from local_services.netlify.state import StateStore

TOKEN_ENV = "NETLIFY_EMULATOR_TOKEN"  # noqa: S105 - a variable name
DEFAULT_TOKEN = "local-dev-token"  # noqa: S105 - the documented dev-only default
IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def token_from_env() -> str:
    return os.environ.get(TOKEN_ENV) or DEFAULT_TOKEN


def _api_port_app(api: NetlifyApi, control: ControlApi, overrides: SiteOverrides) -> App:
    def app(request: Request) -> Response | None:
        if request.path.rstrip("/") == SITE_OVERRIDES_PATH:
            try:
                return overrides.handle(request)
            except HttpError as exc:
                return error_response(exc.status, exc.message)
        if request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/"):
            return api(request)
        if request.path == CONTROL_PREFIX or request.path.startswith(CONTROL_PREFIX + "/"):
            return control(request)
        return error_response(404, f"Not Found: {request.method} {request.path} (the API is under {API_PREFIX})")

    return app


@dataclass
class RunningEmulator:
    api_url: str  # http://127.0.0.1:<port>/api/v1
    control_url: str  # http://127.0.0.1:<port>/_emulator
    site_url: str  # http://127.0.0.1:<port>
    site_id: str
    account_id: str
    data_dir: Path
    _store: StateStore
    _deploys: DeployService
    _servers: tuple[AppServer, ...]
    _stopped: bool = False

    @property
    def api_port(self) -> int:
        return self._servers[0].port

    @property
    def site_port(self) -> int:
        return self._servers[1].port

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        # In parallel: each waits for its serve loop's next poll.
        stoppers = [threading.Thread(target=server.stop) for server in self._servers]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join()
        self._deploys.stop()
        self._store.close()

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def start_emulator(
    data_dir: str | os.PathLike[str],
    site_id: str,
    account_id: str,
    *,
    api_port: int = 0,
    site_port: int = 0,
    site_name: str | None = None,
    build_seconds: float = DEFAULT_BUILD_SECONDS,
    token: str | None = None,
    log_requests: bool = False,
) -> RunningEmulator:
    """Start both servers in background threads; port 0 picks a free port.

    `token` defaults to $NETLIFY_EMULATOR_TOKEN, else "local-dev-token".
    """
    for label, value in (("site_id", site_id), ("account_id", account_id)):
        if not IDENTIFIER.match(value):
            raise ValueError(f"{label} {value!r} must be 1-100 letters, digits, '.', '_' or '-'")
    if build_seconds < 0:
        raise ValueError("build_seconds must not be negative")
    store = StateStore(Path(data_dir))
    servers: list[AppServer] = []
    try:
        servers.append(AppServer(api_port, "netlify-api", log_requests=log_requests))
        servers.append(AppServer(site_port, "netlify-site", log_requests=log_requests))
        api_server, site_server = servers
        api_origin = f"http://{LOOPBACK}:{api_server.port}"
        urls = Urls(api_origin=api_origin, site_url=f"http://{LOOPBACK}:{site_server.port}")
        deploys = DeployService(store, BuildSettings(build_seconds=build_seconds))
        deploys.seed_site(site_id, account_id, site_name)
        faults, request_log, outbox = FaultInjector(), RequestLog(), SmsOutbox()
        api = NetlifyApi(store, deploys, faults, request_log, token or token_from_env(), urls)
        control = ControlApi(store, deploys, faults, request_log, outbox, urls)
        overrides = SiteOverrides()
        api_server.app = _api_port_app(api, control, overrides)
        site_server.app = SiteApp(store, site_id, outbox, overrides)
        for server in servers:
            server.start()
        deploys.resume_pending()
    except BaseException:
        for server in servers:
            server.stop()
        store.close()
        raise
    return RunningEmulator(
        api_url=f"{api_origin}{API_PREFIX}",
        control_url=f"{api_origin}{CONTROL_PREFIX}",
        site_url=urls.site_url,
        site_id=site_id,
        account_id=account_id,
        data_dir=Path(data_dir),
        _store=store,
        _deploys=deploys,
        _servers=(api_server, site_server),
    )
