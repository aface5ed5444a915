"""Accounts and sites (backend state): the served site and any others a test adds.

Netlify accepts a site's id or its name wherever a site_id goes, and an account's id
or its slug wherever an account_id goes; slugs are matched without regard to case.
The site this emulator serves (seeded from the command line) has no stored URL: its
URL is the site server's. Sites added through the control API exist in the API only,
so a client can meet "another existing site" or "a site in another account".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from local_services.netlify.errors import conflict, not_found, unprocessable
from local_services.netlify.state import (
    AccountRecord,
    NetlifyStore,
    SiteRecord,
    StateData,
    account_object_id,
)

IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
SITE_FILTERS = ("all", "owner", "guest")


@dataclass(frozen=True)
class NewSite:
    id: str
    account_slug: str
    name: str
    url: str | None
    custom_domain: str | None = None


def check_identifier(label: str, value: str) -> None:
    if not IDENTIFIER.match(value):
        raise unprocessable(f"{label} {value!r} must be 1-100 letters, digits, '.', '_' or '-'")


def check_site_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise unprocessable(f"url {url!r} must be an http(s) origin such as https://example.netlify.app")


def find_site(data: StateData, site_id: str) -> SiteRecord:
    found = data["sites"].get(site_id)
    if found is None:
        found = next((site for site in data["sites"].values() if site["name"] == site_id), None)
    if found is None:
        raise not_found("Site", site_id)
    return found


def find_account(data: StateData, account_id: str) -> AccountRecord:
    found = data["accounts"].get(account_id.lower())
    if found is None:
        found = next((account for account in data["accounts"].values() if account["id"] == account_id), None)
    if found is None:
        raise not_found("Account", account_id)
    return found


def site_account(data: StateData, site: SiteRecord) -> AccountRecord:
    return data["accounts"][site["account_slug"].lower()]


def list_sites(data: StateData, name: str | None, site_filter: str | None) -> list[SiteRecord]:
    """Netlify's `name` is a search (part of the name, any case); the emulator's user owns
    every account, so `guest` finds nothing. Oldest first, as a stable page order."""
    if site_filter == "guest":
        return []
    needle = (name or "").lower()
    sites = [site for site in data["sites"].values() if needle in site["name"].lower()]
    return sorted(sites, key=lambda site: (site["created_at"], site["id"]))


class SiteBackend:
    def __init__(self, store: NetlifyStore, initial_deploy: Callable[[StateData, str], None]) -> None:
        self.store = store
        # Every site starts with one ready, published deploy, as a site deployed once has.
        self._initial_deploy = initial_deploy

    def _ensure_account(self, data: StateData, slug: str) -> AccountRecord:
        check_identifier("account slug", slug)
        account = data["accounts"].get(slug.lower())
        if account is None:
            stamp = self.store.stamp()
            account = {
                "id": account_object_id(slug),
                "slug": slug,
                "name": slug,
                "created_at": stamp,
                "updated_at": stamp,
            }
            data["accounts"][slug.lower()] = account
        return account

    def _insert(self, data: StateData, new: NewSite) -> SiteRecord:
        account = self._ensure_account(data, new.account_slug)
        stamp = self.store.stamp()
        site: SiteRecord = {
            "id": new.id,
            "name": new.name,
            "account_slug": account["slug"],
            "url": new.url,
            "custom_domain": new.custom_domain,
            "created_at": stamp,
            "updated_at": stamp,
            "published_deploy_id": None,
        }
        data["sites"][new.id] = site
        data["env"][new.id] = {}
        self._initial_deploy(data, new.id)
        return site

    def seed_served_site(self, site_id: str, account_slug: str, name: str | None) -> None:
        """The site this emulator serves; reused as it is when the data dir already has it."""
        with self.store.mutate() as data:
            existing = data["sites"].get(site_id)
            if existing is None:
                self._insert(data, NewSite(site_id, account_slug, name or site_id, url=None))
                return
            if existing["account_slug"].lower() != account_slug.lower():
                raise ValueError(
                    f"the data dir holds site {site_id} under account {existing['account_slug']!r}, "
                    f"not {account_slug!r}; use another data dir or the same account"
                )
            if name and existing["name"] != name:
                existing["name"] = name
                existing["updated_at"] = self.store.stamp()

    def add_site(self, new: NewSite) -> SiteRecord:
        check_identifier("id", new.id)
        check_identifier("name", new.name)
        if new.url is not None:
            check_site_url(new.url)
        if new.custom_domain is not None and not HOSTNAME.match(new.custom_domain):
            raise unprocessable(f"custom_domain {new.custom_domain!r} must be a host name such as www.example.com")
        with self.store.mutate() as data:
            if new.id in data["sites"]:
                raise conflict(f"a site with id {new.id} already exists")
            if any(site["name"] == new.name for site in data["sites"].values()):
                raise conflict(f"a site named {new.name} already exists (site names are unique on Netlify)")
            return self._insert(data, new)
