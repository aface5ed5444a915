"""`netlify:EnvInventory`: reports the site's variables that nobody declared in code.

Only declared keys are managed; keys someone set by hand are never deleted, but
they are reported: `unmanaged_keys` is an output of every `up` and of every
refresh (a refresh that finds a new one shows the output change, so the drift
check names it), while `up` leaves them alone.

A key dropped from the declared set is retired here, on update, rather than only by
the engine's delete of its `EnvVar` (which comes at the very end of an update): the
production build depends on this resource, so the build no longer carries it.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, Resource

from components.netlify.env_listing import forget, site_env
from components.netlify.provider import netlify_client
from components.provider_base import DeclaredProvider, computed, connection, endpoint, lower, mutable, sorted_list


def _unmanaged(props: dict[str, Any]) -> list[str]:
    remote = site_env(props["api_url"], props["account_id"], props["site_id"])
    return sorted(set(remote) - set(props["declared_keys"]))


class EnvInventoryProvider(DeclaredProvider):
    FIELDS = (
        connection("api_url", normalize=endpoint),
        connection("account_id", normalize=lower),
        mutable("site_id"),
        mutable("declared_keys", normalize=sorted_list),
        # Hand-made keys are reported, never acted on, so they alone never make a diff.
        computed("unmanaged_keys"),
    )

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"{props['site_id']}/env-inventory", {**props, "unmanaged_keys": _unmanaged(props)})

    def update_remote(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        if olds.get("site_id") == news.get("site_id"):
            dropped = sorted(set(olds.get("declared_keys") or []) - set(news["declared_keys"]))
            if dropped:
                with netlify_client(news["api_url"]) as client:
                    for key in dropped:
                        client.delete_env(news["account_id"], news["site_id"], key)
                forget(news["api_url"], news["site_id"])
        return {**self.inputs_of(news), "unmanaged_keys": _unmanaged(news)}

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None

    def read_remote(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        return {"unmanaged_keys": _unmanaged(props)}


class EnvInventory(Resource, module="netlify", name="EnvInventory"):
    unmanaged_keys: pulumi.Output[list[str]]

    def __init__(
        self,
        resource_name: str,
        *,
        api_url: pulumi.Input[str],
        account_id: pulumi.Input[str],
        site_id: pulumi.Input[str],
        declared_keys: list[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        provider = EnvInventoryProvider
        inputs = {
            "api_url": api_url,
            "account_id": account_id,
            "site_id": site_id,
            "declared_keys": sorted(declared_keys),
        }
        super().__init__(provider(), resource_name, provider.declared_inputs(inputs), provider.options(opts))
