"""Real servers for the backup tests: a moto S3/IAM server and an sshd, each on a free loopback port.

Both are started through the same supervisor `make` uses. sshd's files live under the
repo's `.local-services/test-*` (a pytest tmp dir under /tmp would fail StrictModes).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import botocore.session

from components.backups.validation import age_recipient
from local_services.common.http_server import free_port
from local_services.netlify import RunningEmulator, start_emulator
from local_services.s3 import CREDENTIALS_FILE, s3_service
from local_services.sample_stack import ACCOUNT_ID, PLAIN, SECRETS, SITE_ID, TOKEN
from local_services.sshd import SshdFiles, prepare, sshd_service
from local_services.stack_harness import StackHarness
from local_services.stripe import RunningStripe
from local_services.stripe import start_emulator as start_stripe
from local_services.supervisor import RUN_DIR, start, stop

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

ACCOUNT = "123456789012"  # moto's default account
BREAK_GLASS = f"arn:aws:iam::{ACCOUNT}:user/it-break-glass"
DATABASE_URL = "postgresql://backup:db-pass-5e1b9c7d3f@127.0.0.1:54329/postgres"
RECIPIENT = age_recipient(bytes(range(32)))
REPO = Path(__file__).resolve().parents[2]
# The backup host's Python (made by `make setup`): the system's python3 with the backup-host packages.
# `.tools/backup-host-venv` links to it, outside the clone, where the backup user can reach it.
HOST_PYTHON = (REPO / ".tools" / "backup-host-venv" / "bin").resolve() / "python"


class ProcessSampler(threading.Thread):
    """Collects the command line of every process this test started, directly or not, while an
    operation runs: the engine, its plugins, ssh and, through the sshd this process started,
    every command run on the backup host.

    Other tests' processes are left out: `make test` runs other pytest processes beside this
    one, and their harnesses pass config to `pulumi config set-all` on the command line (the
    Automation API's way), so a machine-wide sample would blame this stack for their values.
    """

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.command_lines: set[str] = set()
        self.done = threading.Event()
        self.root = os.getpid()

    def run(self) -> None:
        while not self.done.is_set():
            for pid in descendants(self.root):
                try:
                    self.command_lines.add(
                        Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                    )
                except OSError:
                    continue
            self.done.wait(0.05)


def descendants(root: int) -> set[int]:
    """Every live process below `root`, from each process's parent in /proc/<pid>/stat."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # The name (field 2) is in parentheses and may hold spaces; the parent follows the state.
        parent = int(text[text.rindex(")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(stat.parent.name))
    found: set[int] = set()
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


@dataclass
class BackupServers:
    s3_url: str
    credentials_file: Path
    sshd: SshdFiles
    sshd_log: Path

    def s3(self, key_id: str | None = None, secret: str | None = None) -> S3Client:
        """A client as the admin (default) or as the given access key."""
        if key_id is None:
            core = botocore.session.Session()
            core.set_config_variable("credentials_file", str(self.credentials_file))
            session = boto3.Session(botocore_session=core, region_name="us-east-1")
        else:
            session = boto3.Session(aws_access_key_id=key_id, aws_secret_access_key=secret, region_name="us-east-1")
        client: S3Client = session.client("s3", endpoint_url=self.s3_url)
        return client

    def _ssh(self) -> list[str]:
        return [
            "ssh",
            "-i",
            str(self.sshd.client_key),
            "-o",
            f"UserKnownHostsFile={self.sshd.known_hosts}",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "BatchMode=yes",
            "-p",
            str(self.sshd.port),
            f"{self.sshd.user}@127.0.0.1",
        ]

    def ssh(self, command: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run a shell command on the host as the backup user, as an operator would with ssh."""
        return subprocess.run(
            [*self._ssh(), command], input=stdin, capture_output=True, text=True, timeout=60, check=False
        )

    def env_file(self, install_dir: str) -> dict[str, str]:
        """The env file the stack installed on the host, as KEY -> value."""
        result = self.ssh(f"cat {install_dir}/backup.env")
        assert result.returncode == 0, result.stderr
        return {k: v.strip("'") for k, v in (line.split("=", 1) for line in result.stdout.splitlines())}

    def crontab(self) -> str | None:
        result = self.ssh("crontab -l")
        if result.returncode != 0:
            assert "no crontab for" in result.stderr, result.stderr
            return None
        return result.stdout

    def set_crontab(self, content: str | None) -> None:
        result = self.ssh("crontab -r") if content is None else self.ssh("crontab -", stdin=content)
        assert result.returncode == 0 or "no crontab" in result.stderr, result.stderr


@contextmanager
def backup_servers() -> Iterator[BackupServers]:
    root = RUN_DIR / f"test-{secrets.token_hex(4)}"
    s3_port, ssh_port = free_port(), free_port()
    s3 = s3_service(s3_port, root / "s3", run_dir=root, name="s3")
    sshd = sshd_service(ssh_port, root / "sshd", service_dir=root, name="sshd")
    quiet = lambda _: None  # noqa: E731
    files = prepare(ssh_port, root / "sshd")  # the service prepares the same files again: idempotent
    try:
        start(s3, say=quiet)
        start(sshd, say=quiet)
        yield BackupServers(
            s3_url=f"http://127.0.0.1:{s3_port}",
            credentials_file=root / "s3" / CREDENTIALS_FILE,
            sshd=files,
            sshd_log=sshd.log_file,
        )
    finally:
        stop(sshd, say=quiet)
        stop(s3, say=quiet)
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(files.server_dir, ignore_errors=True)


@contextmanager
def site_emulators(root: Path) -> Iterator[tuple[RunningEmulator, RunningStripe]]:
    """The sample site's Netlify and a Stripe that takes its test key, both stopped whatever happens."""
    with (
        start_emulator(root / "netlify", SITE_ID, ACCOUNT_ID, build_seconds=0.1, token=TOKEN) as netlify,
        start_stripe(root / "stripe", keys=[SECRETS["stripeSecretKey"]]) as stripe,
    ):
        yield netlify, stripe


def stack_config(
    servers: BackupServers,
    netlify_api_url: str,
    site_url: str,
    *,
    bucket: str,
    install_dir: str,
    stripe_api_url: str = PLAIN["stripeApiUrl"],  # closed: a stack that only previews
    database_url: str = DATABASE_URL,
    recipient: str = RECIPIENT,
) -> tuple[dict[str, str], dict[str, str]]:
    """A complete config: the sample site plus backups on the test servers (absolute paths)."""
    assert HOST_PYTHON.exists(), f"{HOST_PYTHON} is missing: run `make setup` (scripts/setup-backup-host.sh)"
    plain = {
        **PLAIN,
        "netlifyApiUrl": netlify_api_url,
        "siteUrl": site_url,
        "stripeApiUrl": stripe_api_url,
        "backupsEnabled": "true",
        "backupBucket": bucket,
        "s3EndpointUrl": servers.s3_url,
        "iamEndpointUrl": servers.s3_url,
        "backupAwsCredentialsFile": str(servers.credentials_file),
        # moto cannot evaluate aws:SecureTransport over plain HTTP (see test_backups_bucket).
        "backupDenyInsecureTransport": "false",
        # nor s3:if-none-match (the Deny would refuse every write; proven for AWS in unit tests).
        "backupRequireConditionalWrites": "false",
        "backupBreakGlassPrincipal": BREAK_GLASS,
        # Object Lock as every stack has it by default: governance, held for backupExpirationDays.
        "backupExpirationDays": "30",
        "backupNoncurrentDays": "5",
        "backupRecipient": recipient,
        "backupHostPython": str(HOST_PYTHON),
        "backupHost": "127.0.0.1",
        "backupHostPort": str(servers.sshd.port),
        "backupHostUser": servers.sshd.user,
        "backupKnownHostsFile": str(servers.sshd.known_hosts),
        "backupSshKeyFile": str(servers.sshd.client_key),
        "backupInstallDir": install_dir,
    }
    return plain, {**SECRETS, "backupDatabaseUrl": database_url}


def configured_stack(
    root: Path, servers: BackupServers, emulator: RunningEmulator, stripe: RunningStripe, **options: str
) -> tuple[StackHarness, dict[str, str], dict[str, str]]:
    """Stack `it` under `root`, configured by `stack_config` (`options`: bucket, install_dir, ...); and that config."""
    plain, secret = stack_config(servers, emulator.api_url, emulator.site_url, stripe_api_url=stripe.api_url, **options)
    # Secrets under the local KMS key: a passphrase costs each CLI run ~0.3 s of key derivation.
    harness = StackHarness(root / "pulumi", kms=True)
    harness.set_config(plain, secret)
    return harness, plain, secret


def holds_resources(harness: StackHarness) -> bool:
    """Whether the stack's state holds anything: destroying an empty stack is an engine run for nothing."""
    return bool((harness.stack.export_stack().deployment or {}).get("resources"))
