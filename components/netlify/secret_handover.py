"""`netlify:SecretHandover`: a rotated secret reaches the live site before the old one stops.

Some secrets verify what a third party sends (Stripe signs each webhook event with
the endpoint's secret). When such a secret rotates, the sender keeps signing with the
old secret until its old endpoint is gone, so the site must accept both for a while.
This resource sits before the variable: when the value changes it first publishes
`new,old` (newest first) and waits for the build that carries it to be ready; then
the variable itself is set to `new` and the site's ordinary build follows. Two builds
per rotation, none otherwise. The old endpoint is deleted by its own resource only
after all this (Pulumi deletes replaced resources at the end of an update).

Nothing remote belongs to this resource: it only remembers the current value
(encrypted in state) to know the previous one at the next rotation.
"""

from __future__ import annotations

import time
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, Resource

from components.netlify.build import ensure_build, wait_until_ready
from components.netlify.env_var import env_body
from components.netlify.provider import netlify_client
from components.provider_base import DeclaredProvider, computed, connection, endpoint, guard, lower, mutable

SEPARATOR = ","


def overlap_value(new: str, old: str) -> str:
    return f"{new}{SEPARATOR}{old}"


class SecretHandoverProvider(DeclaredProvider):
    # Nothing remote belongs to it: no identity, never replaced.
    FIELDS = (
        connection("api_url", normalize=endpoint),
        connection("account_id", normalize=lower),
        mutable("site_id"),
        mutable("value", secret=True),
        guard("key"),
        guard("contexts"),
        guard("scopes"),
        guard("pinned"),
        guard("timeout_s"),
        computed("handover_deploy_id"),
        computed("rotated_at"),
        # Netlify's stamp of the `new,old` write that first gave the site the current value, or ""
        # when the variable's own write did (created, or changed while pinned): live_secrets.py.
        computed("since", backfill=lambda _state: ""),
    )

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = {**props, "handover_deploy_id": "", "rotated_at": 0.0, "since": ""}
        return CreateResult(f"{props['site_id']}/{props['key']}/handover", outs)

    def update_remote(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        old, new = str(olds.get("value") or ""), str(news.get("value") or "")
        outs = self.kept_outputs(olds, news)
        if old == new:
            return outs
        if not old or olds.get("site_id") != news.get("site_id"):
            return {**outs, "since": ""}
        if news.get("pinned"):
            # A pinned site publishes nothing new: the ordinary build carries the new value
            # when the pin is released; the sender's retries cover the gap.
            return {**outs, "rotated_at": time.time(), "since": ""}
        account_id, site_id, key = news["account_id"], news["site_id"], news["key"]
        body = env_body(
            {
                "key": key,
                "scopes": news["scopes"],
                "is_secret": True,
                "values": {context: overlap_value(new, old) for context in news["contexts"]},
            }
        )
        with netlify_client(news["api_url"]) as client:
            written = client.upsert_env(account_id, site_id, key, body)
            deploy_id = ensure_build(client, site_id, client.list_env(account_id, site_id))
            wait_until_ready(client, deploy_id, float(news.get("timeout_s", 900)))
        since = str(written.get("updated_at") or "")
        return {**outs, "handover_deploy_id": deploy_id, "rotated_at": time.time(), "since": since}

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None  # the variable belongs to its EnvVar resource


class SecretHandover(Resource, module="netlify", name="SecretHandover"):
    handover_deploy_id: pulumi.Output[str]
    rotated_at: pulumi.Output[float]
    since: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        api_url: pulumi.Input[str],
        account_id: pulumi.Input[str],
        site_id: pulumi.Input[str],
        key: str,
        value: pulumi.Input[str],
        contexts: list[str],
        scopes: list[str],
        pinned: bool,
        timeout_s: int,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        provider = SecretHandoverProvider
        inputs = {
            "api_url": api_url,
            "account_id": account_id,
            "site_id": site_id,
            "key": key,
            "value": value,
            "contexts": contexts,
            "scopes": scopes,
            "pinned": pinned,
            "timeout_s": timeout_s,
        }
        super().__init__(provider(), resource_name, provider.declared_inputs(inputs), provider.options(opts))
