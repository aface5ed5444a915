"""boto3 clients for the backup providers: built per call, credentials never on the provider.

The path of an AWS shared credentials file from stack config (`backupAwsCredentialsFile`,
the local S3 server writes one) comes from the credential store (`components.credentials`);
without it boto3's default chain applies (environment, ~/.aws, an instance role), as on
any AWS tool.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

# botocore.exceptions alone is small (~30 ms); boto3 with its session and client machinery is
# ~0.7 s, so it is imported by the functions that build a client: the program and a provider
# process that only diffs never load it.
from botocore.exceptions import ClientError

from components import credentials
from components.provider_base import lower

if TYPE_CHECKING:
    import boto3
    from botocore.config import Config
    from botocore.loaders import Loader
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_s3 import S3Client


@cache
def _retries() -> Config:
    from botocore.config import Config

    return Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=10, read_timeout=60)


@cache
def _models() -> Loader:
    """botocore's loader, whose parsed service models every client of this process shares.

    A new session parses S3's or IAM's model and endpoint rules again (80-140 ms a client; a
    refresh of the backups builds one per resource); with this loader the clients after the
    first take ~12 ms. Only the vendor's API description is shared: each session still reads
    its credentials afresh.
    """
    from botocore.loaders import create_loader

    return create_loader()


def _session(region: str) -> boto3.Session:
    import boto3
    import botocore.session

    core = botocore.session.Session()
    core.register_component("data_loader", _models())
    credentials_file = credentials.aws_credentials_file()
    if credentials_file:
        core.set_config_variable("credentials_file", credentials_file)
        core.set_config_variable("profile", "default")
    return boto3.Session(botocore_session=core, region_name=region)


def _is_aws(endpoint_url: str) -> bool:
    return endpoint_url.rstrip("/").endswith(".amazonaws.com")


def s3_client(endpoint_url: str, region: str) -> S3Client:
    # Path-style addressing for servers other than AWS (loopback has no bucket subdomains).
    style = "virtual" if _is_aws(endpoint_url) else "path"
    from botocore.config import Config

    addressing: Any = {"addressing_style": style}
    config = _retries().merge(Config(s3=addressing))
    client: S3Client = _session(region).client("s3", endpoint_url=endpoint_url, config=config)
    return client


def iam_client(endpoint_url: str | None, region: str) -> IAMClient:
    client: IAMClient = _session(region).client("iam", endpoint_url=endpoint_url or None, config=_retries())
    return client


def error_code(exc: ClientError) -> str:
    code: Any = exc.response.get("Error", {}).get("Code", "")
    return str(code)


def region_or_default(region: Any) -> Any:
    """An unset region is AWS's default one (us-east-1): the same place either way."""
    return (lower(region) or "us-east-1") if isinstance(region, str) else region
