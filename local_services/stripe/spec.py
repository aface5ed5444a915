"""Stripe's OpenAPI spec and fixtures, from the pinned stripe-mock module.

stripe-mock embeds the copy of Stripe's spec (`embedded/openapi/spec3.json`) and its
fixtures that it validates against; tools/go-tools/go.mod pins the module and
`make setup` downloads it into Go's module cache, where this module finds it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
GO_MOD = REPO / "tools" / "go-tools" / "go.mod"
MODULE = "github.com/stripe/stripe-mock"


class SpecMissing(Exception):
    pass


def pinned_version() -> str:
    found = re.search(rf"^\s*{re.escape(MODULE)} (v[0-9.]+)", GO_MOD.read_text(), re.MULTILINE)
    if not found:
        raise SpecMissing(f"{GO_MOD} does not require {MODULE}; restore it from git")
    return found.group(1)


def _module_cache() -> Path:
    if os.environ.get("GOMODCACHE"):
        return Path(os.environ["GOMODCACHE"])
    try:
        out = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True, check=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        raise SpecMissing(f"cannot ask Go where its module cache is ({exc}); install Go and run 'make setup'") from exc
    return Path(out.stdout.strip())


@cache
def openapi_dir() -> Path:
    directory = _module_cache() / f"{MODULE}@{pinned_version()}" / "embedded" / "openapi"
    if not (directory / "spec3.json").is_file():
        raise SpecMissing(f"Stripe's spec is not at {directory}; run 'make setup' (it builds stripe-mock)")
    return directory


@cache
def stripe_spec() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((openapi_dir() / "spec3.json").read_text())
    return loaded


@cache
def stripe_fixtures() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((openapi_dir() / "fixtures3.json").read_text())
    return loaded


def operation(method: str, path: str) -> dict[str, Any]:
    found: dict[str, Any] = stripe_spec()["paths"][path][method.lower()]
    return found


def form_schema(method: str, path: str) -> dict[str, Any]:
    """The request body schema of a form-encoded operation (empty object when none)."""
    content = operation(method, path).get("requestBody", {}).get("content", {})
    schema: dict[str, Any] = content.get("application/x-www-form-urlencoded", {}).get("schema", {})
    return schema


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """A schema with its top-level $ref followed."""
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = stripe_spec()["components"]["schemas"][name]
    return schema


def event_types() -> frozenset[str]:
    """What `enabled_events` may hold, per the spec's enum."""
    items = form_schema("post", "/v1/webhook_endpoints")["properties"]["enabled_events"]["items"]
    return frozenset(items["enum"])


def api_versions() -> frozenset[str]:
    return frozenset(form_schema("post", "/v1/webhook_endpoints")["properties"]["api_version"]["enum"])
