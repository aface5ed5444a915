"""Env var request bodies read into inputs for the env-var backend (request parsing).

The spec validation in front of the handlers already refuses unknown fields and wrong
types when it is on; these checks stay for what the spec cannot say (a key's shape, a
branch value's branch name, a context set twice) and for runs with validation off.
Errors name the offending field (`[0].values[1].context`): shape errors answer 400,
well-formed but unacceptable values 422, as Netlify does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from local_services.netlify.errors import bad_request, unprocessable

CONTEXTS = ("all", "dev", "dev-server", "branch-deploy", "deploy-preview", "production", "branch")
POST_PROCESSING = "post-processing"
SCOPES = ("builds", "functions", "runtime", POST_PROCESSING)
# The POSIX portable shape; Netlify rejects keys a shell could not export as well.
KEY_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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
        raise bad_request(f"{where or 'body'} must be a JSON object")
    return obj


def parse_key(obj: Any, where: str) -> str:
    if not isinstance(obj, str):
        raise bad_request(f"{where} must be a string")
    if not KEY_PATTERN.match(obj):
        raise unprocessable(f"{where} {obj!r} is not a valid variable name (letters, digits, _; no leading digit)")
    return obj


def parse_value(obj: Any, where: str) -> ValueInput:
    item = _require_object(obj, where)
    context = item.get("context")
    if not isinstance(context, str):
        raise bad_request(f"{_field(where, 'context')} is required and must be a string")
    if context not in CONTEXTS:
        raise unprocessable(f"{_field(where, 'context')} must be one of {', '.join(CONTEXTS)}; got {context!r}")
    parameter = item.get("context_parameter", "")
    if parameter is None:
        parameter = ""
    if not isinstance(parameter, str):
        raise bad_request(f"{_field(where, 'context_parameter')} must be a string")
    if context == "branch" and not parameter:
        raise unprocessable(f"{_field(where, 'context_parameter')} is required (the branch name) for context 'branch'")
    if context != "branch" and parameter:
        raise unprocessable(f"{_field(where, 'context_parameter')} is only used with context 'branch'")
    value = item.get("value")
    if not isinstance(value, str):
        raise bad_request(f"{_field(where, 'value')} is required and must be a string")
    return ValueInput(context, parameter, value)


def _parse_scopes(obj: Any, where: str) -> tuple[str, ...]:
    if not isinstance(obj, list) or not all(isinstance(scope, str) for scope in obj):
        raise bad_request(f"{where} must be an array of strings")
    if not obj:
        raise unprocessable(f"{where} must name at least one of {', '.join(SCOPES)}")
    # netlify-cli sends `post_processing`; the API takes it for `post-processing`.
    obj = [POST_PROCESSING if scope == "post_processing" else scope for scope in obj]
    for index, scope in enumerate(obj):
        if scope not in SCOPES:
            raise unprocessable(f"{where}[{index}] must be one of {', '.join(SCOPES)}; got {scope!r}")
    if len(set(obj)) != len(obj):
        raise unprocessable(f"{where} lists a scope twice")
    return tuple(obj)


def _parse_values(obj: Any, where: str) -> tuple[ValueInput, ...]:
    if not isinstance(obj, list):
        raise bad_request(f"{where} must be an array")
    values = tuple(parse_value(item, f"{where}[{index}]") for index, item in enumerate(obj))
    seen: set[tuple[str, str]] = set()
    for index, value in enumerate(values):
        slot = (value.context, value.context_parameter)
        if slot in seen:
            raise unprocessable(f"{where}[{index}] repeats context {value.context!r}")
        seen.add(slot)
    return values


def parse_env_var(obj: Any, where: str) -> EnvVarInput:
    """One variable of a create/replace body; fields left out come back as None."""
    item = _require_object(obj, where)
    key = parse_key(item["key"], _field(where, "key")) if "key" in item else None
    scopes = _parse_scopes(item["scopes"], _field(where, "scopes")) if "scopes" in item else None
    is_secret = item.get("is_secret")
    if is_secret is not None and not isinstance(is_secret, bool):
        raise bad_request(f"{_field(where, 'is_secret')} must be a boolean")
    values = _parse_values(item["values"], _field(where, "values")) if "values" in item else None
    return EnvVarInput(key, scopes, is_secret, values)


def parse_create_body(body: Any) -> list[tuple[str, EnvVarInput]]:
    """createEnvVars: a non-empty array of variables, each with a key, no key twice."""
    if not isinstance(body, list) or not body:
        raise bad_request("body must be a non-empty array of environment variables")
    parsed: list[tuple[str, EnvVarInput]] = []
    for index, item in enumerate(body):
        variable = parse_env_var(item, f"[{index}]")
        if variable.key is None:
            raise bad_request(f"[{index}].key is required")
        if any(variable.key == key for key, _ in parsed):
            raise unprocessable(f"[{index}].key {variable.key} appears twice in the request")
        parsed.append((variable.key, variable))
    return parsed


def parse_replace_body(body: Any) -> EnvVarInput:
    """updateEnvVar: like one created variable, but `values` is required (PUT replaces them all)."""
    variable = parse_env_var(body, "")
    if variable.values is None:
        raise bad_request("values is required: PUT replaces all of a variable's values")
    return variable
