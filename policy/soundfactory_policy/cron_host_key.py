"""The backup cron host pins its SSH host key: an unpinned host would accept any server."""

from __future__ import annotations

import base64
import binascii
import re
import struct
from typing import Any

from soundfactory_policy.policy_kit import mandatory_policy
from soundfactory_policy.resources import CRON_HOST, known

KEY_LINE = re.compile(r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)) ([A-Za-z0-9+/]+={0,2})$")


def key_problem(line: Any) -> str | None:
    """A key line is '<type> <base64>' whose blob names the same type (what ssh-keyscan prints)."""
    match = KEY_LINE.match(str(line).strip())
    if not match:
        return f"{str(line)[:40]!r} is not a '<key type> <base64>' host key"
    try:
        blob = base64.b64decode(match.group(2), validate=True)
        (length,) = struct.unpack(">I", blob[:4])
        embedded = blob[4 : 4 + length].decode()
    except (binascii.Error, struct.error, UnicodeDecodeError):
        return f"the {match.group(1)} host key is not valid base64 key data"
    if embedded != match.group(1):
        return f"the host key says {match.group(1)} but its data is a {embedded} key"
    return None


def host_key_problems(host_keys: Any) -> list[str]:
    if not known(host_keys):
        return []
    keys = list(host_keys or [])
    if not keys:
        return ["no pinned host key (set backupHostKey or backupKnownHostsFile)"]
    return [problem for problem in (key_problem(line) for line in keys) if problem]


cron_host_pins_host_key = mandatory_policy(
    "cron-host-pins-host-key",
    "The backup cron host connects only to a pinned, well-formed SSH host key.",
    frozenset({CRON_HOST}),
    lambda args: [f"cron host {args.name}: {p}" for p in host_key_problems(args.props.get("host_keys"))],
)
