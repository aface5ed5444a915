"""Is the configured site the one this stack is meant to write to?

Variables carry production secrets, so before any is written to a site (and at
preview, whenever the site or account in config differs from what the stack
manages) the site must exist, belong to `netlifyAccountId`, and answer at `siteUrl`.
A stack that already manages one site refuses another unless the operator names
the old one in `netlifySiteMoveFrom` (README, "Moving to another site").

Results are cached per provider process: one command checks each binding once,
however many variables ask.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from urllib.parse import urlparse

from components.http_retry import PREVIEW, RetryExhausted
from components.netlify.api import JSON, NetlifyApiError
from components.netlify.provider import netlify_client


@dataclass(frozen=True)
class Binding:
    api_url: str
    account_id: str
    site_id: str
    site_url: str


class Unreachable(Exception):
    """The API could not be asked; the caller decides whether that may pass (preview) or not."""


_lock = threading.Lock()
_verdicts: dict[Binding, str | None] = {}


def describe_site(site: JSON) -> str:
    return f"{site.get('id')} ({site.get('name')}, {site.get('ssl_url') or site.get('url')})"


def _hosts(site: JSON) -> set[str]:
    names = [site.get("url"), site.get("ssl_url"), site.get("custom_domain"), *(site.get("domain_aliases") or [])]
    hosts = set()
    for name in names:
        if isinstance(name, str) and name:
            parsed = urlparse(name if "//" in name else f"//{name}")
            hosts.add((parsed.netloc or parsed.path).lower())
    return hosts


def _fetch_site(binding: Binding) -> JSON | None:
    import httpx

    try:
        with netlify_client(binding.api_url, PREVIEW) as client:
            return client.get_site(binding.site_id)
    except NetlifyApiError as exc:
        if exc.status == 404:
            return None
        if exc.status in (401, 403):
            raise PermissionError(
                f"netlifyToken: the Netlify API at {binding.api_url} refused the token ({exc.status}: {exc.message}); "
                "fix: pulumi config set --secret netlifyToken (a personal access token of a member of "
                f"{binding.account_id})"
            ) from exc
        raise Unreachable(str(exc)) from exc
    except (httpx.HTTPError, RetryExhausted) as exc:
        raise Unreachable(str(exc)) from exc


def _problem(binding: Binding) -> str | None:
    site = _fetch_site(binding)
    if site is None:
        return (
            f"netlifySiteId: no site {binding.site_id} exists for this token at {binding.api_url}; "
            "fix: pulumi config set netlifySiteId <the site's API ID> (Site configuration > General)"
        )
    owners = {str(site.get("account_slug", "")).lower(), str(site.get("account_id", "")).lower()} - {""}
    if binding.account_id not in owners:
        return (
            f"netlifySiteId: site {describe_site(site)} belongs to account {site.get('account_slug')}, "
            f"not to netlifyAccountId {binding.account_id}; check both keys"
        )
    wanted = (urlparse(binding.site_url).netloc or binding.site_url).lower()
    if wanted not in _hosts(site):
        known = ", ".join(sorted(_hosts(site))) or "none"
        return (
            f"siteUrl: {binding.site_url} is not an address of site {describe_site(site)} "
            f"(its addresses: {known}); netlifySiteId may name another site, or siteUrl another domain"
        )
    return None


def binding_problem(binding: Binding) -> str | None:
    """Why variables must not be written to this site, or None. Raises `Unreachable`."""
    with _lock:
        if binding in _verdicts:
            return _verdicts[binding]
    try:
        verdict = _problem(binding)
    except PermissionError as exc:
        verdict = str(exc)
    with _lock:
        _verdicts[binding] = verdict
    return verdict


def require_binding(binding: Binding) -> None:
    """Before the first write: the site must be verified, not merely unrefuted."""
    try:
        problem = binding_problem(binding)
    except Unreachable as exc:
        problem = f"could not verify that netlifySiteId {binding.site_id} is the site at {binding.site_url}: {exc}"
    if problem:
        raise ValueError(problem)


def site_summary(api_url: str, site_id: str) -> str:
    """The site's id, name and URL when the API can tell, else its id alone (for messages)."""
    try:
        with netlify_client(api_url, PREVIEW) as client:
            return describe_site(client.get_site(site_id))
    except Exception:
        return site_id


def switch_problem(old_site: str, new: Binding, move_from: str) -> str | None:
    """A stack that manages `old_site` may write to another site only when told so on purpose."""
    if not old_site or old_site == new.site_id or move_from == old_site:
        return None
    return (
        f"netlifySiteId: this stack manages site {site_summary(new.api_url, old_site)}; refusing to write its "
        f"variables (secrets included) to site {site_summary(new.api_url, new.site_id)}. If the id is a typo, "
        f"fix it: pulumi config set netlifySiteId {old_site}. To move the stack on purpose: "
        f"pulumi config set netlifySiteMoveFrom {old_site} (the old site keeps its variables)"
    )
