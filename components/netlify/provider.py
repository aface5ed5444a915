"""Helpers every dynamic provider here shares: credentials and client construction.

Providers are pickled into state, so they hold no credential or client. The token
is read in `configure()` (stack config secret `netlifyToken`) or from the
environment at call time, and a client is built for each call.
"""

from __future__ import annotations

import os

from pulumi.dynamic import ConfigureRequest, ResourceProvider

from components.http_retry import RetryPolicy, policy_from_env
from components.netlify.api import TOKEN_ENV, NetlifyClient

_settings: dict[str, str] = {}


def remember_token(req: ConfigureRequest) -> None:
    """Keep the token in process memory (never on the pickled provider object)."""
    token = req.config.get("netlifyToken")
    if token:
        _settings["token"] = token
    # Read at delete time, when only the old resource's inputs are at hand: the
    # operator's word that the stack is leaving that site (see `leaving_site`).
    _settings["move_from"] = (req.config.get("netlifySiteMoveFrom") or "").strip().lower()


def leaving_site(site_id: str) -> bool:
    """True while the stack moves away from `site_id` on purpose: its variables stay there."""
    return bool(site_id) and _settings.get("move_from") == site_id.lower()


def netlify_client(api_url: str, policy: RetryPolicy | None = None) -> NetlifyClient:
    token = _settings.get("token") or os.environ.get(TOKEN_ENV, "")
    return NetlifyClient(api_url, token, policy=policy or policy_from_env())


class NetlifyProvider(ResourceProvider):
    """Base of the Netlify dynamic providers: the token comes from stack config at configure time."""

    def configure(self, req: ConfigureRequest) -> None:
        remember_token(req)
