"""The backups in the bucket: only objects with a manifest count (the manifest is written last).

Every version is listed (see `versions`): a manifest is read as first written, and a backup
whose object or manifest has more than one version is marked rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from scripts.sfops.backup.manifest import MANIFEST_SUFFIX, Manifest, ManifestError, manifest_key_for
from scripts.sfops.restore.versions import Version, object_versions, original, version_args

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class CatalogError(Exception):
    pass


@dataclass(frozen=True)
class Listing:
    backups: list[Manifest]  # oldest first
    problems: list[str]  # manifests that could not be read (never chosen)
    versions: dict[str, list[Version]] = field(default_factory=dict)  # every key's versions, newest first

    def rewritten(self, manifest: Manifest) -> list[Version]:
        """Every version of the backup's object and manifest when either has more than one; else []."""
        names = (manifest.key, manifest_key_for(manifest.key))
        both = [v for name in names for v in self.versions.get(name, [])]
        return both if any(len(self.versions.get(name, [])) > 1 for name in names) else []


def list_backups(s3: S3Client, bucket: str, prefix: str) -> Listing:
    backups: list[Manifest] = []
    problems: list[str] = []
    versions = object_versions(s3, bucket, prefix)
    for key, written in sorted(versions.items()):
        first = original(written)
        if not key.endswith(MANIFEST_SUFFIX) or first is None:
            continue
        # The first version: what the backup host wrote, whatever was written over it since.
        body = s3.get_object(Bucket=bucket, Key=key, **version_args(first.version_id))["Body"].read(1 << 20)
        try:
            backups.append(Manifest.from_json(body, key))
        except ManifestError as exc:
            problems.append(str(exc))
    backups.sort(key=lambda m: (m.started, m.key))
    return Listing(backups, problems, versions)


def pinned_version(listing: Listing, manifest: Manifest, version_id: str | None) -> str | None:
    """The object version to restore: None (the only one) for an untouched backup; a rewritten one
    is refused unless `version_id` names one of its object's versions (checked against the
    original manifest like any other)."""
    rewritten = listing.rewritten(manifest)
    objects = [v for v in listing.versions.get(manifest.key, []) if not v.delete_marker]
    if version_id is not None:
        if version_id not in {v.version_id for v in objects}:
            shown = ", ".join(f"{v.version_id} ({v.last_modified})" for v in objects) or "none"
            raise CatalogError(f"{manifest.key} has no version {version_id!r}; its versions: {shown}")
        return version_id
    if rewritten:
        first = original(objects)
        history = "; ".join(
            f"{v.key.rsplit('/', 1)[-1]} {'delete marker' if v.delete_marker else 'version'} {v.version_id} "
            f"at {v.last_modified}"
            for v in rewritten
        )
        hint = f"--version-id {first.version_id}" if first else "--version-id ID"
        raise CatalogError(
            f"{manifest.key} was rewritten after the backup host wrote it ({history}); refusing it. "
            f"To restore the original as written: --backup {manifest.key.rsplit('/', 1)[-1]} {hint} "
            "(checked against the first version of its manifest)"
        )
    return None


def choose(listing: Listing, *, at: datetime | None = None, key: str | None = None) -> Manifest:
    """The latest backup, the latest started at or before `at`, or the one whose object is `key`."""
    if not listing.backups:
        raise CatalogError("no backups with a manifest in the bucket (a backup without one never finished)")
    if key is not None:
        for manifest in listing.backups:
            if key in (manifest.key, manifest.key.rsplit("/", 1)[-1]):
                return manifest
        raise CatalogError(f"no backup named {key!r} (fix: `sfops restore --list` shows the names)")
    if at is not None:
        earlier = [m for m in listing.backups if m.started <= at]
        if not earlier:
            first = listing.backups[0].started_at
            raise CatalogError(f"no backup started at or before {at.isoformat()} (the oldest is {first})")
        return earlier[-1]
    return listing.backups[-1]
