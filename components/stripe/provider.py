"""What every Stripe dynamic provider shares: the key, read at configure time.

Providers are pickled into state, so they hold no key and no client: the key comes
from the stack config secret `stripeSecretKey` in `configure()` and stays in process
memory; a client is built for each call.
"""

from __future__ import annotations

import stripe
from pulumi.dynamic import ConfigureRequest, ResourceProvider

from components.stripe.api import stripe_client

_settings: dict[str, str] = {}


def client_for(api_url: str) -> stripe.StripeClient:
    return stripe_client(api_url, _settings.get("key", ""))


class StripeProvider(ResourceProvider):
    def configure(self, req: ConfigureRequest) -> None:
        key = req.config.get("stripeSecretKey")
        if key:
            _settings["key"] = key
