"""`stripe:WebhookEndpoint`: one Stripe webhook endpoint and the signing secret it was issued.

Identity is the endpoint id. Stripe updates url, events, description, metadata and
`disabled` in place; `api_version` and `connect` are fixed at creation, so changing
them replaces the endpoint and issues a new signing secret (the preview shows
`signing_secret_issued_for` changing). The replacement is created before the old
endpoint is deleted, so events keep flowing to one of them throughout.

No duplicate endpoint, whatever fails:
- creates carry an Idempotency-Key derived from the stack, the resource and the
  request, so a retry after a lost answer (or a killed `up` re-run within Stripe's
  24 h) gets the first answer back, secret included;
- a replayed answer whose endpoint was since deleted by hand moves on to the next key
  of a fixed sequence, so a re-create is a real create, still idempotent;
- after a create, older endpoints of this same stack resource with the same url and
  api_version (left by a run killed more than 24 h ago: their secret is lost) are
  deleted, so exactly one remains.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, cast

import pulumi
from pulumi.dynamic import CheckFailure, CreateResult, Resource

from components.http_retry import PREVIEW, RetryPolicy
from components.provider_base import (
    DeclaredProvider,
    computed,
    connection,
    endpoint,
    guard,
    identity,
    mutable,
    sorted_list,
)
from components.stripe.api import StripeSetupError, client_for, describe, with_retry

if TYPE_CHECKING:
    # The SDK is imported by the methods that call Stripe (`import stripe` inside them): the
    # program and the provider process unpickling this provider for a diff never load it.
    import stripe
    from stripe.params import WebhookEndpointCreateParams, WebhookEndpointUpdateParams

MANAGED_BY = "soundfactory-infra"
MAX_ENDPOINTS = 16  # per Stripe account
REPLACE_KEYS = ("api_version", "connect", "livemode")
KEY_SEQUENCE = 8


def managed_metadata(stack: str, resource: str, connect: bool) -> dict[str, str]:
    return {
        "managed_by": MANAGED_BY,
        "pulumi_stack": stack,
        "pulumi_resource": resource,
        "connect": "true" if connect else "false",
    }


def issued_for(api_version: str, connect: bool) -> str:
    """What the signing secret depends on: a change here means a new endpoint and secret."""
    return f"api_version {api_version}" + (", connect" if connect else "")


def create_params(props: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {
        "url": props["url"],
        "enabled_events": list(props["enabled_events"]),
        "api_version": props["api_version"],
        "description": props["description"],
        "metadata": dict(sorted(dict(props["metadata"]).items())),
    }
    if props.get("connect"):
        params["connect"] = True
    return params


def idempotency_keys(props: dict[str, Any]) -> list[str]:
    """A fixed sequence of keys for this stack resource and this exact request."""
    canonical = json.dumps(create_params(props), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:32]
    return [f"sf-webhook-{digest}-{n}" for n in range(KEY_SEQUENCE)]


def update_params(olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {k: news[k] for k in ("url", "description", "disabled") if olds.get(k) != news.get(k)}
    if sorted(olds.get("enabled_events") or []) != sorted(news["enabled_events"]):
        params["enabled_events"] = list(news["enabled_events"])
    old_meta, new_meta = dict(olds.get("metadata") or {}), dict(news["metadata"])
    if old_meta != new_meta:
        # Stripe merges metadata: an empty value is how a key is removed.
        params["metadata"] = {**{k: "" for k in old_meta if k not in new_meta}, **new_meta}
    return params


def _metadata(endpoint: stripe.WebhookEndpoint) -> dict[str, str]:
    metadata = endpoint.metadata
    return {str(k): str(v) for k, v in metadata.to_dict().items()} if metadata else {}


def observed(endpoint: stripe.WebhookEndpoint) -> dict[str, Any]:
    return {
        "url": endpoint.url,
        "enabled_events": sorted(endpoint.enabled_events),
        "description": endpoint.description or "",
        "metadata": _metadata(endpoint),
        "disabled": endpoint.status == "disabled",
        "api_version": endpoint.api_version or "",
        "livemode": bool(endpoint.livemode),
        "status": endpoint.status,
    }


def _replayed(endpoint: stripe.WebhookEndpoint) -> bool:
    response = endpoint.last_response
    return response is not None and str(response.headers.get("idempotent-replayed", "")).lower() == "true"


def _is_missing(exc: stripe.StripeError) -> bool:
    return exc.http_status == 404


def _all_endpoints(client: stripe.StripeClient, policy: RetryPolicy | None = None) -> list[stripe.WebhookEndpoint]:
    page = with_retry(lambda: client.v1.webhook_endpoints.list({"limit": 100}), policy)
    return list(page.auto_paging_iter())


def _same_slot(endpoint: stripe.WebhookEndpoint, props: dict[str, Any]) -> bool:
    """Made by this stack resource for this url and api_version (and so the same secret lineage)."""
    metadata = _metadata(endpoint)
    return (
        all(metadata.get(k) == v for k, v in dict(props["metadata"]).items())
        and endpoint.url == props["url"]
        and endpoint.api_version == props["api_version"]
    )


def _adopt_lookup_failure(endpoint_id: str, exc: stripe.StripeError) -> str:
    return (
        f"stripeWebhookAdoptId={endpoint_id}: {describe(exc)} (fix: check the id under Dashboard > "
        "Developers > Webhooks, or pulumi config rm stripeWebhookAdoptId to create a new endpoint)"
    )


def _adopted_already(olds: dict[str, Any], news: dict[str, Any]) -> str:
    changed = ", ".join(k for k in REPLACE_KEYS if olds.get(k) != news.get(k))
    return (
        f"stripeWebhookAdoptId={news['adopt_id']} is already adopted, and this change ({changed}) needs a new "
        "endpoint with a new secret (fix: pulumi config rm stripeWebhookAdoptId && pulumi config rm "
        "stripeWebhookAdoptSecret, then pulumi up)"
    )


def adoption_problem(current: stripe.WebhookEndpoint, props: dict[str, Any]) -> str | None:
    """Why this stack resource must not take over `current`, or None."""
    endpoint_id = str(props["adopt_id"])
    owner = _metadata(current)
    ours = dict(props["metadata"])
    if owner.get("managed_by") == MANAGED_BY and any(
        owner.get(k) != ours[k] for k in ("pulumi_stack", "pulumi_resource")
    ):
        # Two stacks on one endpoint would each undo the other's changes and delete it on destroy.
        return (
            f"stripeWebhookAdoptId={endpoint_id} is managed by stack {owner.get('pulumi_stack')!r} "
            f"(resource {owner.get('pulumi_resource')!r}); one endpoint cannot belong to two stacks (fix: in that "
            "stack, pulumi state delete its stripe:WebhookEndpoint to let go of it, then adopt it here; or "
            "pulumi config rm stripeWebhookAdoptId to create this stack's own endpoint)"
        )
    if current.api_version != props["api_version"]:
        if current.api_version:
            fix = f"pulumi config set stripeWebhookApiVersion {current.api_version}, adopt, then change it"
        else:
            fix = "it follows the account's default version, so let the stack create its own endpoint instead"
        return (
            f"stripeWebhookAdoptId={endpoint_id} has api_version {current.api_version or 'unset'}, the stack "
            f"declares {props['api_version']}; an endpoint's version cannot change (fix: {fix})"
        )
    return None


# The config key behind each field whose change replaces the endpoint.
REPLACE_CONFIG = {
    "api_version": "stripeWebhookApiVersion",
    "connect": "stripeWebhookConnect",
    "livemode": "stripeSecretKey",
}


def _rotation_while_pinned(olds: dict[str, Any], news: dict[str, Any]) -> str | None:
    """Refused at preview: a replacement issues a new signing secret and deletes the old endpoint
    at the end of the update, but a pinned deploy is never rebuilt, so it would verify only the
    old secret and answer every event Stripe signs with the new one 400. Nothing changes."""
    pin = str(news.get("pinned_deploy") or "")
    changed = [key for key in REPLACE_KEYS if olds and key in olds and olds.get(key) != news.get(key)]
    if not pin or not changed:
        return None
    what = ", ".join(f"{REPLACE_CONFIG[key]} ({key} {olds.get(key)} -> {news.get(key)})" for key in changed)
    back = REPLACE_CONFIG[changed[0]]
    return (
        f"{what} replaces the Stripe webhook endpoint and issues a new signing secret, but pinnedDeploy={pin} "
        "holds the site on a deploy that verifies only the current secret: every event Stripe signs with the "
        "new one would be refused. Nothing was changed. Way out: release the pin first (pulumi config rm "
        f"pinnedDeploy && pulumi up), then make this change; or keep the pin and put {back} back to "
        f"{olds.get(changed[0])!s}"
    )


class WebhookEndpointProvider(DeclaredProvider):
    FIELDS = (
        # Fixed at creation: a change needs a new endpoint, and so a new signing secret.
        identity("api_version"),
        identity("connect"),
        identity("livemode"),
        identity("signing_secret_issued_for"),
        connection("api_url", normalize=endpoint),
        mutable("url"),
        mutable("enabled_events", normalize=sorted_list),
        mutable("description"),
        mutable("metadata"),
        mutable("disabled"),
        guard("adopt_id"),
        guard("adopt_secret", secret=True),
        # The site's rollback pin: while it holds, the live deploy verifies only the current secret.
        guard("pinned_deploy"),
        computed("secret", secret=True),
        computed("status"),
    )

    def validate(self, olds: dict[str, Any], news: dict[str, Any]) -> list[CheckFailure]:
        failures = []
        if not news.get("enabled_events"):
            failures.append(CheckFailure("enabled_events", "an endpoint needs at least one event"))
        pinned = _rotation_while_pinned(olds, news)
        if pinned:
            return [*failures, CheckFailure("api_version", pinned)]
        needs_slot = not olds or any(olds.get(k) != news.get(k) for k in REPLACE_KEYS)
        if needs_slot and olds and news.get("adopt_id") and olds.get("adopt_id") == news["adopt_id"]:
            failures.append(CheckFailure("adopt_id", _adopted_already(olds, news)))
        elif needs_slot and news.get("adopt_id") and not failures:
            problem = self._adoption_problem_at_preview(news)
            if problem:
                failures.append(CheckFailure("adopt_id", problem))
        elif needs_slot and not failures:
            problem = self._cap_problem(news)
            if problem:
                failures.append(CheckFailure("url", problem))
        return failures

    def _adoption_problem_at_preview(self, news: dict[str, Any]) -> str | None:
        import stripe

        endpoint_id = str(news["adopt_id"])
        try:
            client = client_for(str(news["api_url"]))
            current = with_retry(lambda: client.v1.webhook_endpoints.retrieve(endpoint_id), PREVIEW)
        except StripeSetupError:
            return None
        except stripe.StripeError as exc:
            if _is_missing(exc):
                return _adopt_lookup_failure(endpoint_id, exc)
            return None  # an offline preview still previews; the create looks again
        return adoption_problem(current, news)

    def _cap_problem(self, news: dict[str, Any]) -> str | None:
        """At preview: a new endpoint must fit under Stripe's cap (a replacement briefly needs two)."""
        import stripe

        try:
            endpoints = _all_endpoints(client_for(str(news["api_url"])), PREVIEW)
        except (stripe.StripeError, StripeSetupError):
            return None  # an offline preview still previews; the create meets Stripe's own cap error
        if any(_same_slot(endpoint, news) for endpoint in endpoints):
            return None  # create adopts or replaces that one
        if len(endpoints) < MAX_ENDPOINTS:
            return None
        return (
            f"the Stripe account already has {len(endpoints)} webhook endpoints, Stripe's maximum is "
            f"{MAX_ENDPOINTS}, and this change needs a new one (a new api_version keeps the old endpoint until the "
            "site has the new secret); delete an unused endpoint first (Dashboard > Developers > Webhooks), "
            "or adopt an existing one with stripeWebhookAdoptId"
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = client_for(props["api_url"])
        if props.get("adopt_id"):
            return self._adopt(client, props)
        endpoint = self._create_once(client, props)
        for other in _all_endpoints(client):
            if other.id != endpoint.id and _same_slot(other, props):
                self._delete(client, other.id)
        return CreateResult(endpoint.id, {**props, "secret": endpoint.secret, **observed(endpoint)})

    def _create_once(self, client: stripe.StripeClient, props: dict[str, Any]) -> stripe.WebhookEndpoint:
        import stripe

        params = cast("WebhookEndpointCreateParams", create_params(props))
        for key in idempotency_keys(props):
            try:
                endpoint = with_retry(lambda k=key: client.v1.webhook_endpoints.create(params, {"idempotency_key": k}))  # type: ignore[misc]
            except stripe.StripeError as exc:
                raise RuntimeError(f"creating the webhook endpoint for {props['url']}: {describe(exc)}") from exc
            if not _replayed(endpoint) or self._exists(client, endpoint.id):
                return endpoint
        raise RuntimeError(
            f"every idempotency key for this endpoint replays an endpoint that no longer exists; "
            f"wait 24 h or change the endpoint's description to start a new sequence ({props['url']})"
        )

    def _exists(self, client: stripe.StripeClient, endpoint_id: str) -> bool:
        import stripe

        try:
            with_retry(lambda: client.v1.webhook_endpoints.retrieve(endpoint_id))
        except stripe.StripeError as exc:
            if _is_missing(exc):
                return False
            raise
        return True

    def _adopt(self, client: stripe.StripeClient, props: dict[str, Any]) -> CreateResult:
        import stripe

        endpoint_id = str(props["adopt_id"])
        try:
            current = with_retry(lambda: client.v1.webhook_endpoints.retrieve(endpoint_id))
        except stripe.StripeError as exc:
            raise RuntimeError(_adopt_lookup_failure(endpoint_id, exc)) from exc
        problem = adoption_problem(current, props)
        if problem:
            raise RuntimeError(problem)
        before = {**observed(current)}
        params = cast("WebhookEndpointUpdateParams", update_params(before, props))
        updated = with_retry(lambda: client.v1.webhook_endpoints.update(endpoint_id, params)) if params else current
        return CreateResult(endpoint_id, {**props, "secret": props.get("adopt_secret", ""), **observed(updated)})

    def update_remote(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        import stripe

        params = cast("WebhookEndpointUpdateParams", update_params(olds, news))
        outs = self.kept_outputs(olds, news)
        if not params:
            return outs
        client = client_for(news["api_url"])
        try:
            endpoint = with_retry(lambda: client.v1.webhook_endpoints.update(id_, params))
        except stripe.StripeError as exc:
            hint = " (it was deleted outside Pulumi: run pulumi refresh, then pulumi up)" if _is_missing(exc) else ""
            raise RuntimeError(f"updating webhook endpoint {id_}: {describe(exc)}{hint}") from exc
        return {**outs, **observed(endpoint)}

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self._delete(client_for(props["api_url"]), id_)

    def _delete(self, client: stripe.StripeClient, endpoint_id: str) -> None:
        import stripe

        try:
            with_retry(lambda: client.v1.webhook_endpoints.delete(endpoint_id))
        except stripe.StripeError as exc:
            if not _is_missing(exc):
                raise RuntimeError(f"deleting webhook endpoint {endpoint_id}: {describe(exc)}") from exc

    def read_remote(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        import stripe

        client = client_for(props["api_url"])
        try:
            live = with_retry(lambda: client.v1.webhook_endpoints.retrieve(id_))
        except stripe.StripeError as exc:
            if _is_missing(exc):
                # Deleted by hand: dropped from state; the next `up` creates a new one (and a new secret).
                return None
            raise
        return observed(live)


class WebhookEndpointResource(Resource, module="stripe", name="WebhookEndpoint"):
    secret: pulumi.Output[str]
    status: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        api_url: pulumi.Input[str],
        url: pulumi.Input[str],
        enabled_events: list[str],
        api_version: str,
        description: str,
        disabled: bool,
        connect: bool,
        livemode: bool,
        stack: str,
        adopt_id: str = "",
        adopt_secret: pulumi.Input[str] = "",
        pinned_deploy: str = "",
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        provider = WebhookEndpointProvider
        inputs = {
            "api_url": api_url,
            "url": url,
            "enabled_events": sorted(enabled_events),
            "api_version": api_version,
            "signing_secret_issued_for": issued_for(api_version, connect),
            "description": description,
            "metadata": managed_metadata(stack, resource_name, connect),
            "disabled": disabled,
            "connect": connect,
            "livemode": livemode,
            "adopt_id": adopt_id,
            "adopt_secret": adopt_secret,
            "pinned_deploy": pinned_deploy,
        }
        super().__init__(provider(), resource_name, provider.declared_inputs(inputs), provider.options(opts))
