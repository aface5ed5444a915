"""One port for a vendor: its API below the vendor's prefix, the control API below /_emulator."""

from __future__ import annotations

from local_services.common.control import CONTROL_PREFIX, ControlApi
from local_services.common.http_server import App, Request, Response
from local_services.common.pipeline import Pipeline


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
