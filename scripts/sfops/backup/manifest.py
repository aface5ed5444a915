"""The manifest: written after the backup object is complete, so a backup without one never counts.

Object names: `<prefix><stamp>.dump.zst.age` and `<prefix><stamp>.manifest.json`, with a
UTC stamp like 20260102T020000.123456Z, so names sort by time. A manifest holds no secret:
the recipients are public keys, the database is named without host, user or password.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

FORMAT = "pg_dump custom format (uncompressed) | zstd | age"
MANIFEST_SUFFIX = ".manifest.json"
OBJECT_SUFFIX = ".dump.zst.age"
STAMP = "%Y%m%dT%H%M%S.%fZ"


class ManifestError(ValueError):
    pass


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(STAMP)


def object_key(prefix: str, moment: datetime) -> str:
    return f"{prefix}{stamp(moment)}{OBJECT_SUFFIX}"


def manifest_key_for(key: str) -> str:
    return key.removesuffix(OBJECT_SUFFIX) + MANIFEST_SUFFIX


@dataclass(frozen=True)
class Manifest:
    key: str
    size: int
    sha256: str
    database: str
    pg_dump_version: str
    server_version: str
    started_at: str  # ISO 8601, UTC
    finished_at: str
    recipients: list[str]
    format: str = FORMAT
    # 2: `contents` says what is inside (supabase_schemas.describe); 1 (older): the whole database.
    contents: dict[str, Any] | None = None
    manifest_version: int = 2

    @property
    def started(self) -> datetime:
        return datetime.fromisoformat(self.started_at)

    def to_json(self) -> bytes:
        return (json.dumps(asdict(self), indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes, where: str) -> Manifest:
        try:
            raw: dict[str, Any] = json.loads(data)
            manifest = cls(**{k: raw[k] for k in cls.__dataclass_fields__ if k in raw})
            if "manifest_version" not in raw:
                manifest = replace(manifest, manifest_version=1)
        except (ValueError, TypeError) as exc:
            raise ManifestError(f"{where} is not a backup manifest: {exc}") from None
        if not isinstance(manifest.size, int) or len(manifest.sha256) != 64 or not manifest.key:
            raise ManifestError(f"{where}: size, sha256 or key is malformed")
        if manifest_key_for(manifest.key) != where:
            raise ManifestError(f"{where} describes another object ({manifest.key})")
        return manifest
