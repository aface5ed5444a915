"""The Netlify emulator's state document, kept by the kit's `JsonStateStore`.

One JSON file in the data dir (owner-only: deploy snapshots hold secret values in clear
because functions need them). Version 2 added accounts and each site's url and custom
domain; version 3 each site's repository (repo.py) and each deploy's output and build
log. Older files are upgraded on load.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from pathlib import Path
from typing import Any, NotRequired, TypedDict

from local_services.common.state_store import JsonStateStore
from local_services.common.state_store import StateError as StateError  # re-exported for callers

STATE_FILE = "netlify-state.json"
SCHEMA_VERSION = 3


class ValueRecord(TypedDict):
    id: str
    context: str
    context_parameter: str
    value: str


class UserRecord(TypedDict):
    id: str
    full_name: str
    email: str
    avatar_url: str


class EnvVarRecord(TypedDict):
    key: str
    scopes: list[str]
    is_secret: bool
    values: list[ValueRecord]
    updated_at: str
    updated_by: UserRecord


class SnapshotEntry(TypedDict):
    value: str
    is_secret: bool
    scopes: list[str]


class DeployRecord(TypedDict):
    id: str
    site_id: str
    build_id: str
    seq: int
    state: str
    context: str
    branch: str
    title: str
    commit_ref: str
    error_message: str | None
    # Decided when the build starts, so a restart mid-build still fails it.
    pending_error: str | None
    pending_state: NotRequired[str]  # the state the build ends in (ready, error, rejected)
    locked: bool
    published_at: str | None
    created_at: str
    updated_at: str
    env: dict[str, SnapshotEntry]
    # The publish directory as the build wrote it (path -> text), and the build's log.
    files: dict[str, str]
    log: str


class CommitRecord(TypedDict):
    sha: str
    message: str
    files: dict[str, str]
    created_at: str


class RepoRecord(TypedDict):
    branch: str
    commits: list[CommitRecord]  # oldest first; the last one is the branch head


class BuildRecord(TypedDict):
    id: str
    deploy_id: str
    site_id: str
    sha: str
    created_at: str


class AccountRecord(TypedDict):
    id: str
    slug: str
    name: str
    created_at: str
    updated_at: str


class SiteRecord(TypedDict):
    id: str
    name: str
    account_slug: str
    # None: the site this emulator serves, whose URL is the site server's (its port
    # changes between runs); other sites exist in the API only, at the URL they were given.
    url: str | None
    custom_domain: str | None
    created_at: str
    updated_at: str
    published_deploy_id: str | None


class StateData(TypedDict):
    version: int
    seq: int
    accounts: dict[str, AccountRecord]
    sites: dict[str, SiteRecord]
    env: dict[str, dict[str, EnvVarRecord]]
    deploys: dict[str, DeployRecord]
    builds: dict[str, BuildRecord]
    repos: dict[str, RepoRecord]


# The identity behind the emulator's single token; Netlify reports the token's user.
EMULATOR_USER: UserRecord = {
    "id": "5e1f00000000000000000001",
    "full_name": "Local Emulator",
    "email": "emulator@localhost",
    "avatar_url": "",
}


def empty_state() -> StateData:
    return {
        "version": SCHEMA_VERSION,
        "seq": 0,
        "accounts": {},
        "sites": {},
        "env": {},
        "deploys": {},
        "builds": {},
        "repos": {},
    }


def new_object_id() -> str:
    """24 hex digits, the shape of Netlify's deploy and build ids."""
    return secrets.token_hex(12)


def new_value_id() -> str:
    return str(uuid.uuid4())


def new_sha() -> str:
    return secrets.token_hex(20)


NetlifyStore = JsonStateStore[StateData]


def account_object_id(slug: str) -> str:
    """24 hex digits like Netlify's account ids, derived from the slug so that a reset
    or a restart gives an account the same id."""
    return hashlib.sha256(slug.lower().encode()).hexdigest()[:24]


def upgrade(document: dict[str, Any]) -> dict[str, Any]:
    if document.get("version") == 1:
        document = upgrade_v1(document)
    # Version 2 had no repositories (a site gets one at its next build) and no deploy output.
    for deploy in document.get("deploys", {}).values():
        deploy.setdefault("files", {})
        deploy.setdefault("log", "")
    return {**document, "version": SCHEMA_VERSION, "repos": document.get("repos", {})}


def upgrade_v1(document: dict[str, Any]) -> dict[str, Any]:
    """Version 1 had no accounts and no site urls: every site was the served one."""
    accounts: dict[str, AccountRecord] = {}
    for site in document.get("sites", {}).values():
        site.setdefault("url", None)
        site.setdefault("custom_domain", None)
        slug = site["account_slug"]
        accounts.setdefault(
            slug.lower(),
            {
                "id": account_object_id(slug),
                "slug": slug,
                "name": slug,
                "created_at": site["created_at"],
                "updated_at": site["created_at"],
            },
        )
    return {**document, "version": 2, "accounts": accounts}


def open_store(data_dir: Path) -> NetlifyStore:
    return JsonStateStore(
        data_dir,
        file_name=STATE_FILE,
        version=SCHEMA_VERSION,
        empty=empty_state,
        label="Netlify emulator",
        upgrade=upgrade,
    )


def next_seq(data: StateData) -> int:
    """Orders deploys by creation, also when two share a millisecond."""
    data["seq"] += 1
    return data["seq"]
