"""Environment variables (backend state): every mutation of a site's variables, and the
value each deploy context resolves to.

Handlers parse requests into `EnvVarInput`s (env_var_input.py) and call the backend;
the backend decides what the site's variables become, inside one state mutation.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from local_services.netlify.env_var_input import CONTEXTS, SCOPES, EnvVarInput, ValueInput
from local_services.netlify.errors import bad_request, conflict, not_found
from local_services.netlify.sites import find_account, find_site
from local_services.netlify.state import (
    EMULATOR_USER,
    EnvVarRecord,
    NetlifyStore,
    SnapshotEntry,
    StateData,
    UserRecord,
    ValueRecord,
    new_value_id,
)

# Secret values stay readable in this context only (the developer's own machine).
READABLE_SECRET_CONTEXT = "dev"  # noqa: S105 - a context name


def value_records(values: tuple[ValueInput, ...], previous: list[ValueRecord]) -> list[ValueRecord]:
    """Records for `values`, keeping the id of a context that already had a value."""
    ids = {(old["context"], old["context_parameter"]): old["id"] for old in previous}
    return [
        {
            "id": ids.get((value.context, value.context_parameter)) or new_value_id(),
            "context": value.context,
            "context_parameter": value.context_parameter,
            "value": value.value,
        }
        for value in values
    ]


def new_record(
    key: str, scopes: tuple[str, ...], is_secret: bool, values: tuple[ValueInput, ...], stamp: str, user: UserRecord
) -> EnvVarRecord:
    return {
        "key": key,
        "scopes": list(scopes),
        "is_secret": is_secret,
        "values": value_records(values, []),
        "updated_at": stamp,
        "updated_by": user.copy(),
    }


def _set_value(record: EnvVarRecord, value: ValueInput) -> None:
    for existing in record["values"]:
        if (existing["context"], existing["context_parameter"]) == (value.context, value.context_parameter):
            existing["value"] = value.value
            return
    record["values"].append(
        {
            "id": new_value_id(),
            "context": value.context,
            "context_parameter": value.context_parameter,
            "value": value.value,
        }
    )


def _lookup(record: EnvVarRecord, context: str, parameter: str = "") -> str | None:
    for value in record["values"]:
        if value["context"] == context and value["context_parameter"] == parameter:
            return value["value"]
    return None


def resolve_value(record: EnvVarRecord, context: str, branch: str) -> str | None:
    """The value a deploy of `context` (on `branch`) sees: the most specific one set."""
    if context == "branch-deploy":
        candidates = [("branch", branch), ("branch-deploy", ""), ("all", "")]
    else:
        candidates = [(context, ""), ("all", "")]
    for candidate_context, parameter in candidates:
        found = _lookup(record, candidate_context, parameter)
        if found is not None:
            return found
    return None


def snapshot(records: dict[str, EnvVarRecord], context: str, branch: str) -> dict[str, SnapshotEntry]:
    entries: dict[str, SnapshotEntry] = {}
    for key, record in sorted(records.items()):
        value = resolve_value(record, context, branch)
        if value is not None:
            entries[key] = {"value": value, "is_secret": record["is_secret"], "scopes": list(record["scopes"])}
    return entries


def _find_var(variables: dict[str, EnvVarRecord], key: str) -> EnvVarRecord:
    record = variables.get(key)
    if record is None:
        raise not_found("Environment variable", key)
    return record


def site_variables(data: StateData, account_id: str, site_id: str | None) -> tuple[str, dict[str, EnvVarRecord]]:
    """The variables of `site_id`, which must belong to `account_id` (an id or a slug)."""
    if not site_id:
        raise bad_request("site_id query parameter is required: the emulator keeps site variables only")
    site = find_site(data, site_id)
    account = find_account(data, account_id)
    if account["slug"].lower() != site["account_slug"].lower():
        raise not_found("Account", f"{account_id} (site {site_id} belongs to another account)")
    return site["id"], data["env"][site["id"]]


def filtered(records: dict[str, EnvVarRecord], context: str | None, scope: str | None) -> list[EnvVarRecord]:
    """Sorted by key; `context` keeps the values a deploy of it would see (its own and `all`)."""
    if context is not None and context not in CONTEXTS:
        raise bad_request(f"query parameter context_name must be one of {', '.join(CONTEXTS)}")
    if scope is not None and scope not in SCOPES:
        raise bad_request(f"query parameter scope must be one of {', '.join(SCOPES)}")
    listed: list[EnvVarRecord] = []
    for _key, record in sorted(records.items()):
        if scope is not None and scope not in record["scopes"]:
            continue
        if context is not None:
            values = [value for value in record["values"] if value["context"] in (context, "all")]
            if not values:
                continue
            record = {**record, "values": values}
        listed.append(record)
    return listed


class EnvVarBackend:
    def __init__(self, store: NetlifyStore) -> None:
        self.store = store

    @contextmanager
    def _variables(self, account_id: str, site_id: str | None) -> Iterator[tuple[str, dict[str, EnvVarRecord]]]:
        with self.store.mutate() as data:
            yield site_variables(data, account_id, site_id)

    def _touch(self, record: EnvVarRecord) -> None:
        record["updated_at"] = self.store.stamp()
        record["updated_by"] = EMULATOR_USER.copy()

    def list_for_account(
        self, account_id: str, site_id: str | None, context: str | None, scope: str | None
    ) -> list[EnvVarRecord]:
        with self.store.read() as data:
            if not site_id:
                # Shared (team) variables: the emulator keeps none, as a team without any answers
                # (netlify-cli lists them next to the site's).
                find_account(data, account_id)
                return []
            return filtered(site_variables(data, account_id, site_id)[1], context, scope)

    def list_for_site(self, site_id: str, context: str | None, scope: str | None) -> list[EnvVarRecord]:
        with self.store.read() as data:
            return filtered(data["env"][find_site(data, site_id)["id"]], context, scope)

    def get(self, account_id: str, site_id: str | None, key: str) -> EnvVarRecord:
        with self.store.read() as data:
            if not site_id:
                find_account(data, account_id)
                raise not_found("Environment variable", f"{key} (the team has no shared variables)")
            return _find_var(site_variables(data, account_id, site_id)[1], key)

    def create(self, account_id: str, site_id: str | None, inputs: list[tuple[str, EnvVarInput]]) -> list[EnvVarRecord]:
        with self._variables(account_id, site_id) as (found_site, variables):
            for key, _ in inputs:
                if key in variables:
                    # Netlify refuses duplicates: a caller that retries a create must look first.
                    raise conflict(f"Environment variable {key} already exists on site {found_site}")
            stamp = self.store.stamp()
            created = [
                new_record(key, item.scopes or SCOPES, bool(item.is_secret), item.values or (), stamp, EMULATOR_USER)
                for key, item in inputs
            ]
            for record in created:
                variables[record["key"]] = record
            return created

    def replace(self, account_id: str, site_id: str | None, key: str, change: EnvVarInput) -> EnvVarRecord:
        """PUT: all values replaced; a new `key` renames; scopes/is_secret left out stay as they are
        (a PUT that forgets is_secret must not quietly turn a secret into a readable value)."""
        with self._variables(account_id, site_id) as (found_site, variables):
            record = _find_var(variables, key)
            new_key = change.key or key
            if new_key != key and new_key in variables:
                raise conflict(f"Environment variable {new_key} already exists on site {found_site}")
            if change.scopes is not None:
                record["scopes"] = list(change.scopes)
            if change.is_secret is not None:
                record["is_secret"] = change.is_secret
            record["values"] = value_records(change.values or (), record["values"])
            self._touch(record)
            if new_key != key:
                record["key"] = new_key
                del variables[key]
                variables[new_key] = record
            return record

    def set_value(self, account_id: str, site_id: str | None, key: str, value: ValueInput) -> EnvVarRecord:
        """PATCH: one context's value set (added if that context had none)."""
        with self._variables(account_id, site_id) as (_site, variables):
            record = _find_var(variables, key)
            _set_value(record, value)
            self._touch(record)
            return record

    def delete(self, account_id: str, site_id: str | None, key: str) -> None:
        with self._variables(account_id, site_id) as (_site, variables):
            _find_var(variables, key)
            del variables[key]
