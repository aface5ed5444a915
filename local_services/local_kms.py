"""A KMS key for throwaway test stacks: Pulumi's `awskms://` secrets provider against moto.

Why: a passphrase stack derives its key with PBKDF2, 1,000,000 rounds of SHA-256
(pulumi sdk `go/common/resource/config/crypt.go`, NewSymmetricCrypterFromPassphrase), in
every CLI process that touches a secret: ~0.3 s of CPU, a quarter of a no-op preview and
half of a `config set --secret`. The integration suite starts well over a thousand such
processes on two cores. With a KMS key each process decrypts its stack's data key with one
loopback call instead. The engine, the state's ciphertext and every secret rule are the same
(many teams run `awskms://` stacks); stacks users run keep the provider they chose, and the
benchmarks keep the passphrase an operator's `local` stack has.

One server and one key per process (a pytest worker), started on first use and stopped at
its exit. Its credentials sit in a shared-credentials file under a profile of its own, so no
AWS_* variable reaches the programs under test (boto3 would prefer one to their own files).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from local_services.common.http_server import LOOPBACK, free_port

PROFILE = "sf-test-stack-secrets"
REGION = "us-east-1"
SIGNING_KEY = "sftest"  # moto accepts any key pair; the AWS SDK only needs one to sign with


@dataclass(frozen=True)
class LocalKms:
    url: str  # for `pulumi stack init --secrets-provider`
    env: dict[str, str]  # what the CLI needs to reach the key


@functools.cache
def local_kms() -> LocalKms:
    import boto3

    home = Path(tempfile.mkdtemp(prefix="sf-kms-"))
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    port = free_port()
    # A process of its own: moto keeps one set of backends per process, and any `mock_aws`
    # in a test of the same pytest worker resets them all, this key included.
    with (home / "moto.log").open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    atexit.register(_stop, server)
    endpoint = f"http://{LOOPBACK}:{port}"
    _wait_for(server, port, home / "moto.log")
    credentials = home / "credentials"
    credentials.write_text(f"[{PROFILE}]\naws_access_key_id = {SIGNING_KEY}\naws_secret_access_key = {SIGNING_KEY}\n")
    credentials.chmod(0o600)
    kms = boto3.client(
        "kms",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=SIGNING_KEY,
        aws_secret_access_key=SIGNING_KEY,
    )
    key_id = kms.create_key(Description="soundfactory-infra test stacks")["KeyMetadata"]["KeyId"]
    return LocalKms(
        url=f"awskms://{key_id}?region={REGION}&endpoint={endpoint}&profile={PROFILE}&awssdk=v2",
        env={"AWS_SHARED_CREDENTIALS_FILE": str(credentials)},
    )


def _wait_for(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the local KMS (moto) exited at start: {log.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), timeout=1):
            return
        time.sleep(0.05)
    raise RuntimeError(f"the local KMS (moto) did not listen on port {port} within 30 s; see {log}")


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=5)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
