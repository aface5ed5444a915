"""The /api/v1 subset: env vars, site, builds, deploys, restore and lock.

`ENDPOINTS` is the routing table and also what the contract tests hold against the
spec, so an endpoint cannot be added here without being checked there.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from local_services.netlify import render
from local_services.netlify.deploys import (
    DeployService,
    find_deploy,
    find_site,
    published_deploy,
    site_deploys,
)
from local_services.netlify.env_vars import (
    CONTEXTS,
    SCOPES,
    new_record,
    parse_env_var,
    parse_value,
    set_value,
    value_records,
)
from local_services.netlify.faults import ERROR_MESSAGES, Fault, FaultInjector
from local_services.netlify.http_base import (
    HttpError,
    Request,
    Response,
    compile_template,
    empty_response,
    json_response,
    match_template,
)
from local_services.netlify.rate_limit import RateLimitWindow
from local_services.netlify.request_log import RequestLog
from local_services.netlify.state import EMULATOR_USER, EnvVarRecord, SiteRecord, StateData, StateStore

API_PREFIX = "/api/v1"
MAX_PER_PAGE = 100


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return json_response(status, {"code": status, "message": message}, headers)


def _bool_query(query: Mapping[str, str], name: str) -> bool | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise HttpError(400, f"query parameter {name} must be true or false")


def _int_query(query: Mapping[str, str], name: str, default: int, high: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise HttpError(400, f"query parameter {name} must be an integer") from None
    if not 1 <= value <= high:
        raise HttpError(400, f"query parameter {name} must be between 1 and {high}")
    return value


def _page(items: list[render.JSON], query: Mapping[str, str]) -> list[render.JSON]:
    page = _int_query(query, "page", 1, 1_000_000)
    per_page = _int_query(query, "per_page", MAX_PER_PAGE, MAX_PER_PAGE)
    return items[(page - 1) * per_page : page * per_page]


class NetlifyApi:
    def __init__(
        self,
        store: StateStore,
        deploys: DeployService,
        faults: FaultInjector,
        request_log: RequestLog,
        token: str,
        urls: render.Urls,
    ) -> None:
        self.store = store
        self.deploys = deploys
        self.faults = faults
        self.request_log = request_log
        self.urls = urls
        self._token = token.encode()
        self._rate = RateLimitWindow()
        self._routes = [(endpoint, compile_template(endpoint.template)) for endpoint in ENDPOINTS]

    # -- request pipeline ----------------------------------------------------------------

    def __call__(self, request: Request) -> Response | None:
        fault = self.faults.pick(request.method, request.path)
        fault_kind = fault.kind if fault else None
        if fault is not None and fault.kind == "latency":
            time.sleep(fault.latency_s)
        if fault is not None and fault.kind == "drop":
            self.request_log.record(request.method, request.path, request.query, None, fault_kind)
            return None
        rate_headers = self._rate.count()
        if fault is not None and fault.kind in ("429", "500", "502", "503"):
            response = self._fault_response(fault)
        else:
            response = self._process(request)
            if fault is not None and fault.kind == "500-after":
                response = error_response(500, ERROR_MESSAGES[500])
        response.headers = {**rate_headers, **response.headers}
        self.request_log.record(request.method, request.path, request.query, response.status, fault_kind)
        return response

    @staticmethod
    def _fault_response(fault: Fault) -> Response:
        status = int(fault.kind)
        if status != 429:
            return error_response(status, ERROR_MESSAGES[status])
        return error_response(
            429,
            ERROR_MESSAGES[429],
            {
                "Retry-After": str(fault.retry_after_s),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(int(time.time()) + fault.retry_after_s),
            },
        )

    def _authorized(self, request: Request) -> bool:
        scheme, _, credential = (request.header("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not credential:
            return False
        return hmac.compare_digest(credential.strip().encode(), self._token)

    def _process(self, request: Request) -> Response:
        if not self._authorized(request):
            return error_response(
                401,
                "Access Denied: send Authorization: Bearer <token> with the emulator's token",
                {"WWW-Authenticate": 'Bearer realm="netlify-emulator"'},
            )
        path = request.path[len(API_PREFIX) :] or "/"
        method = "GET" if request.method == "HEAD" else request.method
        for endpoint, pattern in self._routes:
            if endpoint.method != method:
                continue
            params = match_template(pattern, path)
            if params is None:
                continue
            try:
                return endpoint.handler(self, request, params)
            except HttpError as exc:
                return error_response(exc.status, exc.message, exc.headers)
        return error_response(404, f"Not Found: {request.method} {request.path}")

    # -- environment variables -----------------------------------------------------------

    @staticmethod
    def _env_site(data: StateData, account_id: str, site_id: str | None) -> SiteRecord:
        if not site_id:
            raise HttpError(400, "site_id query parameter is required: the emulator keeps site variables only")
        site = find_site(data, site_id)
        if account_id != site["account_slug"]:
            raise HttpError(404, f"Account not found: {account_id} (site {site_id} belongs to another account)")
        return site

    @staticmethod
    def _find_var(variables: dict[str, EnvVarRecord], key: str) -> EnvVarRecord:
        record = variables.get(key)
        if record is None:
            raise HttpError(404, f"Environment variable not found: {key}")
        return record

    @staticmethod
    def _listed(variables: dict[str, EnvVarRecord], query: Mapping[str, str]) -> Response:
        context = query.get("context_name") or None
        scope = query.get("scope") or None
        if context is not None and context not in CONTEXTS:
            raise HttpError(400, f"query parameter context_name must be one of {', '.join(CONTEXTS)}")
        if scope == "post_processing":  # the spec spells it so on the site-level endpoint
            scope = "post-processing"
        if scope is not None and scope not in SCOPES:
            raise HttpError(400, f"query parameter scope must be one of {', '.join(SCOPES)}")
        listed: list[render.JSON] = []
        for _key, record in sorted(variables.items()):
            if scope is not None and scope not in record["scopes"]:
                continue
            rendered = render.env_var(record)
            if context is not None:
                rendered["values"] = [v for v in rendered["values"] if v["context"] in (context, "all")]
                if not rendered["values"]:
                    continue
            listed.append(rendered)
        return json_response(200, listed)

    def get_env_vars(self, request: Request, params: dict[str, str]) -> Response:
        with self.store.read() as data:
            site = self._env_site(data, params["account_id"], request.query.get("site_id"))
            return self._listed(data["env"][site["id"]], request.query)

    def get_site_env_vars(self, request: Request, params: dict[str, str]) -> Response:
        with self.store.read() as data:
            site = find_site(data, params["site_id"])
            return self._listed(data["env"][site["id"]], request.query)

    def create_env_vars(self, request: Request, params: dict[str, str]) -> Response:
        body = request.json()
        if not isinstance(body, list) or not body:
            raise HttpError(400, "body must be a non-empty array of environment variables")
        parsed = [parse_env_var(item, f"[{index}]") for index, item in enumerate(body)]
        keys: list[str] = []
        for index, item in enumerate(parsed):
            if item.key is None:
                raise HttpError(400, f"[{index}].key is required")
            if item.key in keys:
                raise HttpError(422, f"[{index}].key {item.key} appears twice in the request")
            keys.append(item.key)
        with self.store.mutate() as data:
            site = self._env_site(data, params["account_id"], request.query.get("site_id"))
            variables = data["env"][site["id"]]
            for key in keys:
                if key in variables:
                    # Netlify refuses duplicates: a caller that retries a create must look first.
                    raise HttpError(409, f"Environment variable {key} already exists on site {site['id']}")
            stamp = self.store.stamp()
            created = [
                new_record(key, item.scopes or SCOPES, bool(item.is_secret), item.values or (), stamp, EMULATOR_USER)
                for key, item in zip(keys, parsed, strict=True)
            ]
            for record in created:
                variables[record["key"]] = record
            return json_response(201, [render.env_var(record) for record in created])

    def get_env_var(self, request: Request, params: dict[str, str]) -> Response:
        with self.store.read() as data:
            site = self._env_site(data, params["account_id"], request.query.get("site_id"))
            return json_response(200, render.env_var(self._find_var(data["env"][site["id"]], params["key"])))

    def update_env_var(self, request: Request, params: dict[str, str]) -> Response:
        parsed = parse_env_var(request.json(), "")
        if parsed.values is None:
            raise HttpError(400, "values is required: PUT replaces all of a variable's values")
        with self.store.mutate() as data:
            site = self._env_site(data, params["account_id"], request.query.get("site_id"))
            variables = data["env"][site["id"]]
            key = params["key"]
            record = self._find_var(variables, key)
            new_key = parsed.key or key
            if new_key != key and new_key in variables:
                raise HttpError(409, f"Environment variable {new_key} already exists on site {site['id']}")
            # Fields left out keep their setting: a PUT that forgets is_secret must not
            # quietly turn a secret into a readable value.
            if parsed.scopes is not None:
                record["scopes"] = list(parsed.scopes)
            if parsed.is_secret is not None:
                record["is_secret"] = parsed.is_secret
            record["values"] = value_records(parsed.values, record["values"])
            record["updated_at"] = self.store.stamp()
            record["updated_by"] = EMULATOR_USER.copy()
            if new_key != key:
                record["key"] = new_key
                del variables[key]
                variables[new_key] = record
            return json_response(200, render.env_var(record))

    def set_env_var_value(self, request: Request, params: dict[str, str]) -> Response:
        value = parse_value(request.json(), "")
        with self.store.mutate() as data:
            site = self._env_site(data, params["account_id"], request.query.get("site_id"))
            record = self._find_var(data["env"][site["id"]], params["key"])
            set_value(record, value)
            record["updated_at"] = self.store.stamp()
            record["updated_by"] = EMULATOR_USER.copy()
            return json_response(201, render.env_var(record))

    def delete_env_var(self, request: Request, params: dict[str, str]) -> Response:
        with self.store.mutate() as data:
            site = self._env_site(data, params["account_id"], request.query.get("site_id"))
            variables = data["env"][site["id"]]
            self._find_var(variables, params["key"])
            del variables[params["key"]]
        return empty_response(204)

    # -- sites, builds, deploys ------------------------------------------------------------

    def get_site(self, _request: Request, params: dict[str, str]) -> Response:
        with self.store.read() as data:
            site = find_site(data, params["site_id"])
            return json_response(200, render.site(site, published_deploy(data, site), self.urls))

    def create_site_build(self, request: Request, params: dict[str, str]) -> Response:
        with self.store.lock:
            build = self.deploys.start_build(
                params["site_id"], branch=request.query.get("branch") or None, title=request.query.get("title")
            )
            deploy = self.store.data["deploys"][build["deploy_id"]]
            return json_response(200, render.build(build, deploy))

    def list_site_builds(self, request: Request, params: dict[str, str]) -> Response:
        with self.store.read() as data:
            site = find_site(data, params["site_id"])
            builds = [
                render.build(data["builds"][deploy["build_id"]], deploy)
                for deploy in site_deploys(data, site["id"])
                if deploy["build_id"] in data["builds"]
            ]
            return json_response(200, _page(builds, request.query))

    def get_build(self, _request: Request, params: dict[str, str]) -> Response:
        with self.store.read() as data:
            build = data["builds"].get(params["build_id"])
            if build is None:
                raise HttpError(404, f"Build not found: {params['build_id']}")
            return json_response(200, render.build(build, data["deploys"][build["deploy_id"]]))

    def list_site_deploys(self, request: Request, params: dict[str, str]) -> Response:
        production = _bool_query(request.query, "production")
        state = request.query.get("state") or None
        branch = request.query.get("branch") or None
        with self.store.read() as data:
            site = find_site(data, params["site_id"])
            selected = [
                render.deploy(deploy, site, self.urls)
                for deploy in site_deploys(data, site["id"])
                if (state is None or deploy["state"] == state)
                and (branch is None or deploy["branch"] == branch)
                and (production is None or (deploy["context"] == "production") == production)
            ]
            return json_response(200, _page(selected, request.query))

    def get_site_deploy(self, _request: Request, params: dict[str, str]) -> Response:
        with self.store.read() as data:
            site = find_site(data, params["site_id"])
            deploy = find_deploy(data, params["deploy_id"], site["id"])
            return json_response(200, render.deploy(deploy, site, self.urls))

    def get_deploy(self, _request: Request, params: dict[str, str]) -> Response:
        with self.store.read() as data:
            deploy = find_deploy(data, params["deploy_id"])
            return json_response(200, render.deploy(deploy, data["sites"][deploy["site_id"]], self.urls))

    def restore_site_deploy(self, _request: Request, params: dict[str, str]) -> Response:
        with self.store.lock:
            deploy = self.deploys.restore(params["site_id"], params["deploy_id"])
            site = self.store.data["sites"][deploy["site_id"]]
            return json_response(201, render.deploy(deploy, site, self.urls))

    def lock_deploy(self, _request: Request, params: dict[str, str]) -> Response:
        return self._set_locked(params["deploy_id"], True)

    def unlock_deploy(self, _request: Request, params: dict[str, str]) -> Response:
        return self._set_locked(params["deploy_id"], False)

    def _set_locked(self, deploy_id: str, locked: bool) -> Response:
        with self.store.lock:
            deploy = self.deploys.set_locked(deploy_id, locked)
            site = self.store.data["sites"][deploy["site_id"]]
            return json_response(200, render.deploy(deploy, site, self.urls))


Handler = Callable[[NetlifyApi, Request, dict[str, str]], Response]


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


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/accounts/{account_id}/env", "getEnvVars", NetlifyApi.get_env_vars),
    Endpoint("POST", "/accounts/{account_id}/env", "createEnvVars", NetlifyApi.create_env_vars),
    # Served at /api/v1/sites/{site_id}/env; the spec lists it with the base path repeated.
    Endpoint(
        "GET",
        "/sites/{site_id}/env",
        "getSiteEnvVars",
        NetlifyApi.get_site_env_vars,
        spec_path="/api/v1/sites/{site_id}/env",
    ),
    Endpoint("GET", "/accounts/{account_id}/env/{key}", "getEnvVar", NetlifyApi.get_env_var),
    Endpoint("PUT", "/accounts/{account_id}/env/{key}", "updateEnvVar", NetlifyApi.update_env_var),
    Endpoint("PATCH", "/accounts/{account_id}/env/{key}", "setEnvVarValue", NetlifyApi.set_env_var_value),
    Endpoint("DELETE", "/accounts/{account_id}/env/{key}", "deleteEnvVar", NetlifyApi.delete_env_var),
    Endpoint("GET", "/sites/{site_id}", "getSite", NetlifyApi.get_site),
    Endpoint("GET", "/sites/{site_id}/builds", "listSiteBuilds", NetlifyApi.list_site_builds),
    Endpoint("POST", "/sites/{site_id}/builds", "createSiteBuild", NetlifyApi.create_site_build),
    Endpoint("GET", "/builds/{build_id}", "getSiteBuild", NetlifyApi.get_build),
    Endpoint("GET", "/sites/{site_id}/deploys", "listSiteDeploys", NetlifyApi.list_site_deploys),
    Endpoint("GET", "/sites/{site_id}/deploys/{deploy_id}", "getSiteDeploy", NetlifyApi.get_site_deploy),
    Endpoint(
        "POST", "/sites/{site_id}/deploys/{deploy_id}/restore", "restoreSiteDeploy", NetlifyApi.restore_site_deploy
    ),
    Endpoint("GET", "/deploys/{deploy_id}", "getDeploy", NetlifyApi.get_deploy),
    Endpoint("POST", "/deploys/{deploy_id}/lock", "lockDeploy", NetlifyApi.lock_deploy),
    Endpoint("POST", "/deploys/{deploy_id}/unlock", "unlockDeploy", NetlifyApi.unlock_deploy),
)
