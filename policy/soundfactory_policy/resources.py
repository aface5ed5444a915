"""Facts the policies share: the resource types they judge and what a URN or URL says."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pulumi_policy.proxy import UnknownValueError

# Dynamic resources are typed `pulumi-python:dynamic/<module>:<Name>` by the SDK
# (components: `class Bucket(Resource, module="backups", name="Bucket")`, ...).
BUCKET = "pulumi-python:dynamic/backups:Bucket"
CRON_HOST = "pulumi-python:dynamic/backups:CronHost"
ENV_VAR = "pulumi-python:dynamic/netlify:EnvVar"
STRIPE_WEBHOOK_ENDPOINT = "pulumi-python:dynamic/stripe:WebhookEndpoint"

PRODUCTION_STACK = "prod"
# What the engine sends for a value it does not know yet (preview of a new resource).
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def stack_of(urn: str) -> str:
    """`urn:pulumi:<stack>::<project>::<type>::<name>` -> `<stack>`."""
    return urn.split("::", 1)[0].removeprefix("urn:pulumi:")


def known(value: Any) -> bool:
    return value is not None and value != UNKNOWN


def is_https(url: Any) -> bool:
    return isinstance(url, str) and urlsplit(url).scheme == "https" and bool(urlsplit(url).hostname)


def is_loopback_http(url: Any) -> bool:
    """A plain-HTTP server on this machine (the local stack's emulators), never a remote one."""
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def context_values(props: Mapping[str, Any]) -> dict[str, Any]:
    """An EnvVar's `values` (context -> value) as a plain dict, unknown values left out.

    A value made by another resource in the same update (STRIPE_WEBHOOK_SECRET, from the
    webhook endpoint) is unknown at preview: the policy engine's proxy raises on reading it,
    and there is nothing to judge until the next preview."""
    try:
        values = props.get("values") or {}
        return {str(context): value for context, value in dict(values).items() if known(value)}
    except UnknownValueError:
        return {}
