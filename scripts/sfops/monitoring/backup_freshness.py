"""The backup freshness probe: the newest manifest in the bucket, read with the restore identity.

Backups that stop tell nobody by themselves (cron's output stays on the host; the lifecycle
expires by age whether or not newer backups exist). This probe is down when the newest
backup finished longer ago than the threshold (default 26 h: a daily schedule plus slack),
and it goes through the monitor's alerting like every other probe: one cycle fires, one
fresh backup resolves. Preview refuses an expiry shorter than the threshold plus a margin
(components/backups/config.py), so the alert fires for weeks before the last backup could go.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import boto3
import httpx
from botocore.exceptions import BotoCoreError, ClientError

from scripts.sfops.backup.manifest import MANIFEST_SUFFIX, Manifest, ManifestError
from scripts.sfops.backup.pipeline import S3_CONFIG
from scripts.sfops.monitoring.alerting import DOWN, UP
from scripts.sfops.monitoring.probes import ProbeResult
from scripts.sfops.restore.command import _location as bucket_location

if TYPE_CHECKING:
    from scripts.sfops.context import AppContext

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

NAME = "backup-freshness"
DEFAULT_MAX_AGE_HOURS = 26


@dataclass
class BackupFreshnessProbe:
    bucket: str
    prefix: str
    endpoint_url: str | None
    region: str
    max_age_hours: float = DEFAULT_MAX_AGE_HOURS
    name: str = NAME
    depends_on: str | None = None

    def _client(self) -> S3Client:
        # boto3's chain, as `sfops restore`: the restore identity's key in the environment or a profile.
        client: S3Client = boto3.Session(region_name=self.region).client(
            "s3", endpoint_url=self.endpoint_url, config=S3_CONFIG
        )
        return client

    def newest(self) -> Manifest | None:
        s3 = self._client()
        newest: str | None = None
        # Names sort by their UTC stamp (scripts/sfops/backup/manifest.py): the last manifest is the newest.
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                if item["Key"].endswith(MANIFEST_SUFFIX) and (newest is None or item["Key"] > newest):
                    newest = item["Key"]
        if newest is None:
            return None
        return Manifest.from_json(s3.get_object(Bucket=self.bucket, Key=newest)["Body"].read(1 << 20), newest)

    def judge(self, now: datetime | None = None) -> tuple[str, str]:
        try:
            manifest = self.newest()
        except (ClientError, BotoCoreError, ManifestError) as exc:
            return DOWN, f"cannot read s3://{self.bucket}/{self.prefix}: {exc}"
        where = f"s3://{self.bucket}/{self.prefix}"
        if manifest is None:
            return DOWN, f"no backup with a manifest in {where}"
        finished = datetime.fromisoformat(manifest.finished_at)
        age_h = ((now or datetime.now(UTC)) - finished).total_seconds() / 3600
        detail = f"newest backup {manifest.key} finished {age_h:.1f} h ago"
        if age_h > self.max_age_hours:
            return DOWN, f"{detail} (older than {self.max_age_hours:g} h: backups have stopped)"
        return UP, detail

    async def run(self, client: httpx.AsyncClient) -> ProbeResult:
        started = time.perf_counter()
        status, detail = await asyncio.to_thread(self.judge)
        return ProbeResult(self.name, status, (time.perf_counter() - started) * 1000, detail)


def freshness_probe(app: AppContext, max_age_hours: float | None = None) -> BackupFreshnessProbe | None:
    """The probe for the stack's bucket ($BACKUP_BUCKET etc. first, as `sfops restore`), or None
    when the stack keeps no backups or turns the probe off (backupFreshnessProbe false)."""
    raw = app.raw_config
    if raw.get("backupFreshnessProbe", "true").strip().lower() == "false":
        return None
    enabled = raw.get("backupsEnabled").strip().lower() == "true" and bool(raw.get("backupBucket"))
    if not (enabled or os.environ.get("BACKUP_BUCKET")):
        return None
    bucket, prefix, endpoint, region = bucket_location(app, None, None, None, None)
    hours = max_age_hours or float(raw.get("backupFreshnessHours") or DEFAULT_MAX_AGE_HOURS)
    return BackupFreshnessProbe(bucket, prefix, endpoint, region, hours)
