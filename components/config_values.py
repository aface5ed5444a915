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


def parse_url(key: str, value: str, problems: Problems) -> str:
    parsed = urlparse(value.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        problems.append(f"{key}: {value!r} is not an http(s) URL (fix: pulumi config set {key} https://...)")
    # One spelling per server: a trailing slash or an upper-case host must not look like a change.
    return parsed._replace(netloc=parsed.netloc.lower(), scheme=parsed.scheme.lower()).geturl().rstrip("/")
