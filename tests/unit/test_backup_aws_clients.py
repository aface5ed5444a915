"""The backup providers' boto3 clients: one parsed API model per process, credentials per client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from components import credentials
from components.backups import aws


@pytest.fixture
def credentials_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "credentials"
    monkeypatch.setattr(credentials._store, "aws_credentials_file", str(path))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    return path


def _write(path: Path, key_id: str) -> None:
    path.write_text(f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = secret-{key_id}\n")


def test_clients_share_the_parsed_models_but_read_their_credentials_afresh(credentials_file: Path) -> None:
    _write(credentials_file, "AKIAFIRST")
    # botocore's own attributes (the loader, the signer's credentials): no public accessor.
    first: Any = aws.s3_client("http://127.0.0.1:9", "us-east-1")
    _write(credentials_file, "AKIASECOND")  # rotated between two calls of one provider process
    second: Any = aws.s3_client("http://127.0.0.1:9", "us-east-1")
    iam: Any = aws.iam_client("http://127.0.0.1:9", "us-east-1")

    assert first._loader is second._loader is iam._loader, "one loader: S3's and IAM's models parsed once"
    assert first._request_signer._credentials.access_key == "AKIAFIRST"
    assert second._request_signer._credentials.access_key == "AKIASECOND"
