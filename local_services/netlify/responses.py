"""The /api/v1 handlers (request parsing and rendering): each reads its request, calls
the backend (env_vars, sites, deploys) and renders the result as the spec defines it.

Handlers hold no business rules of their own: what a change does to a site's state is
the backend's; failures are raised (errors.py), never rendered here.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.parser import BytesParser
from email.policy import HTTP

from local_services.common.http_server import Request, Response, empty_response, json_response
from local_services.netlify import render
from local_services.netlify.deploys import DeployService, find_deploy, published_deploy, site_deploys
from local_services.netlify.env_var_input import parse_create_body, parse_replace_body, parse_value
from local_services.netlify.env_vars import EnvVarBackend
from local_services.netlify.errors import bad_request, not_found, unprocessable
from local_services.netlify.pagination import paginate
from local_services.netlify.sites import SITE_FILTERS, find_account, find_site, list_sites, site_account
from local_services.netlify.state import EMULATOR_USER, NetlifyStore, SiteRecord, StateData

# The site-level list spells the scope so; everywhere else it is post-processing.
SCOPE_SPELLINGS = {"post_processing": "post-processing"}


def _bool_query(query: Mapping[str, str], name: str) -> bool | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise bad_request(f"query parameter {name} must be true or false")


def uploads_files(request: Request) -> bool:
    """Whether a createSiteBuild request carries a zip (raw, or as the multipart `zip` field)."""
    content_type = request.header("content-type") or ""
    if not request.body:
        return False
    if not content_type.startswith("multipart/form-data"):
        return True
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + request.body)
    parts = message.iter_parts() if message.is_multipart() else iter(())
    return any(part.get_param("name", header="content-disposition") == "zip" for part in parts)


def _optional(query: Mapping[str, str], name: str) -> str | None:
    return query.get(name) or None


def _scope(query: Mapping[str, str]) -> str | None:
    scope = _optional(query, "scope")
    return SCOPE_SPELLINGS.get(scope, scope) if scope else None


class NetlifyResponses:
    def __init__(
        self,
        store: NetlifyStore,
        env: EnvVarBackend,
        deploys: DeployService,
        urls: render.Urls,
    ) -> None:
        self.store = store
        self.env = env
        self.deploys = deploys
        self.urls = urls

    def _list_url(self, request: Request) -> str:
        return f"{self.urls.api_origin}{request.path.rstrip('/')}"

    def _site(self, data: StateData, site: SiteRecord) -> render.JSON:
        return render.site(site, site_account(data, site), published_deploy(data, site), self.urls)

    # -- user and accounts -----------------------------------------------------------------

    def get_current_user(self, _request: Request, _params: dict[str, str]) -> Response:
        with self.store.read() as data:
            first = min((account["created_at"] for account in data["accounts"].values()), default="")
            return json_response(200, render.user(EMULATOR_USER, len(data["sites"]), first))

    def list_accounts(self, _request: Request, _params: dict[str, str]) -> Response:
        with self.store.read() as data:
            accounts = sorted(data["accounts"].values(), key=lambda account: account["slug"].lower())
            return json_response(200, [render.account(a, self._site_count(data, a["slug"])) for a in accounts])

    def get_account(self, _request: Request, params: dict[str, str]) -> Response:
        with self.store.read() as data:
            account = find_account(data, params["account_id"])
            return json_response(200, render.account(account, self._site_count(data, account["slug"])))

    @staticmethod
    def _site_count(data: StateData, slug: str) -> int:
        return sum(1 for site in data["sites"].values() if site["account_slug"].lower() == slug.lower())

    # -- environment variables -------------------------------------------------------------

    def get_env_vars(self, request: Request, params: dict[str, str]) -> Response:
        query = request.query
        records = self.env.list_for_account(
            params["account_id"], _optional(query, "site_id"), _optional(query, "context_name"), _scope(query)
        )
        return json_response(200, [render.env_var(record) for record in records])

    def get_site_env_vars(self, request: Request, params: dict[str, str]) -> Response:
        records = self.env.list_for_site(
            params["site_id"], _optional(request.query, "context_name"), _scope(request.query)
        )
        return json_response(200, [render.env_var(record) for record in records])

    def create_env_vars(self, request: Request, params: dict[str, str]) -> Response:
        inputs = parse_create_body(request.json())
        created = self.env.create(params["account_id"], _optional(request.query, "site_id"), inputs)
        return json_response(201, [render.env_var(record) for record in created])

    def get_env_var(self, request: Request, params: dict[str, str]) -> Response:
        record = self.env.get(params["account_id"], _optional(request.query, "site_id"), params["key"])
        return json_response(200, render.env_var(record))

    def update_env_var(self, request: Request, params: dict[str, str]) -> Response:
        change = parse_replace_body(request.json())
        record = self.env.replace(params["account_id"], _optional(request.query, "site_id"), params["key"], change)
        return json_response(200, render.env_var(record))

    def set_env_var_value(self, request: Request, params: dict[str, str]) -> Response:
        value = parse_value(request.json(), "")
        record = self.env.set_value(params["account_id"], _optional(request.query, "site_id"), params["key"], value)
        return json_response(201, render.env_var(record))

    def delete_env_var(self, request: Request, params: dict[str, str]) -> Response:
        self.env.delete(params["account_id"], _optional(request.query, "site_id"), params["key"])
        return empty_response(204)

    # -- sites, builds, deploys ------------------------------------------------------------

    def list_sites(self, request: Request, _params: dict[str, str]) -> Response:
        site_filter = _optional(request.query, "filter")
        if site_filter is not None and site_filter not in SITE_FILTERS:
            raise bad_request(f"query parameter filter must be one of {', '.join(SITE_FILTERS)}")
        with self.store.read() as data:
            sites = [self._site(data, site) for site in list_sites(data, _optional(request.query, "name"), site_filter)]
        page, headers = paginate(sites, request.query, self._list_url(request))
        return json_response(200, page, headers)

    def get_site(self, _request: Request, params: dict[str, str]) -> Response:
        with self.store.read() as data:
            return json_response(200, self._site(data, find_site(data, params["site_id"])))

    def create_site_build(self, request: Request, params: dict[str, str]) -> Response:
        if uploads_files(request):
            raise unprocessable("zip uploads are not emulated: start a build without a zip")
        query = request.query
        with self.store.lock:
            build = self.deploys.start_build(
                params["site_id"], branch=_optional(query, "branch"), title=_optional(query, "title")
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
        page, headers = paginate(builds, request.query, self._list_url(request))
        return json_response(200, page, headers)

    def get_build(self, _request: Request, params: dict[str, str]) -> Response:
        with self.store.read() as data:
            build = data["builds"].get(params["build_id"])
            if build is None:
                raise not_found("Build", params["build_id"])
            return json_response(200, render.build(build, data["deploys"][build["deploy_id"]]))

    def list_site_deploys(self, request: Request, params: dict[str, str]) -> Response:
        production = _bool_query(request.query, "production")
        state = _optional(request.query, "state")
        branch = _optional(request.query, "branch")
        with self.store.read() as data:
            site = find_site(data, params["site_id"])
            selected = [
                render.deploy(deploy, site, self.urls)
                for deploy in site_deploys(data, site["id"])
                if (state is None or deploy["state"] == state)
                and (branch is None or deploy["branch"] == branch)
                and (production is None or (deploy["context"] == "production") == production)
            ]
        page, headers = paginate(selected, request.query, self._list_url(request))
        return json_response(200, page, headers)

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
