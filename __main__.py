"""The Sound Factory stack: Netlify site configuration (more components join as they land)."""

from __future__ import annotations

import pulumi
import pulumi.runtime

from components.backups.backup_infra import BackupInfra, BackupInfraArgs
from components.netlify_site import NetlifySite, NetlifySiteArgs
from components.site_env import site_variables, sms_pepper
from components.stack_config import ConfigError, load_stack_config


def raw_config() -> dict[str, str]:
    """The stack's config as the engine passed it (`project:key` -> string)."""
    return {**pulumi.runtime.get_config_env(), **pulumi.runtime.config.CONFIG.get()}


def secret_config_keys(raw: dict[str, str]) -> list[str]:
    return [key for key in raw if pulumi.runtime.config.is_config_secret(key)]


def main() -> None:
    try:
        raw = raw_config()
        config = load_stack_config(raw, secret_config_keys(raw), pulumi.get_stack())
    except ConfigError as exc:
        # Raised before any resource is registered: a bad config changes nothing.
        raise pulumi.RunError(str(exc)) from None

    site = NetlifySite(
        "site",
        NetlifySiteArgs(netlify=config.netlify, variables=site_variables(config, sms_pepper(config))),
    )
    if config.netlify.pinned_deploy:
        pulumi.log.warn(
            f"pinnedDeploy={config.netlify.pinned_deploy}: env changes are stored in Netlify but reach the "
            "site only after the pin is released (pulumi config rm pinnedDeploy && pulumi up)"
        )

    pulumi.export("siteId", config.netlify.site_id)
    pulumi.export("siteUrl", config.netlify.site_url)
    pulumi.export("publishedDeployId", site.published_deploy_id)
    pulumi.export("lastBuildDeployId", site.build_deploy_id)
    pulumi.export("unmanagedEnvKeys", site.unmanaged_keys)
    pulumi.export("netlifyApiUrl", config.netlify.api_url)
    pulumi.export("stripeApiUrl", config.stripe_api_url)
    pulumi.export("s3EndpointUrl", config.s3_endpoint_url)
    if config.backups is None:
        pulumi.export("backupBucket", config.backup_bucket)
    else:
        backups = BackupInfra("backups", BackupInfraArgs(config=config.backups))
        host = config.backups.host
        pulumi.export("backupBucket", backups.bucket_name)
        pulumi.export("backupHost", f"{host.user}@{host.host}:{host.port}")
        pulumi.export("backupUploaderAccessKeyId", backups.uploader_access_key_id)
        pulumi.export("backupRestoreAccessKeyId", backups.restore_access_key_id)
        pulumi.export("backupRestoreSecretAccessKey", backups.restore_secret_access_key)


main()
