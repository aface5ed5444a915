"""Routes ("urls"): the Messages API subset below Twilio's API version prefix."""

from __future__ import annotations

from local_services.common.routing import Route
from local_services.twilio.models import API_VERSION
from local_services.twilio.responses import TwilioResponses

API_PREFIX = f"/{API_VERSION}"


def routes(responses: TwilioResponses) -> list[Route]:
    return [Route("GET", "/Accounts/{AccountSid}/Messages.json", responses.list_messages, "ListMessage")]
