"""The site as its published deploy serves it: a homepage and the Netlify Functions.

Every answer names the deploy behind it (`X-Nf-Deploy-Id`, and a meta tag in the
HTML), so a verify script can tell which deploy is live after a rollback.
`/_deploys/<deploy_id>/...` serves one ready deploy directly, like a Netlify deploy
permalink, to check a deploy before it is published.
"""

from __future__ import annotations

import html
import json
import re
import time

from local_services.common.http_server import Request, Response
from local_services.netlify.deploys import published_deploy
from local_services.netlify.functions import FUNCTIONS, FunctionState, Invocation
from local_services.netlify.repo import PUBLISH_DIR
from local_services.netlify.site_overrides import SiteOverrides
from local_services.netlify.state import DeployRecord, NetlifyStore

FUNCTIONS_PREFIX = "/.netlify/functions/"
PERMALINK = re.compile(r"^/_deploys/(?P<deploy_id>[0-9a-f]+)(?P<rest>/.*)?$")
FUNCTION_METHODS = ("POST", "OPTIONS")

# What Mozilla's HTTP Observatory grades A+: a strict CSP with no inline code, HSTS
# with preload, and the framing/sniffing/referrer/CORP headers.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
        "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


# The live stream's container, which the real site's player script fills in.
LIVE_STREAM_ELEMENT = '<section id="live-stream" class="live-stream" aria-label="Live stream"></section>\n'


def _homepage(site_name: str, deploy_id: str, live_stream: bool = True) -> bytes:
    name = html.escape(site_name)
    deploy = html.escape(deploy_id)
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="netlify-deploy-id" content="{deploy}">\n'
        f"<title>{name}</title>\n</head>\n<body>\n<main>\n"
        f"<h1>{name}</h1>\n<p>Served by deploy {deploy} (local Netlify emulator).</p>\n"
        + (LIVE_STREAM_ELEMENT if live_stream else "")
        + "</main>\n</body>\n</html>\n"
    ).encode()


def _content_type(path: str) -> str:
    return "text/javascript; charset=utf-8" if path.endswith(".js") else "text/plain; charset=utf-8"


def _json(status: int, payload: object) -> Response:
    return Response(
        status,
        json.dumps(payload).encode(),
        {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"},
    )


def _page(status: int, text: str) -> Response:
    body = f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{status}</title></head>'
    body += f"<body><p>{html.escape(text)}</p></body></html>\n"
    return Response(status, body.encode(), {"Content-Type": "text/html; charset=utf-8"})


class SiteApp:
    def __init__(
        self, store: NetlifyStore, site_id: str, functions: FunctionState, overrides: SiteOverrides | None = None
    ) -> None:
        self.store = store
        self.site_id = site_id
        self.functions = functions
        self.overrides = overrides or SiteOverrides()

    def __call__(self, request: Request) -> Response:
        if self.overrides.rate_limited():
            return _json(429, {"error": "Too Many Requests (emulator site-overrides)"})
        path = request.path
        permalink = PERMALINK.match(path)
        with self.store.read() as data:
            site = data["sites"][self.site_id]
            deploy: DeployRecord | None
            if permalink is not None:
                deploy = data["deploys"].get(permalink["deploy_id"])
                if deploy is None or deploy["site_id"] != self.site_id or deploy["state"] != "ready":
                    deploy = None
                path = permalink["rest"] or "/"
            else:
                deploy = published_deploy(data, site)
            site_name = site["name"]
            deploy_id = deploy["id"] if deploy else ""
            published_files = dict(deploy.get("files") or {}) if deploy else {}
            # Functions get the variables in the functions scope, secrets in clear.
            env = {
                key: entry["value"]
                for key, entry in (deploy["env"] if deploy else {}).items()
                if "functions" in entry["scopes"]
            }
        if deploy is None:
            response = _page(404 if permalink else 503, "no deploy to serve")
        else:
            static = published_files.get(f"{PUBLISH_DIR}{path.lstrip('/')}")
            if static is not None and request.method in ("GET", "HEAD"):
                # What the build wrote to the publish directory (the front end's bundle).
                response = Response(200, static.encode(), {"Content-Type": _content_type(path)})
            else:
                response = self._serve(request, path, site_name, deploy_id, env)
            response.headers["X-Nf-Deploy-Id"] = deploy_id
        response.headers.update(SECURITY_HEADERS)
        self.overrides.apply_headers(response)
        return response

    def _serve(self, request: Request, path: str, site_name: str, deploy_id: str, env: dict[str, str]) -> Response:
        if path.startswith(FUNCTIONS_PREFIX):
            name = path[len(FUNCTIONS_PREFIX) :].rstrip("/")
            function = FUNCTIONS.get(name)
            if function is None:
                return _json(404, {"error": f"function not found: {name}"})
            if request.method == "OPTIONS":
                return Response(204, headers={"Allow": ", ".join(FUNCTION_METHODS)})
            if request.method != "POST":
                return Response(405, b"", {"Allow": ", ".join(FUNCTION_METHODS)})
            override = self.overrides.function(name)
            time.sleep(override.delay_ms / 1000)
            if override.status is not None:
                return _json(override.status, {"error": f"{name}: status {override.status} (emulator site-overrides)"})
            if name == "stripe-webhook" and self.overrides.webhook_accepts_unsigned:
                return _json(200, {"received": True})
            result = function(Invocation(env, request.body, request.headers, deploy_id), self.functions)
            return _json(result.status, result.payload)
        if path in ("/", "/index.html"):
            if request.method not in ("GET", "HEAD"):
                return Response(405, b"", {"Allow": "GET, HEAD"})
            time.sleep(self.overrides.homepage_delay_s)
            if self.overrides.homepage_status is not None:
                return _page(self.overrides.homepage_status, "homepage status set by emulator site-overrides")
            return Response(
                200,
                _homepage(site_name, deploy_id, self.overrides.live_stream),
                {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "public, max-age=0, must-revalidate"},
            )
        return _page(404, "page not found")
