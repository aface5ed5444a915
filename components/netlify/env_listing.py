"""One listing of a site's variables serves every refresh-time read in a command.

Refresh reads each variable, the build's stamps and the inventory at one moment; one
`GET /accounts/{account}/env?site_id=` answers them all. The provider process lives
for one command, and every write through a provider drops the site's listing.
"""

from __future__ import annotations

import threading
import time

from components.netlify.api import JSON, NetlifyClient
from components.netlify.provider import netlify_client

TTL_S = 30.0

_lock = threading.Lock()
_listings: dict[tuple[str, str, str], tuple[float, dict[str, JSON]]] = {}


def env_by_key(client: NetlifyClient, account_id: str, site_id: str) -> dict[str, JSON]:
    """The site's variables by key, listed now (no cache: for reads right after a write)."""
    return {str(var["key"]): var for var in client.list_env(account_id, site_id)}


def site_env(api_url: str, account_id: str, site_id: str) -> dict[str, JSON]:
    """The site's variables by key, listed at most once per TTL."""
    cache_key = (api_url, account_id, site_id)
    with _lock:
        hit = _listings.get(cache_key)
        if hit and time.monotonic() - hit[0] < TTL_S:
            return hit[1]
        with netlify_client(api_url) as client:
            listed = env_by_key(client, account_id, site_id)
        _listings[cache_key] = (time.monotonic(), listed)
        return listed


def forget(api_url: str, site_id: str) -> None:
    """After a write: the next read must see it."""
    with _lock:
        for key in [k for k in _listings if k[0] == api_url and k[2] == site_id]:
            del _listings[key]
