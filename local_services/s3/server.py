"""The local S3 server process (see the package docstring) and its supervisor entry."""

from __future__ import annotations

import argparse
import configparser
import json
import os
import signal
import socket
import sys
import threading
from pathlib import Path

from local_services.supervisor import Service, python_module

ADMIN_USER = "soundfactory-local-admin"
CREDENTIALS_FILE = "credentials"
ADMIN_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def s3_service(port: int, data_dir: Path, run_dir: Path | None = None, name: str = "s3") -> Service:
    service = Service(
        name=name,
        argv=python_module("local_services.s3", "--port", str(port), "--data-dir", str(data_dir)),
        # moto's own API answers without authentication; the port opens only after the bootstrap.
        health_url=f"http://127.0.0.1:{port}/moto-api/",
        env={},
    )
    if run_dir is not None:
        service = Service(service.name, service.argv, service.health_url, service.env, run_dir)
    return service


def _write_credentials(path: Path, key_id: str, secret: str) -> None:
    parser = configparser.ConfigParser()
    parser["default"] = {"aws_access_key_id": key_id, "aws_secret_access_key": secret}
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        parser.write(handle)
    temporary.replace(path)


def serve(port: int, data_dir: Path) -> None:
    # Import here: moto reads its settings at import time and patches nothing until used.
    import boto3
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    from local_services.s3 import object_lock, policy_actions

    object_lock.apply()  # Object Lock as AWS documents it, where moto is weaker (see that module)
    policy_actions.apply()  # the bucket policy sees AbortMultipartUpload as S3 names it

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise SystemExit(f"local S3: cannot listen on 127.0.0.1:{port}: {exc}") from None
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")
    # Bootstrap on a private port, so nothing can use the public one before authentication is on.
    bootstrap = ThreadedMotoServer("127.0.0.1", 0, verbose=False)
    bootstrap.start()
    _, boot_port = bootstrap.get_host_and_port()
    iam = boto3.client(
        "iam",
        endpoint_url=f"http://127.0.0.1:{boot_port}",
        region_name="us-east-1",
        aws_access_key_id="bootstrap",
        aws_secret_access_key="bootstrap",  # noqa: S106 - moto ignores it while authentication is off
    )
    iam.create_user(UserName=ADMIN_USER)
    iam.put_user_policy(UserName=ADMIN_USER, PolicyName="admin", PolicyDocument=json.dumps(ADMIN_POLICY))
    key = iam.create_access_key(UserName=ADMIN_USER)["AccessKey"]
    bootstrap.stop()
    _write_credentials(data_dir / CREDENTIALS_FILE, key["AccessKeyId"], key["SecretAccessKey"])

    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0  # every call from now on is authenticated and authorized
    ActionAuthenticatorMixin.request_count = 0
    server = ThreadedMotoServer("127.0.0.1", port, verbose=False)
    server.start()
    print(f"local S3/IAM (moto) on http://127.0.0.1:{port}; admin credentials in {data_dir / CREDENTIALS_FILE}")
    sys.stdout.flush()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    server.stop()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_services.s3", description=__doc__)
    parser.add_argument("--port", type=int, required=True, help="loopback port to listen on")
    parser.add_argument("--data-dir", type=Path, required=True, help="where the admin credentials file goes")
    args = parser.parse_args(argv)
    serve(args.port, args.data_dir.resolve())
    return 0
