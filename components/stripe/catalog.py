"""What Stripe accepts, from the pinned `stripe` SDK's own generated types, without importing it.

The SDK is generated from Stripe's OpenAPI spec: its `Literal` types for the webhook
endpoint's `enabled_events` and `api_version` are the spec's enums at the pinned SDK
version. Reading them here lets a typo fail at preview, before any call to Stripe.

The enums are read from the SDK's source file with `ast`, not by importing it: importing
`stripe.params` loads the whole SDK (its HTTP clients, every params module: ~0.3 s), and
config validation runs in every `pulumi preview`, including the ones that touch no
Stripe resource. `tests/unit/test_stripe_catalog.py` checks that both ways agree.
"""

from __future__ import annotations

import ast
import importlib.util
from functools import cache
from pathlib import Path

# Where the SDK keeps the TypedDict of `POST /v1/webhook_endpoints` (stripe >= 12).
PARAMS_FILE = ("params", "_webhook_endpoint_create_params.py")
PARAMS_CLASS = "WebhookEndpointCreateParams"


class CatalogUnavailable(RuntimeError):
    """The pinned SDK's layout changed: the lists cannot be read (fix: update this module)."""


def _params_source() -> str:
    # find_spec of the top-level package locates it without running its __init__.
    spec = importlib.util.find_spec("stripe")
    if spec is None or not spec.submodule_search_locations:
        raise CatalogUnavailable("the stripe SDK is not installed (fix: make setup)")
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*PARAMS_FILE)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogUnavailable(f"{path}: {exc.strerror} (the stripe SDK moved its params modules)") from exc


def _string_constants(node: ast.AST) -> frozenset[str]:
    """Every string literal inside an annotation (the Literal[...] nested in NotRequired/List)."""
    return frozenset(
        sub.value for sub in ast.walk(node) if isinstance(sub, ast.Constant) and isinstance(sub.value, str)
    )


@cache
def _field_values() -> dict[str, frozenset[str]]:
    tree = ast.parse(_params_source())
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == PARAMS_CLASS:
            return {
                item.target.id: _string_constants(item.annotation)
                for item in node.body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
            }
    raise CatalogUnavailable(f"class {PARAMS_CLASS} not found in the stripe SDK's {'/'.join(PARAMS_FILE)}")


def _values(field: str) -> frozenset[str]:
    values = _field_values().get(field)
    if not values:
        raise CatalogUnavailable(f"{PARAMS_CLASS}.{field} has no Literal values in the stripe SDK")
    return values


def known_event_types() -> frozenset[str]:
    """Event names an endpoint may subscribe to ("*" means all)."""
    return _values("enabled_events")


def known_api_versions() -> frozenset[str]:
    return _values("api_version")
