"""Environment variables: request validation and per-context resolution.

Validation errors name the offending field (`[0].values[1].context`), because the
callers are scripts whose operators need to know what to fix. Shape errors answer
400, well-formed but unacceptable values 422, as Netlify does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from local_services.netlify.http_base import HttpError
from local_services.netlify.state import (
    EnvVarRecord,
    SnapshotEntry,
    UserRecord,
    ValueRecord,
    new_value_id,
)

CONTEXTS = ("all", "dev", "dev-server", "branch-deploy", "deploy-preview", "production", "branch")
SCOPES = ("builds", "functions", "runtime", "post-processing")
# The POSIX portable shape; Netlify rejects keys a shell could not export as well.
KEY_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Secret values stay readable in this context only (the developer's own machine).
READABLE_SECRET_CONTEXT = "dev"  # noqa: S105 - a context name


@dataclass(frozen=True)
class ValueInput:
    context: str
    context_parameter: str
    value: str


@dataclass(frozen=True)
class EnvVarInput:
    key: str | None
    scopes: tuple[str, ...] | None
    is_secret: bool | None
    values: tuple[ValueInput, ...] | None


def _field(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _require_object(obj: Any, where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise HttpError(400, f"{where or 'body'} must be a JSON object")
    return obj


def parse_key(obj: Any, where: str) -> str:
    if not isinstance(obj, str):
        raise HttpError(400, f"{where} must be a string")
    if not KEY_PATTERN.match(obj):
        raise HttpError(422, f"{where} {obj!r} is not a valid variable name (letters, digits, _; no leading digit)")
    return obj


def parse_value(obj: Any, where: str) -> ValueInput:
    item = _require_object(obj, where)
    context = item.get("context")
    if not isinstance(context, str):
        raise HttpError(400, f"{_field(where, 'context')} is required and must be a string")
    if context not in CONTEXTS:
        raise HttpError(422, f"{_field(where, 'context')} must be one of {', '.join(CONTEXTS)}; got {context!r}")
    parameter = item.get("context_parameter", "")
    if parameter is None:
        parameter = ""
    if not isinstance(parameter, str):
        raise HttpError(400, f"{_field(where, 'context_parameter')} must be a string")
    if context == "branch" and not parameter:
        raise HttpError(422, f"{_field(where, 'context_parameter')} is required (the branch name) for context 'branch'")
    if context != "branch" and parameter:
        raise HttpError(422, f"{_field(where, 'context_parameter')} is only used with context 'branch'")
    value = item.get("value")
    if not isinstance(value, str):
        raise HttpError(400, f"{_field(where, 'value')} is required and must be a string")
    return ValueInput(context, parameter, value)


def _parse_scopes(obj: Any, where: str) -> tuple[str, ...]:
    if not isinstance(obj, list) or not all(isinstance(scope, str) for scope in obj):
        raise HttpError(400, f"{where} must be an array of strings")
    if not obj:
        raise HttpError(422, f"{where} must name at least one of {', '.join(SCOPES)}")
    for index, scope in enumerate(obj):
        if scope not in SCOPES:
            raise HttpError(422, f"{where}[{index}] must be one of {', '.join(SCOPES)}; got {scope!r}")
    if len(set(obj)) != len(obj):
        raise HttpError(422, f"{where} lists a scope twice")
    return tuple(obj)


def _parse_values(obj: Any, where: str) -> tuple[ValueInput, ...]:
    if not isinstance(obj, list):
        raise HttpError(400, f"{where} must be an array")
    values = tuple(parse_value(item, f"{where}[{index}]") for index, item in enumerate(obj))
    seen: set[tuple[str, str]] = set()
    for index, value in enumerate(values):
        slot = (value.context, value.context_parameter)
        if slot in seen:
            raise HttpError(422, f"{where}[{index}] repeats context {value.context!r}")
        seen.add(slot)
    return values


def parse_env_var(obj: Any, where: str) -> EnvVarInput:
    """One variable of a create/replace body; fields left out come back as None."""
    item = _require_object(obj, where)
    key = parse_key(item["key"], _field(where, "key")) if "key" in item else None
    scopes = _parse_scopes(item["scopes"], _field(where, "scopes")) if "scopes" in item else None
    is_secret = item.get("is_secret")
    if is_secret is not None and not isinstance(is_secret, bool):
        raise HttpError(400, f"{_field(where, 'is_secret')} must be a boolean")
    values = _parse_values(item["values"], _field(where, "values")) if "values" in item else None
    return EnvVarInput(key, scopes, is_secret, values)


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


def set_value(record: EnvVarRecord, value: ValueInput) -> None:
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
