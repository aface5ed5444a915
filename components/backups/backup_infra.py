"""`soundfactory:backups:Infra`: the backup bucket, its two identities and the cron host.

    bucket (versioning, encryption, public access block, policy, lifecycle, object lock)
    uploader identity  -> its key goes into the host's env file only
    restore identity   -> its key is a secret stack output, for whoever restores
    cron host          -> the command, the env file and one crontab line

The host runs `sfops backup` (a zipapp of `scripts/sfops/backup`, see
`components.backups.host_bundle`) with the env file; `BackupInfraArgs.command_script`
replaces the wrapper (tests).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.backups import host_bundle
from components.backups.bucket import Bucket, log_bucket_state
from components.backups.config import BackupConfig
from components.backups.cron_host import RUNTIME_NAME, CronHost, env_file_content
from components.backups.identities import AccessIdentity, restore_policy, uploader_policy


@dataclass
class BackupInfraArgs:
    config: BackupConfig
    command_script: str | None = None  # None: the wrapper that runs the bundled `sfops backup`
    protect: bool = False  # the bucket and the IAM users (the restore key operators keep)


def env_values(config: BackupConfig, access_key_id: str, secret_access_key: str) -> dict[str, str]:
    """The env file the host's command reads (the interface with `sfops backup`)."""
    bucket = config.bucket
    return {
        "DATABASE_URL": config.database_url,
        "BACKUP_BUCKET": bucket.name,
        "BACKUP_PREFIX": bucket.prefix,
        "S3_ENDPOINT_URL": bucket.endpoint_url,
        "AWS_ENDPOINT_URL_S3": bucket.endpoint_url,
        "AWS_REGION": bucket.region,
        "AWS_ACCESS_KEY_ID": access_key_id,
        "AWS_SECRET_ACCESS_KEY": secret_access_key,
        "BACKUP_RECIPIENT": config.recipient,
        "BACKUP_PART_SIZE_MB": str(config.part_size_mb),
        **({"BACKUP_HEALTHCHECK_URL": config.healthcheck_url} if config.healthcheck_url else {}),
        **({"PG_BIN_DIR": config.pg_bin_dir} if config.pg_bin_dir else {}),
    }


class BackupInfra(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    uploader_access_key_id: pulumi.Output[str]
    restore_access_key_id: pulumi.Output[str]
    restore_secret_access_key: pulumi.Output[str]
    install_path: pulumi.Output[str]

    def __init__(self, name: str, args: BackupInfraArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("soundfactory:backups:Infra", name, None, opts)
        config = args.config
        settings = config.bucket

        if settings.object_lock_mode == "COMPLIANCE":
            # Refused on local and loopback stacks (config); elsewhere it is the operator's choice, said out loud.
            pulumi.log.warn(
                f"backups: Object Lock in compliance mode ({settings.object_lock_days} days) on bucket "
                f"{settings.name}: no one, the account's root user included, can delete a backup or shorten its "
                "retention before it ends, and the bucket cannot be deleted while it holds one; governance mode "
                "keeps a break-glass way out",
                resource=self,
            )
        if not settings.deny_insecure_transport:
            pulumi.log.info(
                "backups: the bucket policy leaves out the deny-non-TLS statement (backupDenyInsecureTransport=false)",
                resource=self,
            )

        critical = pulumi.ResourceOptions(parent=self, protect=args.protect)
        # Server access logs (FSBP S3.9) land in a bucket the stack owns, made before logging points at it.
        logs = Bucket(f"{name}-logs", settings, opts=critical, state=log_bucket_state(settings))
        bucket = Bucket(
            f"{name}-bucket",
            settings,
            opts=pulumi.ResourceOptions.merge(critical, pulumi.ResourceOptions(depends_on=[logs])),
        )
        uploader = AccessIdentity(
            f"{name}-uploader",
            endpoint_url=settings.iam_endpoint_url,
            region=settings.region,
            user_name=f"{settings.name}-uploader",
            policy=uploader_policy(settings.name, settings.prefix, settings.kms_key_id),
            opts=critical,
        )
        restore = AccessIdentity(
            f"{name}-restore",
            endpoint_url=settings.iam_endpoint_url,
            region=settings.region,
            user_name=f"{settings.name}-restore",
            policy=restore_policy(settings.name, settings.prefix, settings.kms_key_id),
            opts=critical,
        )
        env_file: pulumi.Output[str] = pulumi.Output.all(uploader.access_key_id, uploader.secret_access_key).apply(
            lambda keys: env_file_content(env_values(config, keys[0], keys[1]))
        )
        host = config.host
        cron = CronHost(
            f"{name}-host",
            host=host.host,
            port=host.port,
            user=host.user,
            host_keys=list(host.host_keys),
            install_dir=host.install_dir,
            schedule=host.schedule,
            script=args.command_script or host_bundle.command_script(host.python, RUNTIME_NAME),
            runtime_sha256=host_bundle.bundle_sha256(),
            env_file=env_file,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[bucket]),
        )
        self.bucket_name = bucket.bucket
        self.uploader_access_key_id = uploader.access_key_id
        self.restore_access_key_id = restore.access_key_id
        self.restore_secret_access_key = pulumi.Output.secret(restore.secret_access_key)
        self.install_path = cron.install_path
        self.register_outputs(
            {
                "bucket": self.bucket_name,
                "uploaderAccessKeyId": self.uploader_access_key_id,
                "restoreAccessKeyId": self.restore_access_key_id,
                "installPath": self.install_path,
            }
        )
