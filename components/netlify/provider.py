"""The Netlify client a provider call uses: built per call, with the token from the credential store.

Providers are pickled into state, so they hold no token and no client; the token comes
from stack config (`netlifyToken`) through `components.credentials`, else from
NETLIFY_AUTH_TOKEN, and lives in process memory.
"""

from __future__ import annotations

from components import credentials
from components.http_retry import RetryPolicy, policy_from_env
from components.netlify.api import NetlifyClient


def netlify_client(api_url: str, policy: RetryPolicy | None = None) -> NetlifyClient:
    return NetlifyClient(api_url, credentials.netlify_token(), policy=policy or policy_from_env())
