"""Thin Netlify API client: one method per endpoint the components use.

Paths and shapes follow Netlify's OpenAPI spec (base /api/v1, errors {code, message}).
A client holds a credential, so providers build one per call and never keep it on
themselves (they are pickled into state); what is costly to build, the TLS context, is
built once per process and shared.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from components.credentials import TOKEN_ENV
from components.http_retry import RetryPolicy, send_with_retry

if TYPE_CHECKING:
    import ssl

    import httpx

JSON = dict[str, Any]


class NetlifyApiError(Exception):
    def __init__(self, status: int, message: str, method: str, path: str) -> None:
        super().__init__(f"Netlify API {method} {path} answered {status}: {message}")
        self.status = status
        self.message = message


def config_hint(status: int, path: str) -> str:
    """Which stack config key an error points at: the operator fixes config, not URLs."""
    if status in (401, 403):
        return " (check the netlifyToken config secret, or NETLIFY_AUTH_TOKEN: a token of a member of the team)"
    if status == 404 and "/accounts/" in path:
        return " (check netlifyAccountId, the team slug, and netlifySiteId)"
    if status == 404 and "/sites/" in path:
        return " (check netlifySiteId, the site's API ID)"
    return ""


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's own default context (certifi's CA bundle, or SSL_CERT_FILE / SSL_CERT_DIR), once a process.

    Building one reads and parses the whole CA bundle (60-80 ms on the 2-core machine), and
    httpx builds one for every client, even for an http:// emulator: a flag flip's provider
    process built four clients. An SSLContext is safe to share between clients and threads.
    """
    import httpx

    return httpx.create_ssl_context()


class NetlifyClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        policy: RetryPolicy | None = None,
        timeout_s: float = 30.0,
        on_retry: Callable[[str], None] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not token:
            raise ValueError(
                f"no Netlify token: set the secret config `netlifyToken` or the environment variable {TOKEN_ENV}"
            )
        # httpx (~0.3 s with its dependencies) loads with the first client, not with the program.
        import httpx

        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "User-Agent": "soundfactory-infra"},
            timeout=timeout_s,
            transport=transport,
            verify=tls_context(),
        )
        self._policy = policy or RetryPolicy()
        self._on_retry = on_retry

    def __enter__(self) -> NetlifyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def close(self) -> None:
        self._http.close()

    # -- plumbing -----------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        only_rate_limits: bool = False,
    ) -> httpx.Response:
        def send() -> httpx.Response:
            return self._http.request(method, path, params=params, json=json)

        return send_with_retry(send, self._policy, on_retry=self._on_retry, only_rate_limits=only_rate_limits)

    def _ok(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            try:
                message = str(response.json().get("message", response.text))
            except ValueError:
                message = response.text
            raise NetlifyApiError(
                response.status_code,
                message + config_hint(response.status_code, response.request.url.path),
                response.request.method,
                response.request.url.path,
            )
        return response.json() if response.content else None

    # -- environment variables ----------------------------------------------------

    def list_env(self, account_id: str, site_id: str) -> list[JSON]:
        return cast(
            list[JSON],
            self._ok(self._request("GET", f"/accounts/{account_id}/env", params={"site_id": site_id})),
        )

    def get_env(self, account_id: str, site_id: str, key: str) -> JSON | None:
        response = self._request("GET", f"/accounts/{account_id}/env/{key}", params={"site_id": site_id})
        if response.status_code == 404:
            return None
        return cast(JSON, self._ok(response))

    def create_env(self, account_id: str, site_id: str, variables: list[JSON]) -> list[JSON]:
        response = self._request("POST", f"/accounts/{account_id}/env", params={"site_id": site_id}, json=variables)
        return cast(list[JSON], self._ok(response))

    def put_env(self, account_id: str, site_id: str, key: str, variable: JSON) -> JSON:
        response = self._request("PUT", f"/accounts/{account_id}/env/{key}", params={"site_id": site_id}, json=variable)
        return cast(JSON, self._ok(response))

    def upsert_env(self, account_id: str, site_id: str, key: str, variable: JSON) -> JSON:
        """Replace a variable, or create it when Netlify no longer has it (deleted by hand)."""
        try:
            return self.put_env(account_id, site_id, key, variable)
        except NetlifyApiError as exc:
            if exc.status != 404:
                raise
            return self.create_env(account_id, site_id, [variable])[0]

    def delete_env(self, account_id: str, site_id: str, key: str) -> bool:
        """Delete a variable; False when it was already gone."""
        response = self._request("DELETE", f"/accounts/{account_id}/env/{key}", params={"site_id": site_id})
        if response.status_code == 404:
            return False
        self._ok(response)
        return True

    # -- sites, builds and deploys ------------------------------------------------

    def get_site(self, site_id: str) -> JSON:
        return cast(JSON, self._ok(self._request("GET", f"/sites/{site_id}")))

    def start_build(self, site_id: str) -> JSON:
        """POST a build. Only 429s are retried here (Netlify allows 3 API deploys a minute):
        after a 5xx or a lost answer a build may exist, so callers look before trying again."""
        response = self._request("POST", f"/sites/{site_id}/builds", only_rate_limits=True)
        return cast(JSON, self._ok(response))

    def get_deploy(self, deploy_id: str) -> JSON | None:
        response = self._request("GET", f"/deploys/{deploy_id}")
        if response.status_code == 404:
            return None
        return cast(JSON, self._ok(response))

    def list_deploys(self, site_id: str, *, production: bool | None = None, state: str | None = None) -> list[JSON]:
        params: dict[str, str] = {}
        if production is not None:
            params["production"] = "true" if production else "false"
        if state:
            params["state"] = state
        return cast(list[JSON], self._ok(self._request("GET", f"/sites/{site_id}/deploys", params=params)))

    def restore_deploy(self, site_id: str, deploy_id: str) -> JSON:
        return cast(JSON, self._ok(self._request("POST", f"/sites/{site_id}/deploys/{deploy_id}/restore")))

    def lock_deploy(self, deploy_id: str) -> JSON:
        return cast(JSON, self._ok(self._request("POST", f"/deploys/{deploy_id}/lock")))

    def unlock_deploy(self, deploy_id: str) -> JSON:
        return cast(JSON, self._ok(self._request("POST", f"/deploys/{deploy_id}/unlock")))
