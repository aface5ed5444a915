"""Netlify's part of the control API under /_emulator (the kit serves the shared part:
health, requests, faults, config, reset).

GET    /_emulator/sites/{site_id}                 the site as the API renders it
POST   /_emulator/sites                           add a site: {"id", "account_slug", "name",
                                                  "url"?, "custom_domain"?} (url defaults to
                                                  https://<name>.netlify.app)
GET    /_emulator/sites/{site_id}/published-env   {"deploy_id", "env"} of the published deploy
GET    /_emulator/deploys/{deploy_id}/env         {"deploy_id", "env"} of any deploy
GET    /_emulator/deploys/{deploy_id}/files       {"deploy_id", "commit_ref", "files", "log"}: the
                                                  publish directory the build wrote, and its log
GET    /_emulator/sites/{site_id}/repo            {"branch", "head", "commits": [{"sha", "message"}]}
POST   /_emulator/sites/{site_id}/commits         push to the production branch: {"message",
                                                  "files": {path: text, or null to delete},
                                                  "build"?: true}; answers {"sha", "deploy_id"}:
                                                  like Netlify's continuous deployment, a push
                                                  starts a production build of it ("build": false
                                                  stands for builds stopped, or a push not yet seen)
GET    /_emulator/extensions/site/{site_id}/integrations/safe      Netlify's extension API
GET    /_emulator/extensions/team/{account}/integrations/installations/meta/{site_id}
                                                  (api.netlifysdk.com, which @netlify/config reads
                                                  before any env): no extension installed, `[]`
GET    /_emulator/sms | DELETE                    what send-sms "sent"
GET    /_emulator/site-overrides | PUT | DELETE   breakages in the served site (site_overrides.py)
config keys: build_seconds, fail_next_builds, fail_message, reject_next_builds,
cancel_next_builds (the next builds end `rejected`, or cancelled by the ignore command)

Env snapshots report secret values only as sha256 hex, so a test (or a curious
operator) can compare them with what was set without reading them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from local_services.common.http_server import HttpError, Request, Response, empty_response, json_response
from local_services.common.routing import Route
from local_services.netlify import render, repo
from local_services.netlify.deploys import BuildSettings, DeployService, find_deploy, published_deploy
from local_services.netlify.functions import FunctionState
from local_services.netlify.site_overrides import SiteOverrides
from local_services.netlify.sites import NewSite, SiteBackend, find_site, site_account
from local_services.netlify.state import DeployRecord, NetlifyStore

NEW_SITE_FIELDS = {"id": True, "account_slug": True, "name": True, "url": False, "custom_domain": False}


def _env_payload(deploy: DeployRecord) -> dict[str, Any]:
    return {"deploy_id": deploy["id"], "env": render.hashed_env(deploy["env"])}


def parse_new_site(body: Any) -> NewSite:
    if not isinstance(body, dict):
        raise HttpError(400, "body must be a JSON object")
    unknown = sorted(set(body) - set(NEW_SITE_FIELDS))
    if unknown:
        raise HttpError(422, f"unknown fields: {', '.join(unknown)} (known: {', '.join(NEW_SITE_FIELDS)})")
    for name, required in NEW_SITE_FIELDS.items():
        if required and name not in body:
            raise HttpError(422, f"{name} is required")
        if name in body and not isinstance(body[name], str):
            raise HttpError(400, f"{name} must be a string")
    return NewSite(
        id=body["id"],
        account_slug=body["account_slug"],
        name=body["name"],
        url=body.get("url") or f"https://{body['name']}.netlify.app",
        custom_domain=body.get("custom_domain") or None,
    )


class BuildSettingsControl:
    """`VendorSettings` over the deploy service's build knobs (not persisted: a restart or a
    reset brings back the ones the emulator started with)."""

    keys = frozenset({"build_seconds", "fail_next_builds", "fail_message", "reject_next_builds", "cancel_next_builds"})
    COUNTS = ("fail_next_builds", "reject_next_builds", "cancel_next_builds")

    def __init__(self, deploys: DeployService) -> None:
        self.deploys = deploys

    def describe(self) -> dict[str, Any]:
        with self.deploys.settings_lock:
            settings = self.deploys.settings
            return {
                "build_seconds": settings.build_seconds,
                "fail_next_builds": settings.fail_next_builds,
                "fail_message": settings.fail_message,
                "reject_next_builds": settings.reject_next_builds,
                "cancel_next_builds": settings.cancel_next_builds,
            }

    def update(self, changes: Mapping[str, Any]) -> None:
        update = BuildSettings(**self.describe())
        if "build_seconds" in changes:
            seconds = changes["build_seconds"]
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds <= 3600:
                raise HttpError(422, "build_seconds must be a number between 0 and 3600")
            update.build_seconds = float(seconds)
        for name in self.COUNTS:
            if name in changes:
                count = changes[name]
                if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                    raise HttpError(422, f"{name} must be a non-negative integer")
                setattr(update, name, count)
        if "fail_message" in changes:
            message = changes["fail_message"]
            if not isinstance(message, str) or not message:
                raise HttpError(422, "fail_message must be a non-empty string")
            update.fail_message = message
        with self.deploys.settings_lock:
            self.deploys.settings = update


class NetlifyControl:
    def __init__(
        self,
        store: NetlifyStore,
        sites: SiteBackend,
        deploys: DeployService,
        functions: FunctionState,
        urls: render.Urls,
        overrides: SiteOverrides | None = None,
    ) -> None:
        self.store = store
        self.overrides = overrides or SiteOverrides()
        self.sites = sites
        self.deploys = deploys
        self.functions = functions
        self.urls = urls
        self.settings = BuildSettingsControl(deploys)

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/sites/{site_id}", self.get_site),
            Route("POST", "/sites", self.add_site),
            Route("GET", "/sites/{site_id}/published-env", self.published_env),
            Route("GET", "/deploys/{deploy_id}/env", self.deploy_env),
            Route("GET", "/deploys/{deploy_id}/files", self.deploy_files),
            Route("GET", "/sites/{site_id}/repo", self.get_repo),
            Route("GET", "/extensions/site/{site_id}/integrations/safe", self.no_extensions),
            Route("GET", "/extensions/team/{account}/integrations/installations/meta/{site_id}", self.no_extensions),
            Route("POST", "/sites/{site_id}/commits", self.push_commit),
            Route("GET", "/sms", lambda _r, _p: json_response(200, self.functions.sms.messages())),
            Route("GET", "/webhook-events", lambda _r, _p: json_response(200, self.functions.webhooks.events())),
            Route("DELETE", "/sms", self.clear_sms),
            *self.overrides.routes(),
        ]

    def _rendered_site(self, site_id: str) -> dict[str, Any]:
        with self.store.read() as data:
            site = find_site(data, site_id)
            return render.site(site, site_account(data, site), published_deploy(data, site), self.urls)

    def get_site(self, _request: Request, params: dict[str, str]) -> Response:
        return json_response(200, self._rendered_site(params["site_id"]))

    def add_site(self, request: Request, _params: dict[str, str]) -> Response:
        site = self.sites.add_site(parse_new_site(request.json()))
        return json_response(201, self._rendered_site(site["id"]))

    def published_env(self, _request: Request, params: dict[str, str]) -> Response:
        with self.store.read() as data:
            deploy = published_deploy(data, find_site(data, params["site_id"]))
            if deploy is None:
                raise HttpError(404, f"site {params['site_id']} has no published deploy")
            return json_response(200, _env_payload(deploy))

    def deploy_env(self, _request: Request, params: dict[str, str]) -> Response:
        with self.store.read() as data:
            return json_response(200, _env_payload(find_deploy(data, params["deploy_id"])))

    def no_extensions(self, _request: Request, params: dict[str, str]) -> Response:
        with self.store.read() as data:
            find_site(data, params["site_id"])
        return json_response(200, [])

    def deploy_files(self, _request: Request, params: dict[str, str]) -> Response:
        with self.store.read() as data:
            deploy = find_deploy(data, params["deploy_id"])
            return json_response(
                200,
                {
                    "deploy_id": deploy["id"],
                    "commit_ref": deploy["commit_ref"],
                    "files": deploy["files"],
                    "log": deploy["log"],
                },
            )

    def get_repo(self, _request: Request, params: dict[str, str]) -> Response:
        with self.store.mutate() as data:
            site = find_site(data, params["site_id"])
            found = repo.site_repo(data, site["id"], self.store.stamp())
            commits = [{"sha": c["sha"], "message": c["message"]} for c in found["commits"]]
            return json_response(200, {"branch": found["branch"], "head": commits[-1]["sha"], "commits": commits})

    def push_commit(self, request: Request, params: dict[str, str]) -> Response:
        body = request.json()
        files = body.get("files") if isinstance(body, dict) else None
        if not isinstance(files, dict) or not all(
            isinstance(path, str) and (text is None or isinstance(text, str)) for path, text in files.items()
        ):
            raise HttpError(422, 'body must be {"message": str, "files": {path: text or null}}')
        message = str(body.get("message") or "Commit pushed through the emulator's control API")
        with self.store.mutate() as data:
            site = find_site(data, params["site_id"])
            commit = repo.push(data, site["id"], message, files, self.store.stamp())
        deploy_id = ""
        if body.get("build", True) is not False:
            title = f"Push to {repo.PRODUCTION_BRANCH}: {message}"
            deploy_id = self.deploys.start_build(site["id"], branch=None, title=title)["deploy_id"]
        return json_response(201, {"sha": commit["sha"], "deploy_id": deploy_id})

    def clear_sms(self, _request: Request, _params: dict[str, str]) -> Response:
        self.functions.sms.clear()
        return empty_response(204)
