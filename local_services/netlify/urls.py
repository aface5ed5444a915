"""The /api/v1 routing table (the "urls" role): which handler serves which operation.

`ENDPOINTS` is also what the contract tests and the spec validation hold against
Netlify's spec, so an endpoint cannot be added here without being checked there.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from local_services.common.http_server import Request, Response
from local_services.common.routing import Route
from local_services.netlify.responses import NetlifyResponses

API_PREFIX = "/api/v1"

Handler = Callable[[NetlifyResponses, Request, dict[str, str]], Response]


@dataclass(frozen=True)
class Endpoint:
    method: str
    template: str  # below API_PREFIX, as served
    operation_id: str
    handler: Handler
    # Where the spec documents the endpoint, when that differs from where it is served.
    spec_path: str = ""

    @property
    def documented_path(self) -> str:
        return self.spec_path or self.template


R = NetlifyResponses
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/user", "getCurrentUser", R.get_current_user),
    Endpoint("GET", "/accounts", "listAccountsForUser", R.list_accounts),
    Endpoint("GET", "/accounts/{account_id}", "getAccount", R.get_account),
    Endpoint("GET", "/accounts/{account_id}/env", "getEnvVars", R.get_env_vars),
    Endpoint("POST", "/accounts/{account_id}/env", "createEnvVars", R.create_env_vars),
    # Served at /api/v1/sites/{site_id}/env; the spec lists it with the base path repeated.
    Endpoint(
        "GET", "/sites/{site_id}/env", "getSiteEnvVars", R.get_site_env_vars, spec_path="/api/v1/sites/{site_id}/env"
    ),
    Endpoint("GET", "/accounts/{account_id}/env/{key}", "getEnvVar", R.get_env_var),
    Endpoint("PUT", "/accounts/{account_id}/env/{key}", "updateEnvVar", R.update_env_var),
    Endpoint("PATCH", "/accounts/{account_id}/env/{key}", "setEnvVarValue", R.set_env_var_value),
    Endpoint("DELETE", "/accounts/{account_id}/env/{key}", "deleteEnvVar", R.delete_env_var),
    Endpoint("GET", "/sites", "listSites", R.list_sites),
    Endpoint("GET", "/sites/{site_id}", "getSite", R.get_site),
    Endpoint("GET", "/sites/{site_id}/builds", "listSiteBuilds", R.list_site_builds),
    Endpoint("POST", "/sites/{site_id}/builds", "createSiteBuild", R.create_site_build),
    Endpoint("GET", "/builds/{build_id}", "getSiteBuild", R.get_build),
    Endpoint("GET", "/sites/{site_id}/deploys", "listSiteDeploys", R.list_site_deploys),
    Endpoint("GET", "/sites/{site_id}/deploys/{deploy_id}", "getSiteDeploy", R.get_site_deploy),
    Endpoint("POST", "/sites/{site_id}/deploys/{deploy_id}/restore", "restoreSiteDeploy", R.restore_site_deploy),
    Endpoint("GET", "/deploys/{deploy_id}", "getDeploy", R.get_deploy),
    Endpoint("POST", "/deploys/{deploy_id}/lock", "lockDeploy", R.lock_deploy),
    Endpoint("POST", "/deploys/{deploy_id}/unlock", "unlockDeploy", R.unlock_deploy),
)


def routes(responses: NetlifyResponses) -> list[Route]:
    return [
        Route(endpoint.method, endpoint.template, functools.partial(endpoint.handler, responses), endpoint.operation_id)
        for endpoint in ENDPOINTS
    ]
