"""Wiring: the kit's server, pipeline and control API around Twilio's parts, on one
loopback port (API below /2010-04-01, control below /_emulator).

Twilio's OpenAPI spec is not vendored, so requests are not spec-validated (the kit's
switch starts, and stays meaningful only, at `off`); the handlers check what they read.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from local_services.common.api_port import vendor_port_app
from local_services.common.control import CONTROL_PREFIX
from local_services.common.http_server import LOOPBACK, AppServer
from local_services.common.process import Stoppable
from local_services.common.spec_validation import ValidationMode
from local_services.twilio.api import TwilioApi
from local_services.twilio.control import TwilioControl
from local_services.twilio.errors import error_response
from local_services.twilio.models import MessageBackend, TwilioStore, open_store
from local_services.twilio.responses import TwilioResponses
from local_services.twilio.urls import API_PREFIX

TOKEN_ENV = "TWILIO_EMULATOR_AUTH_TOKEN"  # noqa: S105 - a variable name
DEFAULT_AUTH_TOKEN = "local-dev-twilio-token"  # noqa: S105 - the documented dev-only default
ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
# Generous: Twilio limits by concurrency, not per minute; the kit's window keeps 429s testable.
RATE_LIMIT_PER_MINUTE = 6000


def token_from_env() -> str:
    return os.environ.get(TOKEN_ENV) or DEFAULT_AUTH_TOKEN


@dataclass
class RunningTwilio(Stoppable):
    api_url: str  # http://127.0.0.1:<port> (the API's own paths start with /2010-04-01)
    control_url: str  # http://127.0.0.1:<port>/_emulator
    account_sid: str
    _store: TwilioStore
    _server: AppServer
    _stopped: bool = False

    @property
    def port(self) -> int:
        return self._server.port

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._server.stop()
        self._store.close()


def start_emulator(
    data_dir: str | os.PathLike[str],
    account_sid: str,
    *,
    port: int = 0,
    auth_token: str | None = None,
    log_requests: bool = False,
) -> RunningTwilio:
    """Start the server in a background thread; port 0 picks a free port.

    `auth_token` defaults to $TWILIO_EMULATOR_AUTH_TOKEN, else "local-dev-twilio-token".
    """
    if not ACCOUNT_SID.match(account_sid):
        raise ValueError(f"account_sid {account_sid!r} must be 'AC' and 32 hex digits")
    store = open_store(Path(data_dir))
    try:
        server = AppServer(port, "twilio-api", render_error=error_response, log_requests=log_requests)
    except BaseException:
        store.close()
        raise
    messages = MessageBackend(store, account_sid)
    twilio_control = TwilioControl(messages)
    server.app = vendor_port_app(
        TwilioApi(TwilioResponses(messages), account_sid, auth_token or token_from_env()),
        validator=None,
        mode=ValidationMode.OFF,
        requests_per_minute=RATE_LIMIT_PER_MINUTE,
        settings=twilio_control.settings,
        reset=messages.clear,
        vendor_routes=twilio_control.routes(),
    )
    server.start()
    origin = f"http://{LOOPBACK}:{server.port}"
    return RunningTwilio(
        api_url=origin,
        control_url=f"{origin}{CONTROL_PREFIX}",
        account_sid=account_sid,
        _store=store,
        _server=server,
    )


__all__ = ["API_PREFIX", "RunningTwilio", "start_emulator"]
