"""The IAM identity's own calls against moto's IAM (in process): key creation is idempotent under
retries, IAM's eventual consistency after CreateUser is waited out, and every undeclared grant is
read back and removed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from components.backups.identities import fresh_key, grants, settled, strip_undeclared

USER = "sf-backups-uploader"
WIDE = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


@pytest.fixture
def iam() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("iam", region_name="us-east-1")
        client.create_user(UserName=USER)
        yield client


class LostAnswers:
    """An IAM client whose CreateAccessKey succeeds twice per call, as a retry after a lost answer does."""

    def __init__(self, iam: Any) -> None:
        self._iam = iam

    def create_access_key(self, **kwargs: Any) -> Any:
        self._iam.create_access_key(**kwargs)
        return self._iam.create_access_key(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._iam, name)


def _keys(iam: Any) -> list[str]:
    return [k["AccessKeyId"] for k in iam.list_access_keys(UserName=USER)["AccessKeyMetadata"]]


def test_a_retried_key_creation_leaves_one_key_even_at_the_two_key_cap(iam: Any) -> None:
    iam.create_access_key(UserName=USER)
    iam.create_access_key(UserName=USER)  # IAM's cap: a third would be refused
    key = fresh_key(LostAnswers(iam), USER)  # type: ignore[arg-type]
    assert _keys(iam) == [key["AccessKeyId"]]
    again = fresh_key(LostAnswers(iam), USER)  # type: ignore[arg-type]
    assert _keys(iam) == [again["AccessKeyId"]]


def test_a_user_iam_does_not_see_yet_is_waited_for() -> None:
    calls: list[str] = []
    slept: list[float] = []

    def call() -> str:
        calls.append("call")
        if len(calls) < 3:
            raise ClientError({"Error": {"Code": "NoSuchEntity", "Message": "not yet"}}, "PutUserPolicy")
        return "done"

    assert settled(call, sleep=slept.append) == "done"
    assert len(calls) == 3
    assert slept == [0.5, 1.0]


def test_another_error_is_not_retried() -> None:
    slept: list[float] = []

    def call() -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "PutUserPolicy")

    with pytest.raises(ClientError):
        settled(call, sleep=slept.append)
    assert slept == []


def test_every_undeclared_grant_is_read_and_removed(iam: Any) -> None:
    declared = fresh_key(iam, USER)["AccessKeyId"]
    iam.put_user_policy(UserName=USER, PolicyName="soundfactory-backups", PolicyDocument=WIDE)
    iam.put_user_policy(UserName=USER, PolicyName="extra", PolicyDocument=WIDE)
    arn = iam.create_policy(PolicyName="wide", PolicyDocument=WIDE)["Policy"]["Arn"]
    iam.attach_user_policy(UserName=USER, PolicyArn=arn)
    iam.create_group(GroupName="admins")
    iam.add_user_to_group(UserName=USER, GroupName="admins")
    other = iam.create_access_key(UserName=USER)["AccessKey"]["AccessKeyId"]
    iam.create_login_profile(UserName=USER, Password="Sup3r-secret!")

    found = grants(iam, USER, "soundfactory-backups", declared)
    assert found == {
        "other_inline_policies": ["extra"],
        "managed_policies": [arn],
        "groups": ["admins"],
        "other_access_keys": [other],
        "login_profile": True,
    }
    strip_undeclared(iam, USER, "soundfactory-backups", declared)
    assert grants(iam, USER, "soundfactory-backups", declared) == {
        "other_inline_policies": [],
        "managed_policies": [],
        "groups": [],
        "other_access_keys": [],
        "login_profile": False,
    }
    assert _keys(iam) == [declared]
    assert iam.list_user_policies(UserName=USER)["PolicyNames"] == ["soundfactory-backups"]
