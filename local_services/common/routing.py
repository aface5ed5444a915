"""Path templates (`/sites/{site_id}/deploys`) to handlers: the "urls" role of a vendor.

A vendor lists its `Route`s; the kit matches requests against them. `operation_id`
names the route in the vendor's spec, which is how spec validation finds its contract.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from local_services.common.http_server import Request, Response

Handler = Callable[[Request, dict[str, str]], Response]


def compile_template(template: str) -> re.Pattern[str]:
    """`/sites/{site_id}/deploys` -> a regex with one named group per placeholder."""
    parts = re.split(r"\{(\w+)\}", template)
    pattern = "".join(f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part) for index, part in enumerate(parts))
    return re.compile(f"^{pattern}$")


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    handler: Handler
    operation_id: str = ""


class Router:
    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes = tuple(routes)
        self._compiled = [(route, compile_template(route.template)) for route in self.routes]

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route for `method path` and its decoded path parameters; HEAD is served as GET."""
        method = "GET" if method == "HEAD" else method
        normalized = path.rstrip("/") or "/"
        for route, pattern in self._compiled:
            if route.method != method:
                continue
            found = pattern.match(normalized)
            if found is not None:
                return route, {name: unquote(value) for name, value in found.groupdict().items()}
        return None
