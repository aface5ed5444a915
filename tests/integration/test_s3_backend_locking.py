"""Team scale: prod's state on an S3 backend, with the lock Pulumi's DIY backends take.

Against the local S3 server (moto) on a free port: the first `up` holds the lock (its one
resource waits for the test's signal), a second `up` started meanwhile is refused with the
lock message and changes nothing, and afterwards the state is intact, unlocked and previews clean.
"""

from __future__ import annotations

import configparser
import json
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import boto3
import pytest

from local_services.common.http_server import free_port
from local_services.s3 import CREDENTIALS_FILE, s3_service
from local_services.stack_harness import REPO, tools_dir
from local_services.supervisor import RUN_DIR, start, stop
from tests.integration.polling import wait_for

pytestmark = pytest.mark.integration

PROGRAM = Path(__file__).parent / "fixtures" / "s3_lock_program"
STATE_BUCKET = "soundfactory-pulumi-state"
LOCKS_PREFIX = ".pulumi/locks/"
LOCK_MESSAGE = "the stack is currently locked by 1 lock(s)"


def backend_url(bucket: str, endpoint: str) -> str:
    """gocloud's s3blob URL (AWS SDK v2): the endpoint with its scheme, path-style addressing."""
    return f"s3://{bucket}?endpoint={quote(endpoint, safe='')}&use_path_style=true&region=us-east-1"


@dataclass
class S3Project:
    dir: Path
    env: dict[str, str]
    s3: object

    def pulumi(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(tools_dir() / "bin" / "pulumi"), *args, "--non-interactive"],
            cwd=self.dir,
            env=self.env,
            capture_output=True,
            text=True,
            check=check,
            timeout=300,
        )

    def spawn_up(self, log: Path) -> subprocess.Popen[bytes]:
        with log.open("wb") as out:
            return subprocess.Popen(
                [str(tools_dir() / "bin" / "pulumi"), "up", "--yes", "--non-interactive", "--stack", "prod"],
                cwd=self.dir,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def lock_keys(self) -> list[str]:
        listing = self.s3.list_objects_v2(Bucket=STATE_BUCKET, Prefix=LOCKS_PREFIX)  # type: ignore[attr-defined]
        return [str(item["Key"]) for item in listing.get("Contents", [])]


@pytest.fixture
def s3_project(tmp_path: Path) -> Iterator[S3Project]:
    root = RUN_DIR / f"test-state-{secrets.token_hex(4)}"
    port = free_port()
    service = s3_service(port, root / "s3", run_dir=root, name="s3-state")
    start(service, say=lambda _: None)
    try:
        credentials = configparser.ConfigParser()
        credentials.read(root / "s3" / CREDENTIALS_FILE)
        key_id = credentials["default"]["aws_access_key_id"]
        secret = credentials["default"]["aws_secret_access_key"]
        endpoint = f"http://127.0.0.1:{port}"
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
        )
        s3.create_bucket(Bucket=STATE_BUCKET)
        project = tmp_path / "project"
        project.mkdir()
        shutil.copy(PROGRAM / "Pulumi.yaml", project / "Pulumi.yaml")
        (project / "__main__.py").symlink_to(PROGRAM / "__main__.py")
        (project / ".venv").symlink_to(REPO / ".venv")
        env = {
            **os.environ,
            "PULUMI_BACKEND_URL": backend_url(STATE_BUCKET, endpoint),
            "PULUMI_CONFIG_PASSPHRASE": "throwaway-state-test",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_HOME": str(tmp_path / "pulumi-home"),
            # As an operator's shell or CI would: credentials in the environment, nothing on disk.
            "AWS_ACCESS_KEY_ID": key_id,
            "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "PATH": f"{tools_dir() / 'bin'}:{REPO / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
        }
        yield S3Project(project, env, s3)
    finally:
        stop(service, say=lambda _: None)
        shutil.rmtree(root, ignore_errors=True)


def test_second_concurrent_up_is_refused_by_the_s3_lock_and_state_stays_intact(
    s3_project: S3Project, tmp_path: Path
) -> None:
    release = tmp_path / "release"
    s3_project.pulumi("stack", "init", "prod")
    s3_project.pulumi("config", "set", "release", str(release), "--stack", "prod")

    first = s3_project.spawn_up(tmp_path / "first.log")
    try:
        # Ordered by the lock itself, not by a sleep: the second starts once the first holds it.
        wait_for(
            lambda: s3_project.lock_keys() or first.poll() is not None,
            "the first up's lock",
            timeout_s=120,
            interval_s=0.2,
        )
        assert first.poll() is None, (tmp_path / "first.log").read_text()
        second = s3_project.pulumi("up", "--yes", "--stack", "prod", check=False)
        assert second.returncode != 0
        assert LOCK_MESSAGE in second.stdout + second.stderr, second.stdout + second.stderr
        assert len(s3_project.lock_keys()) == 1  # the refused one left no lock behind
    finally:
        release.touch()
        first.wait(timeout=240)
    first_log = (tmp_path / "first.log").read_text()
    assert first.returncode == 0, first_log

    assert s3_project.lock_keys() == []
    exported = json.loads(s3_project.pulumi("stack", "export", "--stack", "prod").stdout)
    resources = exported["deployment"]["resources"]
    assert [r["type"] for r in resources if r["type"].endswith("locktest:Gate")] == [
        "pulumi-python:dynamic/locktest:Gate"
    ]
    assert not exported["deployment"].get("pending_operations")
    outputs = json.loads(s3_project.pulumi("stack", "output", "--json", "--stack", "prod").stdout)
    assert outputs == {"released": True}
    clean = s3_project.pulumi("preview", "--expect-no-changes", "--stack", "prod", check=False)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    history = json.loads(s3_project.pulumi("stack", "history", "--json", "--stack", "prod").stdout)
    assert [entry["result"] for entry in history] == ["succeeded"]  # the refused up never started an update
