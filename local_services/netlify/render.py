"""The JSON shapes the API answers with (spec definitions envVar, site, deploy, build).

Fields the spec types as plain strings are left out while unset rather than sent as
null: the spec does not mark them `x-nullable`, and strict clients generated from it
reject a null string.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from local_services.netlify.env_vars import READABLE_SECRET_CONTEXT
from local_services.netlify.state import BuildRecord, DeployRecord, EnvVarRecord, SiteRecord, SnapshotEntry

JSON = dict[str, Any]
FINISHED_STATES = ("ready", "error")


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
    rendered: JSON = {
        "id": record["id"],
        "site_id": record["site_id"],
        "build_id": record["build_id"],
        "state": record["state"],
        "name": site["name"],
        "url": urls.site_url,
        "ssl_url": urls.site_url,
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


def site(record: SiteRecord, published: DeployRecord | None, urls: Urls) -> JSON:
    rendered: JSON = {
        "id": record["id"],
        "name": record["name"],
        "state": "current",
        "url": urls.site_url,
        "ssl_url": urls.site_url,
        "admin_url": urls.admin_url(record["id"]),
        "account_id": record["account_slug"],
        "account_slug": record["account_slug"],
        "account_name": record["account_slug"],
        "ssl": False,
        "force_ssl": False,
        "created_at": record["created_at"],
        "updated_at": record["updated_at"],
    }
    if published is not None:
        rendered["published_deploy"] = deploy(published, record, urls)
        rendered["deploy_url"] = urls.deploy_url(published["id"])
    return rendered


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
