"""Wiring: the kit's servers, pipeline and control API around Netlify's parts; one state
store, the API server (/api/v1 + /_emulator) and the site server, each on its own
loopback port, served from background threads."""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_services.common.api_port import vendor_port_app
from local_services.common.control import CONTROL_PREFIX, StateSnapshots
from local_services.common.http_server import LOOPBACK, AppServer
from local_services.common.process import Stoppable
from local_services.common.spec_validation import RequestValidator, ValidationMode
from local_services.netlify.api import NetlifyApi, request_validator
from local_services.netlify.control import NetlifyControl
from local_services.netlify.deploys import DEFAULT_BUILD_SECONDS, BuildSettings, DeployService
from local_services.netlify.env_vars import EnvVarBackend
from local_services.netlify.errors import error_response
from local_services.netlify.functions import FunctionState
from local_services.netlify.render import Urls
from local_services.netlify.responses import NetlifyResponses
from local_services.netlify.site_overrides import SiteOverrides
from local_services.netlify.site_server import SiteApp
from local_services.netlify.sites import SiteBackend
from local_services.netlify.spec import SpecNotInstalled, load_netlify_spec
from local_services.netlify.state import NetlifyStore, open_store
from local_services.netlify.urls import API_PREFIX

TOKEN_ENV = "NETLIFY_EMULATOR_TOKEN"  # noqa: S105 - a variable name
DEFAULT_TOKEN = "local-dev-token"  # noqa: S105 - the documented dev-only default
IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
# Netlify's documented limit: 500 requests per minute.
RATE_LIMIT_PER_MINUTE = 500


def token_from_env() -> str:
    return os.environ.get(TOKEN_ENV) or DEFAULT_TOKEN


def _validator(mode: ValidationMode) -> RequestValidator | None:
    """Needs the installed spec unless validation is off (then it is used if present, so
    the control API can still turn validation on)."""
    try:
        return request_validator(load_netlify_spec())
    except SpecNotInstalled:
        if mode is ValidationMode.OFF:
            return None
        raise


@dataclass
class RunningEmulator(Stoppable):
    api_url: str  # http://127.0.0.1:<port>/api/v1
    control_url: str  # http://127.0.0.1:<port>/_emulator
    site_url: str  # http://127.0.0.1:<port>
    site_id: str
    account_id: str
    data_dir: Path
    _store: NetlifyStore
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
    validation: ValidationMode | str = ValidationMode.STRICT,
) -> RunningEmulator:
    """Start both servers in background threads; port 0 picks a free port.

    `token` defaults to $NETLIFY_EMULATOR_TOKEN, else "local-dev-token". `validation`
    (off, warn, strict) decides what happens to a request Netlify's spec does not allow.
    """
    for label, value in (("site_id", site_id), ("account_id", account_id)):
        if not IDENTIFIER.match(value):
            raise ValueError(f"{label} {value!r} must be 1-100 letters, digits, '.', '_' or '-'")
    if build_seconds < 0:
        raise ValueError("build_seconds must not be negative")
    mode = ValidationMode(validation)
    validator = _validator(mode)
    store = open_store(Path(data_dir))
    servers: list[AppServer] = []
    try:
        servers.append(AppServer(api_port, "netlify-api", render_error=error_response, log_requests=log_requests))
        servers.append(AppServer(site_port, "netlify-site", log_requests=log_requests))
        api_server, site_server = servers
        api_origin = f"http://{LOOPBACK}:{api_server.port}"
        urls = Urls(api_origin=api_origin, site_url=f"http://{LOOPBACK}:{site_server.port}")
        deploys = DeployService(store, BuildSettings(build_seconds=build_seconds))
        sites = SiteBackend(store, deploys.initial_deploy)
        sites.seed_served_site(site_id, account_id, site_name)
        functions, overrides = FunctionState.empty(), SiteOverrides()
        netlify_control = NetlifyControl(store, sites, deploys, functions, urls, overrides)

        def reset_runtime() -> None:
            with deploys.settings_lock:
                deploys.settings = BuildSettings(build_seconds=build_seconds)
            functions.clear()
            overrides.clear()

        def reset() -> None:
            deploys.cancel_builds()
            with store.reset():
                sites.seed_served_site(site_id, account_id, site_name)
            reset_runtime()

        def restore(document: Any) -> None:
            deploys.cancel_builds()
            store.replace(document)
            reset_runtime()
            deploys.resume_pending()

        api_server.app = vendor_port_app(
            NetlifyApi(NetlifyResponses(store, EnvVarBackend(store), deploys, urls), token or token_from_env()),
            validator=validator,
            mode=mode,
            requests_per_minute=RATE_LIMIT_PER_MINUTE,
            settings=netlify_control.settings,
            reset=reset,
            snapshots=StateSnapshots(take=store.snapshot, restore=restore),
            vendor_routes=netlify_control.routes(),
        )
        site_server.app = SiteApp(store, site_id, functions, overrides)
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
