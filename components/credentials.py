"""The one credential store of the dynamic-provider process.

Providers are pickled into state, so nothing secret may live on them. The engine hands
every provider the stack's config in `configure()`; `remember` keeps what the providers
need to reach the vendors here, in process memory, and the clients read it from here at
call time. Nothing in this module is ever pickled: it is a module, and dill pickles
modules by reference.

The environment is the fallback for each credential, as with the vendors' own tools
(a CI job or a test that exports NETLIFY_AUTH_TOKEN, AWS_*), and for the SSH key an
ssh-agent (read by paramiko itself).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

TOKEN_ENV = "NETLIFY_AUTH_TOKEN"  # noqa: S105 - the variable name, not a value


class ConfigSource(Protocol):
    def get(self, key: str) -> str | None: ...


@dataclass
class Credentials:
    netlify_token: str = ""
    stripe_secret_key: str = ""
    aws_credentials_file: str = ""
    ssh_private_key: str = ""
    # The operator's word that the stack is leaving this Netlify site (its variables stay there).
    netlify_site_move_from: str = ""
    # The operator's word that the stack lets go of this bucket and keeps it (with its backups).
    keep_bucket: str = ""
    problems: list[str] = field(default_factory=list)


_store = Credentials()


def _project_path(path: str) -> str:
    """Relative paths are relative to the project directory, where the engine runs providers."""
    resolved = Path(path).expanduser()
    return str(resolved if resolved.is_absolute() else Path.cwd() / resolved)


def remember(config: ConfigSource) -> None:
    """Fill the store from stack config (called by every provider's `configure()`; idempotent)."""
    _store.netlify_token = config.get("netlifyToken") or _store.netlify_token
    _store.stripe_secret_key = config.get("stripeSecretKey") or _store.stripe_secret_key
    _store.netlify_site_move_from = (config.get("netlifySiteMoveFrom") or "").strip().lower()
    _store.keep_bucket = (config.get("backupKeepBucket") or "").strip().lower()
    aws_file = config.get("backupAwsCredentialsFile")
    if aws_file:
        _store.aws_credentials_file = _project_path(aws_file)
    key_text, key_file = config.get("backupSshPrivateKey"), config.get("backupSshKeyFile")
    if key_text:
        _store.ssh_private_key = key_text
    elif key_file:
        try:
            _store.ssh_private_key = Path(_project_path(key_file)).read_text()
        except OSError as exc:
            # Said when a provider needs the key, not here: configure() has no way to report it.
            _store.problems.append(f"backupSshKeyFile {key_file}: {exc.strerror}")


def netlify_token() -> str:
    return _store.netlify_token or os.environ.get(TOKEN_ENV, "")


def stripe_secret_key() -> str:
    return _store.stripe_secret_key


def aws_credentials_file() -> str:
    return _store.aws_credentials_file


def ssh_private_key() -> str:
    return _store.ssh_private_key


def ssh_key_problems() -> list[str]:
    return list(_store.problems)


def leaving_netlify_site(site_id: str) -> bool:
    """True while the stack moves away from `site_id` on purpose: its variables stay there."""
    return bool(site_id) and _store.netlify_site_move_from == site_id.lower()


def keeping_bucket(bucket: str) -> bool:
    return bool(bucket) and _store.keep_bucket == bucket.lower()


def forget_all() -> None:
    """For tests: an empty store, as in a fresh provider process."""
    global _store
    _store = Credentials()
