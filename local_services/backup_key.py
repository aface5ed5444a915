"""The local stack's age key pair: the identity (private key) stays here, the recipient goes to the stack.

Generated once under `.local-services/backup-age/` (a 0700 directory, gitignored):
`identity.txt` (0600, age-keygen's format) for `sfops restore`, and `recipient.txt`, which
`Pulumi.local.yaml`'s `backupRecipientFile` names. Only the recipient reaches the backup
host (in its env file); the identity is never sent anywhere.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pyrage

from local_services.supervisor import RUN_DIR

AGE_DIR = RUN_DIR / "backup-age"
IDENTITY_FILE = "identity.txt"
RECIPIENT_FILE = "recipient.txt"


def ensure_age_key_pair(directory: Path = AGE_DIR) -> tuple[Path, Path]:
    """(identity file, recipient file), generating the pair when there is none."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    directory.chmod(0o700)
    identity_path, recipient_path = directory / IDENTITY_FILE, directory / RECIPIENT_FILE
    if not identity_path.is_file():
        identity = pyrage.x25519.Identity.generate()
        created = datetime.now(UTC).isoformat(timespec="seconds")
        text = f"# created: {created}\n# public key: {identity.to_public()}\n{identity}\n"
        fd = os.open(identity_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        recipient_path.unlink(missing_ok=True)
    if not recipient_path.is_file():
        line = next(row for row in identity_path.read_text().splitlines() if row.startswith("AGE-SECRET-KEY-"))
        recipient_path.write_text(f"{pyrage.x25519.Identity.from_str(line).to_public()}\n")
    return identity_path, recipient_path
