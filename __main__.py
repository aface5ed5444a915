"""The Sound Factory stack: Netlify site configuration (more components join as they land)."""

from __future__ import annotations

import sys
import time

import pulumi
import pulumi.runtime

from components.backups.backup_infra import BackupInfra, BackupInfraArgs
from components.netlify.build import DIFFERS
from components.netlify.published_deploy import PIN_WARNING
from components.netlify.site import NetlifySite, NetlifySiteArgs
from components.netlify.variables import context_sources, site_variables, sms_pepper
from components.stack_config import ConfigError, StackConfig, load_stack_config
from components.stripe.webhook_endpoint import WebhookEndpoint

# The SDK's launcher exits with this after the program showed its own error: the engine
# then prints that error alone, without "an unhandled error occurred".
EXIT_AFTER_SHOWING_ERROR = 32


def raw_config() -> dict[str, str]:
    """The stack's config as the engine passed it (`project:key` -> string)."""
    return {**pulumi.runtime.get_config_env(), **pulumi.runtime.config.CONFIG.get()}


def secret_config_keys(raw: dict[str, str]) -> list[str]:
    return [key for key in raw if pulumi.runtime.config.is_config_secret(key)]


def load_or_exit() -> StackConfig:
    try:
        raw = raw_config()
        return load_stack_config(raw, secret_config_keys(raw), pulumi.get_stack())
    except ConfigError as exc:
        # Before any resource is registered: a bad config changes nothing.
        pulumi.log.error(str(exc))
        sys.exit(EXIT_AFTER_SHOWING_ERROR)


def report_rotation(rotated_at: float | None, deploy_id: str, endpoint_id: str, started: float) -> None:
    """Said only by the `up` that rotated the webhook signing secret, and only what happened."""
    if not rotated_at or rotated_at < started:
        return
    if deploy_id:
        pulumi.log.warn(
            f"Stripe webhook signing secret rotated: endpoint {endpoint_id} has a new secret; the site was "
            f"redeployed accepting the new and the old secret (deploy {deploy_id}), then with the new one only"
        )
    else:
        # Only an endpoint recreated while pinned gets here (a replace while pinned is refused at preview).
        pulumi.log.warn(
            f"Stripe webhook signing secret changed: endpoint {endpoint_id} has a new secret, stored in Netlify, but "
            "the pinned deploy was not rebuilt and verifies only the previous one: the site refuses Stripe's events "
            "until the pin is released (pulumi config rm pinnedDeploy && pulumi up)"
        )


def main() -> None:
    config = load_or_exit()

    def export(name: str, value: pulumi.Input[str], config_key: str) -> None:
        """A value the operator stored with --secret stays secret in the outputs too."""
        pulumi.export(name, pulumi.Output.secret(value) if config.is_secret(config_key) else value)

    started = time.time()
    stack = f"{pulumi.get_project()}/{pulumi.get_stack()}"
    webhook = WebhookEndpoint(
        "stripe-webhook", config.stripe, stack, protect=config.protect, pinned_deploy=config.netlify.pinned_deploy
    )
    variables = site_variables(config, sms_pepper(config), webhook.secret)
    site = NetlifySite("site", NetlifySiteArgs(netlify=config.netlify, variables=variables, protect=config.protect))
    handover = site.handovers["STRIPE_WEBHOOK_SECRET"]
    pulumi.Output.all(handover.rotated_at, handover.handover_deploy_id, webhook.endpoint_id).apply(
        lambda values: report_rotation(values[0], values[1], values[2], started)
    )
    # Said by the preview and the up of any change that builds (a flag flip) when the branch head is not live.
    site.build_ships.apply(
        lambda ships: pulumi.log.warn(f"the production build {ships}") if DIFFERS in (ships or "") else None
    )
    pinned = config.netlify.pinned_deploy
    if pinned:
        # Said once the pin holds: a refused pin fails the preview and must not print this.
        site.published_deploy_id.apply(
            lambda _: pulumi.log.warn(
                f"pinnedDeploy={pinned}: env changes are stored in Netlify but reach the site only after "
                "the pin is released (pulumi config rm pinnedDeploy && pulumi up)"
            )
        )
        # Said by the preview of the pin and by every `up` while it holds: a rollback is allowed (the
        # incident may need it), but not silently when the site then refuses Stripe's events.
        site.publishes.apply(
            lambda text: (
                pulumi.log.warn(f"pinnedDeploy={pinned}: {text.split(PIN_WARNING, 1)[1]}")
                if PIN_WARNING in (text or "")
                else None
            )
        )

    export("siteId", config.netlify.site_id, "netlifySiteId")
    export("siteUrl", config.netlify.site_url, "siteUrl")
    pulumi.export("publishedDeployId", site.published_deploy_id)
    pulumi.export("lastBuildDeployId", site.build_deploy_id)
    pulumi.export("unmanagedEnvKeys", site.unmanaged_keys)
    # Which deploy context gets what, and what each variable is (words, never values).
    pulumi.export(
        "variableContexts",
        {v.key: {"kind": v.kind.value, **context_sources(v, config.netlify.env_contexts)} for v in variables},
    )
    export("netlifyApiUrl", config.netlify.api_url, "netlifyApiUrl")
    export("stripeApiUrl", config.stripe_api_url, "stripeApiUrl")
    pulumi.export("stripeWebhookEndpointId", webhook.endpoint_id)
    pulumi.export("stripeWebhookSecret", webhook.secret)
    export("s3EndpointUrl", config.s3_endpoint_url, "s3EndpointUrl")
    if config.backups is None:
        export("backupBucket", config.backup_bucket, "backupBucket")
    else:
        backups = BackupInfra("backups", BackupInfraArgs(config=config.backups, protect=config.protect))
        host = config.backups.host
        pulumi.export("backupBucket", backups.bucket_name)
        export("backupHost", f"{host.user}@{host.host}:{host.port}", "backupHost")
        pulumi.export("backupUploaderAccessKeyId", backups.uploader_access_key_id)
        pulumi.export("backupRestoreAccessKeyId", backups.restore_access_key_id)
        pulumi.export("backupRestoreSecretAccessKey", backups.restore_secret_access_key)


main()
