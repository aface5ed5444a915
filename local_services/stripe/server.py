"""Wiring: the kit's server, pipeline and control API around Stripe's parts, on one
loopback port (API below /v1, control below /_emulator)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_services.common.api_port import vendor_port_app
from local_services.common.control import CONTROL_PREFIX, StateSnapshots
from local_services.common.http_server import LOOPBACK, AppServer
from local_services.common.process import Stoppable
from local_services.common.spec_validation import ValidationMode
from local_services.stripe.api import StripeApi, spec_validator
from local_services.stripe.control import StripeControl
from local_services.stripe.delivery import Deliverer, DeliverySettings
from local_services.stripe.errors import error_response
from local_services.stripe.models import StripeStore, open_store
from local_services.stripe.responses import StripeResponses

KEYS_ENV = "STRIPE_EMULATOR_KEYS"
DEFAULT_KEY = "sk_test_localdevonly"  # the local stack's (encrypted) stripeSecretKey
# Stripe's documented limit in test mode: 25 requests a second.
RATE_LIMIT_PER_MINUTE = 25 * 60


def keys_from_env() -> list[str]:
    listed = [key.strip() for key in os.environ.get(KEYS_ENV, "").split(",") if key.strip()]
    return listed or [DEFAULT_KEY]


@dataclass
class RunningStripe(Stoppable):
    api_url: str  # http://127.0.0.1:<port> (the API's paths start with /v1, as the SDK expects)
    control_url: str
    _store: StripeStore
    _server: AppServer
    _deliverer: Deliverer
    _stopped: bool = False

    @property
    def port(self) -> int:
        return self._server.port

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._deliverer.stop()
        self._server.stop()
        self._store.close()


def start_emulator(
    data_dir: str | os.PathLike[str],
    *,
    port: int = 0,
    keys: list[str] | None = None,
    log_requests: bool = False,
) -> RunningStripe:
    """Start the server in a background thread; port 0 picks a free port.

    `keys` (the secret keys accepted) default to $STRIPE_EMULATOR_KEYS, else the local
    stack's dev key; a live key (sk_live_/rk_live_) makes the account live mode.
    """
    accepted = keys or keys_from_env()
    livemode = any("_live_" in key for key in accepted)
    store = open_store(Path(data_dir))
    try:
        server = AppServer(port, "stripe-api", render_error=error_response, log_requests=log_requests)
    except BaseException:
        store.close()
        raise
    settings = DeliverySettings()
    deliverer = Deliverer(store, settings)
    stripe_control = StripeControl(store, deliverer, livemode, settings)

    def reset_settings() -> None:
        vars(settings).update(vars(DeliverySettings()))

    def reset() -> None:
        deliverer.clear()
        with store.reset():
            pass
        reset_settings()

    def restore(document: Any) -> None:
        deliverer.clear()
        store.replace(document)
        reset_settings()

    server.app = vendor_port_app(
        StripeApi(StripeResponses(store, livemode), accepted),
        validator=spec_validator(),
        mode=ValidationMode.STRICT,
        requests_per_minute=RATE_LIMIT_PER_MINUTE,
        settings=stripe_control.settings,
        reset=reset,
        snapshots=StateSnapshots(take=store.snapshot, restore=restore),
        vendor_routes=stripe_control.routes(),
    )
    server.start()
    origin = f"http://{LOOPBACK}:{server.port}"
    return RunningStripe(
        api_url=origin,
        control_url=f"{origin}{CONTROL_PREFIX}",
        _store=store,
        _server=server,
        _deliverer=deliverer,
    )
