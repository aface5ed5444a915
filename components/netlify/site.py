"""`soundfactory:netlify:Site`: the site's variables, the build that carries them, the published deploy."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.netlify.build import ProductionBuild
from components.netlify.config import NetlifyConfig
from components.netlify.env_inventory import EnvInventory
from components.netlify.env_var import EnvVar
from components.netlify.published_deploy import PublishedDeploy
from components.netlify.secret_handover import SecretHandover
from components.netlify.variables import (
    SITE_SCOPES,
    SiteVariable,
    context_sources,
    context_values,
    fingerprint,
    variable_contexts,
)


def secret_records(
    variables: list[SiteVariable], handovers: dict[str, SecretHandover], env_vars: dict[str, EnvVar]
) -> pulumi.Output[dict[str, dict[str, str]]]:
    """For each secret that verifies a sender: when its current value reached Netlify (the handover's
    `new,old` write, else the variable's own) and the stamp of the stack's last write (live_secrets.py)."""

    def record(variable: SiteVariable) -> pulumi.Output[dict[str, str]]:
        handover, env_var = handovers[variable.key], env_vars[variable.key]
        return pulumi.Output.all(handover.since, env_var.value_since, env_var.updated_at).apply(
            lambda stamps: {
                # A state written before `value_since` existed: its last write bounds it.
                "since": str(stamps[0] or stamps[1] or stamps[2] or ""),
                "written": str(stamps[2] or ""),
                "verifies": variable.verifies,
            }
        )

    records = {v.key: record(v) for v in variables if v.key in handovers}
    return pulumi.Output.all(**records).apply(dict) if records else pulumi.Output.from_input({})


def written(variable: SiteVariable, contexts: tuple[str, ...]) -> pulumi.Output[dict[str, object]]:
    """Everything a write of the variable sets, so the build fingerprint moves whenever
    Netlify's `updated_at` of the variable does (a refresh after `up` then finds nothing stale)."""
    return pulumi.Output.all(**context_values(variable, contexts)).apply(
        lambda values: {"values": dict(values), "is_secret": variable.netlify_secret, "scopes": list(SITE_SCOPES)}
    )


@dataclass
class NetlifySiteArgs:
    netlify: NetlifyConfig
    variables: list[SiteVariable]
    protect: bool = False  # the managed variables: a delete would ship the next build without them


class NetlifySite(pulumi.ComponentResource):
    build_deploy_id: pulumi.Output[str]
    build_ships: pulumi.Output[str]
    published_deploy_id: pulumi.Output[str]
    publishes: pulumi.Output[str]
    unmanaged_keys: pulumi.Output[list[str]]
    handovers: dict[str, SecretHandover]

    def __init__(self, name: str, args: NetlifySiteArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("soundfactory:netlify:Site", name, None, opts)
        netlify = args.netlify
        child = pulumi.ResourceOptions(parent=self)

        self.handovers = {
            variable.key: SecretHandover(
                f"{name}-{variable.key}-handover",
                api_url=netlify.api_url,
                account_id=netlify.account_id,
                site_id=netlify.site_id,
                key=variable.key,
                value=variable.value,
                contexts=variable_contexts(variable, netlify.env_contexts),
                scopes=list(SITE_SCOPES),
                pinned=netlify.pinned_deploy is not None,
                timeout_s=netlify.deploy_timeout_s,
                opts=child,
            )
            for variable in args.variables
            if variable.handover
        }
        env_vars = {
            variable.key: EnvVar(
                f"{name}-{variable.key}",
                api_url=netlify.api_url,
                account_id=netlify.account_id,
                site_id=netlify.site_id,
                site_url=netlify.site_url,
                site_move_from=netlify.site_move_from,
                key=variable.key,
                values=context_values(variable, netlify.env_contexts),
                sources=context_sources(variable, netlify.env_contexts),
                is_secret=variable.netlify_secret,
                keep_secret=variable.secret,
                scopes=list(SITE_SCOPES),
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=[self.handovers[variable.key]] if variable.handover else [],
                    protect=args.protect,
                ),
            )
            for variable in args.variables
        }

        values = pulumi.Output.all(
            **{variable.key: written(variable, netlify.env_contexts) for variable in args.variables}
        ).apply(lambda resolved: fingerprint(dict(resolved)))

        declared = [variable.key for variable in args.variables]
        # Before the build: it retires variables dropped from the config, so the build
        # that follows no longer carries them.
        inventory = EnvInventory(
            f"{name}-inventory",
            api_url=netlify.api_url,
            account_id=netlify.account_id,
            site_id=netlify.site_id,
            declared_keys=declared,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(env_vars.values())),
        )
        build = ProductionBuild(
            f"{name}-build",
            api_url=netlify.api_url,
            account_id=netlify.account_id,
            site_id=netlify.site_id,
            fingerprint=values,
            keys=declared,
            pinned=netlify.pinned_deploy is not None,
            wait=netlify.wait_for_deploy,
            timeout_s=netlify.deploy_timeout_s,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*env_vars.values(), inventory]),
        )
        published = PublishedDeploy(
            f"{name}-published",
            api_url=netlify.api_url,
            account_id=netlify.account_id,
            site_id=netlify.site_id,
            pinned_deploy=netlify.pinned_deploy,
            latest_build=build.deploy_id,
            secrets=secret_records(args.variables, self.handovers, env_vars),
            opts=child,
        )
        self.unmanaged_keys = inventory.unmanaged_keys
        self.build_deploy_id = build.deploy_id
        self.build_ships = build.ships
        self.published_deploy_id = published.published_deploy_id
        self.publishes = published.publishes
        self.register_outputs({"buildDeployId": self.build_deploy_id, "publishedDeployId": self.published_deploy_id})
