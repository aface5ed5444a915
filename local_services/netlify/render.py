"""The JSON shapes the API answers with (spec definitions envVar, site, deploy, build,
user, accountMembership).

Fields the spec types as plain strings are left out while unset rather than sent as
null: the spec does not mark them `x-nullable`, and strict clients generated from it
reject a null string.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from local_services.netlify.env_vars import READABLE_SECRET_CONTEXT
from local_services.netlify.state import (
    EMULATOR_USER,
    AccountRecord,
    BuildRecord,
    DeployRecord,
    EnvVarRecord,
    SiteRecord,
    SnapshotEntry,
    UserRecord,
)

JSON = dict[str, Any]
FINISHED_STATES = ("ready", "error")
EMULATOR_USER_ID = EMULATOR_USER["id"]


@dataclass(frozen=True)
class Urls:
    """Where this run of the emulator listens; ports may change between runs, so URLs
    are derived at render time instead of being stored."""

    api_origin: str
    site_url: str

    def admin_url(self, site_id: str) -> str:
        return f"{self.api_origin}/_emulator/sites/{site_id}"

    def deploy_url(self, deploy_id: str) -> str:
        return f"{self.site_url}/_deploys/{deploy_id}"

    def public_url(self, site: SiteRecord) -> str:
        """Where the site is: the site server for the served site, else the URL it was given."""
        return site["url"] or self.site_url


def env_var(record: EnvVarRecord) -> JSON:
    values: list[JSON] = []
    for value in record["values"]:
        rendered: JSON = {"id": value["id"], "context": value["context"]}
        if value["context_parameter"]:
            rendered["context_parameter"] = value["context_parameter"]
        if not record["is_secret"] or value["context"] == READABLE_SECRET_CONTEXT:
            rendered["value"] = value["value"]
        values.append(rendered)
    return {
        "key": record["key"],
        "scopes": list(record["scopes"]),
        "values": values,
        "is_secret": record["is_secret"],
        "updated_at": record["updated_at"],
        "updated_by": dict(record["updated_by"]),
    }


def deploy(record: DeployRecord, site: SiteRecord, urls: Urls) -> JSON:
    site_url = urls.public_url(site)
    rendered: JSON = {
        "id": record["id"],
        "site_id": record["site_id"],
        "build_id": record["build_id"],
        "state": record["state"],
        "name": site["name"],
        "url": site_url,
        "ssl_url": site_url,
        "admin_url": urls.admin_url(site["id"]),
        "deploy_url": urls.deploy_url(record["id"]),
        "deploy_ssl_url": urls.deploy_url(record["id"]),
        "branch": record["branch"],
        "context": record["context"],
        "commit_ref": record["commit_ref"],
        "title": record["title"],
        "locked": record["locked"],
        "draft": False,
        "skipped": False,
        "required": [],
        "required_functions": [],
        "created_at": record["created_at"],
        "updated_at": record["updated_at"],
    }
    if record["error_message"] is not None:
        rendered["error_message"] = record["error_message"]
    if record["published_at"] is not None:
        rendered["published_at"] = record["published_at"]
    return rendered


def site(record: SiteRecord, account: AccountRecord, published: DeployRecord | None, urls: Urls) -> JSON:
    site_url = urls.public_url(record)
    rendered: JSON = {
        "id": record["id"],
        "name": record["name"],
        "state": "current",
        "url": site_url,
        "ssl_url": site_url,
        "admin_url": urls.admin_url(record["id"]),
        "account_id": account["id"],
        "account_slug": account["slug"],
        "account_name": account["name"],
        "user_id": EMULATOR_USER_ID,
        "ssl": site_url.startswith("https:"),
        "force_ssl": False,
        "domain_aliases": [],
        "created_at": record["created_at"],
        "updated_at": record["updated_at"],
    }
    if record["custom_domain"]:
        rendered["custom_domain"] = record["custom_domain"]
    if published is not None:
        rendered["published_deploy"] = deploy(published, record, urls)
        rendered["deploy_url"] = urls.deploy_url(published["id"])
    return rendered


def user(record: UserRecord, site_count: int, created_at: str) -> JSON:
    return {
        "id": record["id"],
        "uid": record["id"],
        "full_name": record["full_name"],
        "avatar_url": record["avatar_url"],
        "email": record["email"],
        "site_count": site_count,
        "created_at": created_at,
        "last_login": created_at,
        "login_providers": ["email"],
    }


def account(record: AccountRecord, site_count: int) -> JSON:
    return {
        "id": record["id"],
        "name": record["name"],
        "slug": record["slug"],
        "type": "personal",
        "type_name": "Starter",
        "capabilities": {"sites": {"included": 500, "used": site_count}},
        "owner_ids": [EMULATOR_USER_ID],
        "roles_allowed": ["Owner"],
        "created_at": record["created_at"],
        "updated_at": record["updated_at"],
    }


def build(record: BuildRecord, deploy_record: DeployRecord) -> JSON:
    rendered: JSON = {
        "id": record["id"],
        "deploy_id": record["deploy_id"],
        "sha": record["sha"],
        "done": deploy_record["state"] in FINISHED_STATES,
        "created_at": record["created_at"],
    }
    if deploy_record["error_message"] is not None:
        rendered["error"] = deploy_record["error_message"]
    return rendered


def hashed_env(entries: dict[str, SnapshotEntry]) -> dict[str, str]:
    """A snapshot as the control API reports it: secrets only as sha256 hex."""
    return {
        key: hashlib.sha256(entry["value"].encode()).hexdigest() if entry["is_secret"] else entry["value"]
        for key, entry in entries.items()
    }
