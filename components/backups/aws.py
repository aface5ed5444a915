"""boto3 clients for the backup providers: built per call, credentials never on the provider.

Providers are pickled into state, so they hold no credential or client. In
`configure()` they remember, in process memory, the path of an AWS shared
credentials file from stack config (`backupAwsCredentialsFile`, the local S3
server writes one); without it boto3's default chain applies (environment,
~/.aws, an instance role), as on any AWS tool.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError
from pulumi.dynamic import ConfigureRequest, ResourceProvider

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_s3 import S3Client

_settings: dict[str, str] = {}
_RETRIES = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=10, read_timeout=60)


def remember_credentials(req: ConfigureRequest) -> None:
    path = req.config.get("backupAwsCredentialsFile")
    if path:
        resolved = Path(path).expanduser()
        _settings["credentials_file"] = str(resolved if resolved.is_absolute() else Path.cwd() / resolved)


def _session(region: str) -> boto3.Session:
    core = botocore.session.Session()
    if "credentials_file" in _settings:
        core.set_config_variable("credentials_file", _settings["credentials_file"])
        core.set_config_variable("profile", "default")
    return boto3.Session(botocore_session=core, region_name=region)


def _is_aws(endpoint_url: str) -> bool:
    return endpoint_url.rstrip("/").endswith(".amazonaws.com")


def s3_client(endpoint_url: str, region: str) -> S3Client:
    # Path-style addressing for servers other than AWS (loopback has no bucket subdomains).
    style = "virtual" if _is_aws(endpoint_url) else "path"
    addressing: Any = {"addressing_style": style}
    config = _RETRIES.merge(Config(s3=addressing))
    client: S3Client = _session(region).client("s3", endpoint_url=endpoint_url, config=config)
    return client


def iam_client(endpoint_url: str | None, region: str) -> IAMClient:
    client: IAMClient = _session(region).client("iam", endpoint_url=endpoint_url or None, config=_RETRIES)
    return client


def error_code(exc: ClientError) -> str:
    code: Any = exc.response.get("Error", {}).get("Code", "")
    return str(code)


class AwsProvider(ResourceProvider):
    """Base of the backup providers that talk to S3/IAM."""

    def configure(self, req: ConfigureRequest) -> None:
        remember_credentials(req)
