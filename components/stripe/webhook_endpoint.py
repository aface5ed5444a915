"""`soundfactory:stripe:WebhookEndpoint`: the endpoint that delivers Stripe events to the site."""

from __future__ import annotations

import pulumi

from components.stripe.config import StripeConfig
from components.stripe.endpoint_resource import WebhookEndpointResource


class WebhookEndpoint(pulumi.ComponentResource):
    endpoint_id: pulumi.Output[str]
    secret: pulumi.Output[str]  # whsec_..., a Pulumi secret
    status: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        config: StripeConfig,
        stack: str,
        opts: pulumi.ResourceOptions | None = None,
        *,
        protect: bool = False,
        pinned_deploy: str | None = None,
    ) -> None:
        super().__init__("soundfactory:stripe:WebhookEndpoint", name, None, opts)
        adopt = config.adopt
        endpoint = WebhookEndpointResource(
            f"{name}-endpoint",
            api_url=config.api_url,
            url=config.webhook_url,
            enabled_events=list(config.enabled_events),
            api_version=config.api_version,
            description=config.description,
            disabled=config.disabled,
            connect=config.connect,
            livemode=config.livemode,
            stack=stack,
            adopt_id=adopt.endpoint_id if adopt else "",
            adopt_secret=adopt.secret if adopt else "",
            pinned_deploy=pinned_deploy or "",
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        self.endpoint_id = endpoint.id
        self.secret = pulumi.Output.secret(endpoint.secret)
        self.status = endpoint.status
        self.register_outputs({"endpointId": self.endpoint_id, "status": self.status})
