"""The backup's settings, read from the host's env file and validated once, every problem named.

Keys (written by `pulumi up`, see `components.backups.backup_infra.env_values`):
DATABASE_URL, BACKUP_BUCKET, BACKUP_PREFIX, S3_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, BACKUP_RECIPIENT; optional BACKUP_HEALTHCHECK_URL, BACKUP_PART_SIZE_MB,
PG_BIN_DIR (where pg_dump and psql are; default: PATH).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pyrage

from scripts.sfops.backup.database_url import DatabaseUrl, DatabaseUrlError

REQUIRED = (
    "DATABASE_URL",
    "BACKUP_BUCKET",
    "BACKUP_PREFIX",
    "AWS_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "BACKUP_RECIPIENT",
)
MIB = 1024 * 1024
DEFAULT_PART_SIZE_MB = 16  # x 10,000 parts: dumps up to 156 GiB (compressed, encrypted)
MIN_PART_SIZE_MB = 5  # S3's minimum for every part but the last
MAX_PART_SIZE_MB = 512
MAX_PARTS = 10_000


def _age_recipient(text: str) -> bool:
    # Parsed here, before anything starts, not first by the encryption after the upload began.
    try:
        pyrage.x25519.Recipient.from_str(text)
    except pyrage.RecipientError:
        return False
    return True


class SettingsError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class BackupSettings:
    database: DatabaseUrl
    bucket: str
    prefix: str
    endpoint_url: str | None  # None: AWS's own endpoint
    region: str
    access_key_id: str
    secret_access_key: str
    recipients: tuple[str, ...]
    healthcheck_url: str | None
    part_size: int
    pg_bin_dir: Path | None

    @property
    def max_dump_bytes(self) -> int:
        return self.part_size * MAX_PARTS

    def secrets(self) -> list[str]:
        """Values that must never appear in a log line, a manifest or a process argument."""
        values = [self.secret_access_key, self.database.password, self.healthcheck_url or ""]
        return [v for v in values if v]


def _http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def parse_settings(values: Mapping[str, str]) -> BackupSettings:
    problems: list[str] = []
    fix = "(fix: `pulumi up` rewrites the env file from the stack config)"
    for key in REQUIRED:
        if not values.get(key, "").strip():
            problems.append(f"{key} is missing or empty {fix}")
    database: DatabaseUrl | None = None
    if values.get("DATABASE_URL"):
        try:
            database = DatabaseUrl.parse(values["DATABASE_URL"])
        except DatabaseUrlError as exc:
            problems.append(f"DATABASE_URL: {exc} (fix: pulumi config set --secret backupDatabaseUrl)")
    prefix = values.get("BACKUP_PREFIX", "")
    if prefix and not prefix.endswith("/"):
        problems.append(f"BACKUP_PREFIX {prefix!r} must end with '/'")
    endpoint = values.get("S3_ENDPOINT_URL") or values.get("AWS_ENDPOINT_URL_S3") or None
    if endpoint and not _http_url(endpoint):
        problems.append("S3_ENDPOINT_URL is not an http(s) URL")
    recipients = tuple(r for r in values.get("BACKUP_RECIPIENT", "").replace(",", " ").split() if r)
    bad = [r for r in recipients if not _age_recipient(r)]
    if bad:
        problems.append("BACKUP_RECIPIENT must be age public keys (age1...), separated by spaces")
    healthcheck = values.get("BACKUP_HEALTHCHECK_URL") or None
    if healthcheck and not _http_url(healthcheck):
        problems.append("BACKUP_HEALTHCHECK_URL is not an http(s) URL")
    raw_part = values.get("BACKUP_PART_SIZE_MB") or str(DEFAULT_PART_SIZE_MB)
    try:
        part_mb = int(raw_part)
    except ValueError:
        part_mb = 0
    if not MIN_PART_SIZE_MB <= part_mb <= MAX_PART_SIZE_MB:
        problems.append(f"BACKUP_PART_SIZE_MB must be a whole number from {MIN_PART_SIZE_MB} to {MAX_PART_SIZE_MB}")
        part_mb = DEFAULT_PART_SIZE_MB
    bin_dir = Path(values["PG_BIN_DIR"]) if values.get("PG_BIN_DIR") else None
    if bin_dir is not None and not (bin_dir / "pg_dump").is_file():
        problems.append(f"PG_BIN_DIR {bin_dir} has no pg_dump (fix: install postgresql-client, or correct it)")
    if problems or database is None:
        raise SettingsError(problems)
    return BackupSettings(
        database=database,
        bucket=values["BACKUP_BUCKET"],
        prefix=prefix,
        endpoint_url=endpoint,
        region=values["AWS_REGION"],
        access_key_id=values["AWS_ACCESS_KEY_ID"],
        secret_access_key=values["AWS_SECRET_ACCESS_KEY"],
        recipients=recipients,
        healthcheck_url=healthcheck,
        part_size=part_mb * MIB,
        pg_bin_dir=bin_dir,
    )
