"""`sfops monitor` and `sfops verify` watch the newest backup: one stale cycle alerts, one fresh backup resolves.

The bucket is moto's (in process, no IAM: the restore identity's key is any key); manifests are
written as the backup host writes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from local_services.alert_receiver import AlertReceiver
from local_services.common.http_server import free_port
from scripts.sfops import verify
from scripts.sfops.backup.manifest import Manifest, manifest_key_for, object_key
from tests.integration.sfops.conftest import Site
from tests.integration.sfops.test_monitor import Cron, receiver, texts

pytestmark = pytest.mark.integration
__all__ = ["receiver"]
BUCKET = "sf-freshness"


@pytest.fixture
def bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    # moto's backends are per process, not per server: start from an empty account.
    httpx.post(f"http://127.0.0.1:{port}/moto-api/reset", timeout=10).raise_for_status()
    try:
        env = {
            "BACKUP_BUCKET": BUCKET,
            "BACKUP_PREFIX": "db/",
            "S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "restore-key",
            "AWS_SECRET_ACCESS_KEY": "restore-secret",
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        s3 = boto3.client("s3", endpoint_url=env["S3_ENDPOINT_URL"], region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        yield s3
    finally:
        server.stop()


def _backup(s3: Any, finished: datetime) -> None:
    key = object_key("db/", finished - timedelta(minutes=5))
    manifest = Manifest(
        key=key,
        size=1,
        sha256="0" * 64,
        database="postgres",
        pg_dump_version="17.2",
        server_version="17.2",
        started_at=(finished - timedelta(minutes=5)).isoformat(),
        finished_at=finished.isoformat(),
        recipients=[],
    )
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    s3.put_object(Bucket=BUCKET, Key=manifest_key_for(key), Body=manifest.to_json())


def test_one_stale_cycle_alerts_and_a_fresh_backup_resolves(
    site: Site, tmp_path: Path, bucket: Any, receiver: AlertReceiver
) -> None:
    cron = Cron(site, tmp_path / "monitor.json")
    _backup(bucket, datetime.now(UTC) - timedelta(hours=27))
    stale = cron.run()
    assert stale.exit_code == 1, stale.stderr
    (alert,) = texts(receiver)
    assert alert.startswith("ALERT"), alert
    assert "backup-freshness" in alert, alert
    assert "older than 26 h" in alert, alert

    _backup(bucket, datetime.now(UTC) - timedelta(minutes=1))
    fresh = cron.run()
    assert fresh.exit_code == 0, fresh.stderr
    assert [t.split(":")[0] for t in texts(receiver)] == ["ALERT", "RESOLVED"]


def test_the_threshold_is_the_stack_config_and_an_empty_bucket_is_down(
    site: Site, tmp_path: Path, bucket: Any, receiver: AlertReceiver
) -> None:
    cron = Cron(site, tmp_path / "monitor.json")
    empty = cron.run()
    assert empty.exit_code == 1
    assert "no backup with a manifest" in texts(receiver)[0]
    _backup(bucket, datetime.now(UTC) - timedelta(hours=3))
    assert cron.run("--backup-max-age-hours", "2").exit_code == 1
    assert cron.run("--backup-max-age-hours", "4").exit_code == 0


def test_verify_fails_on_a_stale_backup(site: Site, bucket: Any) -> None:
    _backup(bucket, datetime.now(UTC) - timedelta(hours=30))
    code, report = site.run_json(verify.command)
    (check,) = [c for c in report["checks"] if c["name"] == "backup-freshness"]
    assert check["status"] == "fail", check
    assert code == 1
