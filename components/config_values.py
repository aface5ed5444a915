"""Parsers for config values every section shares (one message and one spelling per kind).

Each takes the key it parses (to name it in the message) and a list to append problems to.
"""

from __future__ import annotations

from urllib.parse import urlparse

Problems = list[str]


def parse_bool(key: str, value: str, problems: Problems) -> bool:
    word = value.strip().lower()
    if word not in ("true", "false"):
        problems.append(
            f"{key}: {value!r} is not a boolean; allowed values: true, false (fix: pulumi config set {key} true|false)"
        )
        return False
    return word == "true"


def parse_int(key: str, value: str, problems: Problems, *, low: int, high: int, default: int) -> int:
    """A whole number from `low` to `high`; `default` stands in (after the problem is noted) when it is not."""
    text = value.strip()
    number = int(text) if text.lstrip("-").isdigit() else None
    if number is None or not low <= number <= high:
        problems.append(f"{key}: {text!r} must be a whole number from {low} to {high} (fix: pulumi config set {key} N)")
        return default
    return number


def parse_url(key: str, value: str, problems: Problems) -> str:
    parsed = urlparse(value.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        problems.append(f"{key}: {value!r} is not an http(s) URL (fix: pulumi config set {key} https://...)")
    # One spelling per server: a trailing slash or an upper-case host must not look like a change.
    return parsed._replace(netloc=parsed.netloc.lower(), scheme=parsed.scheme.lower()).geturl().rstrip("/")
