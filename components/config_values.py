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


MAX_URL_LENGTH = 2048  # what browsers, CDNs and most servers accept; a config URL is far shorter


def control_character(value: str) -> str | None:
    """`newline at position 12` for the first control character (C0, DEL or C1) in `value`, else None."""
    for position, char in enumerate(value):
        if ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0:
            name = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab"}.get(char, f"U+{ord(char):04X}")
            return f"{name} at position {position}"
    return None


def _shown(value: str) -> str:
    """The value for a message: shortened, and never with a password from user:password@."""
    if "@" in urlparse(value).netloc:
        return "<a URL with credentials>"
    return repr(value) if len(value) <= 80 else repr(value[:60]) + f"... ({len(value)} characters)"


def url_problem(value: str) -> str | None:
    """What makes `value` unfit to be an http(s) URL sent to a vendor, or None."""
    if len(value) > MAX_URL_LENGTH:
        return f"is {len(value)} characters long; a URL here is at most {MAX_URL_LENGTH}"
    if (where := control_character(value)) is not None:
        return f"contains {where} (a pasted line break or header?); set it again as one line"
    parsed = urlparse(value)
    if parsed.scheme.lower() not in ("http", "https") or not parsed.netloc:
        return "is not an http(s) URL"
    if parsed.username is not None or parsed.password is not None:
        return "carries credentials (user:password@); config URLs name a server, secrets go in their own keys"
    host = parsed.hostname or ""
    if not host:
        return "has no host"
    if not host.isascii():
        try:
            puny = host.encode("idna").decode("ascii")
        except UnicodeError:
            return f"has the host {host!r}, which is not a valid international domain name"
        # Refused rather than converted: the operator should see and store the name vendors will see.
        return f"has the non-ASCII host {host!r}; use the punycode form {puny!r}"
    if any(c.isspace() for c in value):
        return "contains a space"
    try:
        parsed.port  # noqa: B018 - raises ValueError on a port that is not a number from 0 to 65535
    except ValueError:
        return "has a port that is not a number from 0 to 65535"
    return None


def parse_url(key: str, value: str, problems: Problems) -> str:
    text = value.strip()
    problem = url_problem(text)
    if problem is not None:
        problems.append(f"{key}: {_shown(text)} {problem} (fix: pulumi config set {key} https://...)")
        return text
    parsed = urlparse(text)
    # One spelling per server: a trailing slash or an upper-case host must not look like a change.
    return parsed._replace(netloc=parsed.netloc.lower(), scheme=parsed.scheme.lower()).geturl().rstrip("/")
