"""Stripe's form encoding: `a=1&list[]=x&list[1]=y&map[key]=v&deep[a][b]=c`.

Bodies decode into nested dicts and lists of strings (as stripe-mock's param package
does), then take the types the spec declares (booleans, integers), so the spec's
JSON schema can judge them.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from local_services.common.http_server import HttpError

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def _parts(key: str) -> list[str]:
    found = _KEY.match(key)
    if not found:
        raise HttpError(400, f"Invalid parameter name: {key!r}")
    return [found.group(1), *re.findall(r"\[([^\[\]]*)\]", found.group(2))]


def _insert(target: dict[str, Any], parts: list[str], value: str, key: str) -> None:
    node: Any = target
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        following = None if last else parts[index + 1]
        child_default: Any = [] if following == "" or (following or "").isdigit() else {}
        if isinstance(node, list):
            if part == "" or part.isdigit():
                position = len(node) if part == "" else int(part)
                if position > len(node):
                    raise HttpError(400, f"Invalid array index in {key!r}: indices must start at 0 and be contiguous")
                if last:
                    if position == len(node):
                        node.append(value)
                    else:
                        node[position] = value
                    return
                if position == len(node):
                    node.append(child_default)
                node = node[position]
                continue
            raise HttpError(400, f"Invalid parameter {key!r}: mixes an array and a hash")
        if last:
            node[part] = value
            return
        node = node.setdefault(part, child_default)


def decode_form(body: bytes) -> dict[str, Any]:
    try:
        text = body.decode()
    except UnicodeDecodeError as exc:
        raise HttpError(400, "request body is not form-encoded UTF-8") from exc
    decoded: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        _insert(decoded, _parts(key), value, key)
    return decoded


def coerce(value: Any, schema: dict[str, Any]) -> Any:
    """`value` (strings from a form) as the types `schema` declares; unknown shapes stay as they are."""
    for option in schema.get("anyOf", []):
        converted = coerce(value, option)
        if converted is not value or option.get("type") == "string":
            return converted
    kind = schema.get("type")
    if kind == "boolean" and isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    if kind == "integer" and isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    if kind == "array" and isinstance(value, list):
        return [coerce(item, schema.get("items", {})) for item in value]
    if kind == "object" and isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        return {
            name: coerce(item, properties.get(name, extra if isinstance(extra, dict) else {}))
            for name, item in value.items()
        }
    return value
