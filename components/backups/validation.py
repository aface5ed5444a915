"""Pure validators for the backup settings: each returns a problem (str) or None.

No I/O and no network: they run at preview, before any resource is registered.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from urllib.parse import urlsplit

# --- cron -----------------------------------------------------------------------------

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (name, lowest, highest, names for lowest.. in order)
CRON_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),  # 0 and 7 are both Sunday
)
_ITEM = re.compile(r"^(?P<range>\*|(?P<lo>[0-9a-z]+)(?:-(?P<hi>[0-9a-z]+))?)(?:/(?P<step>[0-9]+))?$")


def _cron_value(token: str, low: int, high: int, names: tuple[str, ...]) -> int | None:
    if token.isdigit():
        value = int(token)
        return value if low <= value <= high else None
    if token in names:
        return names.index(token) + (0 if names is _DAYS else 1)
    return None


def cron_problem(expression: str) -> str | None:
    """Why a five-field crontab schedule is invalid, or None. Macros (@daily) are refused:
    five explicit fields are what a reviewer reads."""
    fields = expression.split()
    if len(fields) != 5:
        return f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(fields)}"
    for text, (name, low, high, names) in zip(fields, CRON_FIELDS, strict=True):
        for item in text.lower().split(","):
            match = _ITEM.match(item)
            if not match:
                return f"{name} field {text!r}: {item!r} is not a number, range, list or step"
            if match["lo"] is not None:
                lo = _cron_value(match["lo"], low, high, names)
                hi = _cron_value(match["hi"], low, high, names) if match["hi"] is not None else lo
                if lo is None or hi is None:
                    return f"{name} field {text!r}: {item!r} is outside {low}-{high}"
                if hi < lo:
                    return f"{name} field {text!r}: range {item!r} runs backwards"
            if match["step"] is not None and not 1 <= int(match["step"]) <= high:
                return f"{name} field {text!r}: step {match['step']} must be 1-{high}"
    return None


# --- S3 bucket names (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html) ---

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(name: str) -> str | None:
    if not _BUCKET.match(name):
        return "S3 bucket names are 3-63 characters of lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit"  # noqa: E501
    if ".." in name or ".-" in name or "-." in name:
        return "S3 bucket names cannot contain '..', '.-' or '-.'"
    try:
        ipaddress.IPv4Address(name)
        return "S3 bucket names cannot look like an IP address"
    except ValueError:
        pass
    if name.startswith(_BUCKET_PREFIXES) or name.endswith(_BUCKET_SUFFIXES):
        return f"S3 reserves the prefixes {', '.join(_BUCKET_PREFIXES)} and suffixes {', '.join(_BUCKET_SUFFIXES)}"
    return None


# --- age recipients (bech32, human-readable part "age") -------------------------------

_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _bech32_polymod(values: list[int]) -> int:
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for bit in range(5):
            checksum ^= generator[bit] if (top >> bit) & 1 else 0
    return checksum


def age_recipient_problem(recipient: str) -> str | None:
    """An X25519 age recipient: 'age1' + 58 bech32 characters with a valid checksum."""
    if not re.fullmatch(r"age1[" + _BECH32 + r"]{58}", recipient):
        return "expected an age public key: 'age1' followed by 58 lowercase bech32 characters (age-keygen -y)"
    hrp, data = "age", [_BECH32.index(c) for c in recipient[4:]]
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    if _bech32_polymod(expanded + data) != 1:
        return "the age public key's checksum does not match (a typo?)"
    return None


def age_recipient(public_key: bytes) -> str:
    """Encode a 32-byte X25519 public key as an age recipient (used to make test keys)."""
    bits = "".join(f"{byte:08b}" for byte in public_key)
    bits += "0" * (-len(bits) % 5)
    data = [int(bits[i : i + 5], 2) for i in range(0, len(bits), 5)]
    hrp = "age"
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    polymod = _bech32_polymod([*expanded, *data, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return "age1" + "".join(_BECH32[v] for v in data + checksum)


# --- SSH public keys (a pinned host key line) -------------------------------------------

HOST_KEY_TYPES = (
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
)


def host_key_problem(line: str) -> str | None:
    """'<type> <base64>' as in known_hosts or /etc/ssh/ssh_host_*_key.pub (a comment may follow)."""
    parts = line.split()
    if len(parts) < 2:
        return "expected '<key type> <base64 key>', e.g. the line of ssh-keyscan -t ed25519 <host> after the host name"
    key_type, blob = parts[0], parts[1]
    if key_type not in HOST_KEY_TYPES:
        return f"key type {key_type!r} is not one of {', '.join(HOST_KEY_TYPES)}"
    try:
        raw = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        return "the key is not valid base64"
    length = int.from_bytes(raw[:4], "big") if len(raw) >= 4 else -1
    if raw[4 : 4 + length].decode(errors="replace") != key_type:
        return f"the key's encoded type does not say {key_type!r}"
    return None


# --- small formats ---------------------------------------------------------------------

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
POSIX_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:(root|(user|role)/[A-Za-z0-9+=,.@_/-]{1,128})$")
KMS_KEY = re.compile(
    r"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/[A-Za-z0-9/_-]+|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}|alias/[A-Za-z0-9/_-]+)$"
)
KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]$")
S3_PREFIX = re.compile(r"^([A-Za-z0-9!_.*'()-]+/)+$")


def host_problem(host: str) -> str | None:
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    return None if _HOSTNAME.match(host) else "expected a host name or an IP address"


def is_loopback_url(url: str) -> bool:
    """Whether a URL names this machine (the local stack's servers), whatever its scheme."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
