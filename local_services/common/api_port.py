"""One port for a vendor: its API below the vendor's prefix, the control API below /_emulator."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from local_services.common.control import CONTROL_PREFIX, ControlApi, StateSnapshots
from local_services.common.faults import FaultInjector
from local_services.common.http_server import App, Request, Response
from local_services.common.pipeline import Pipeline
from local_services.common.rate_limit import RateLimitWindow
from local_services.common.request_log import RequestLog
from local_services.common.routing import Route
from local_services.common.spec_validation import RequestValidator, ValidationMode, ValidationSwitch
from local_services.common.vendor import VendorApi, VendorSettings


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def api_port_app(pipeline: Pipeline, control: ControlApi) -> App:
    vendor = pipeline.vendor

    def app(request: Request) -> Response | None:
        if _under(request.path, vendor.prefix):
            return pipeline(request)
        if _under(request.path, CONTROL_PREFIX):
            return control(request)
        return vendor.error(404, f"Not Found: {request.method} {request.path} (the API is under {vendor.prefix})")

    return app


def vendor_port_app(
    api: VendorApi,
    *,
    validator: RequestValidator | None,
    mode: ValidationMode,
    requests_per_minute: int,
    settings: VendorSettings,
    reset: Callable[[], None],
    snapshots: StateSnapshots | None = None,
    vendor_routes: Sequence[Route] = (),
) -> App:
    """A vendor's API behind the kit's pipeline, and the control API that drives it.

    The faults, request log and validation switch are shared by both sides: what
    /_emulator sets is what the pipeline applies.
    """
    faults, log, switch = FaultInjector(), RequestLog(), ValidationSwitch(mode)
    control = ControlApi(
        faults=faults,
        log=log,
        validation=switch,
        settings=settings,
        reset=reset,
        snapshots=snapshots,
        vendor_routes=vendor_routes,
    )
    pipeline = Pipeline(
        api,
        faults=faults,
        rate=RateLimitWindow(requests_per_minute, window_s=60.0),
        log=log,
        validator=validator,
        validation=switch,
    )
    return api_port_app(pipeline, control)
