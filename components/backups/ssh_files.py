"""known_hosts entries and private-key files, read at preview without paramiko.

Config validation runs in every preview; paramiko (~0.35 s to import) is left to the
providers that actually connect (`components.backups.ssh`). The formats are OpenSSH's
(sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT", ssh-keygen(1) for hashed names).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from pathlib import Path

from components.backups import validation as v

HASHED_PREFIX = "|1|"


def _hashed_match(pattern: str, name: str) -> bool:
    """`|1|salt|hash`: HMAC-SHA1 of the host name keyed with the salt (ssh-keygen -H)."""
    try:
        salt_b64, digest_b64 = pattern[len(HASHED_PREFIX) :].split("|", 1)
        salt, digest = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(hmac.new(salt, name.encode(), hashlib.sha1).digest(), digest)


def _names_match(field: str, name: str) -> bool:
    if field.startswith(HASHED_PREFIX):
        return _hashed_match(field, name)
    return name in field.split(",")


def known_host_keys(path: Path, host: str, port: int) -> list[str]:
    """The entries for host:port as sorted '<type> <base64>' lines (hashed names work too).

    Marker lines (@cert-authority, @revoked) are never pins; a malformed key is skipped,
    so a file with no usable key for the host says so instead of pinning garbage.
    """
    name = host if port == 22 else f"[{host}]:{port}"
    keys: set[str] = set()
    for line in path.read_text(errors="replace").splitlines():
        fields = line.split()
        if len(fields) < 3 or fields[0].startswith(("#", "@")):
            continue
        key = f"{fields[1]} {fields[2]}"
        if _names_match(fields[0], name) and v.host_key_problem(key) is None:
            keys.add(key)
    return sorted(keys)


def private_key_problem(text: str) -> str | None:
    """Why `text` is not a usable SSH client key (ed25519, ecdsa or rsa, no passphrase), or None."""
    # cryptography (~0.1 s) rather than paramiko; paramiko loads the same formats through it.
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_ssh_private_key

    data = text.encode()
    loader = load_ssh_private_key if b"-----BEGIN OPENSSH PRIVATE KEY-----" in data else load_pem_private_key
    try:
        key = loader(data, password=None)
    except TypeError:
        # cryptography's word for "encrypted, and no password given".
        return "the key is passphrase-protected; use an agent (unset it and set SSH_AUTH_SOCK) instead"
    except (ValueError, binascii.Error, UnsupportedAlgorithm):
        key = None
    if not isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        return "not an OpenSSH/PEM private key of type ed25519, ecdsa or rsa"
    return None
