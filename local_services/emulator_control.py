"""What a test does to an emulator: the kit's control calls (request log, faults, config,
reset, state snapshots) shared by every vendor, and the Netlify emulator's own (hand edits through its API)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from local_services.netlify import RunningEmulator

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class KitControl:
    """The /_emulator namespace every emulator on the kit serves, at `base` (scheme://host:port)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self._control = httpx.Client(base_url=base, timeout=10)

    def requests(self) -> list[dict[str, Any]]:
        response = self._control.get("/_emulator/requests")
        response.raise_for_status()
        log: list[dict[str, Any]] = response.json()
        return log

    def mutating_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests() if r["method"] in MUTATING]

    def clear_requests(self) -> None:
        self._control.delete("/_emulator/requests").raise_for_status()

    def inject_faults(self, rate: float, kinds: list[str], seed: int = 7, methods: tuple[str, ...] = ()) -> None:
        body = {
            "rate": rate,
            "kinds": kinds,
            "seed": seed,
            "retry_after_s": 1,
            "latency_ms": 50,
            "methods": list(methods),
        }
        self._control.put("/_emulator/faults", json=body).raise_for_status()

    def clear_faults(self) -> None:
        self._control.delete("/_emulator/faults").raise_for_status()

    def configure(self, **settings: Any) -> None:
        """The vendor's settings (Netlify: build_seconds, ...; Stripe: delivery retries) and `validation`."""
        self._control.put("/_emulator/config", json=settings).raise_for_status()

    def reset(self) -> None:
        """Back to the freshly started state: no data of tests, no faults, empty log."""
        self._control.post("/_emulator/reset").raise_for_status()

    def snapshot(self) -> dict[str, Any]:
        """The vendor's whole state document, for `restore` to put back."""
        response = self._control.get("/_emulator/state")
        response.raise_for_status()
        document: dict[str, Any] = response.json()
        return document

    def restore(self, document: dict[str, Any]) -> None:
        """A reset to `document` (from `snapshot`): its data, fresh settings, no faults, empty log."""
        self._control.put("/_emulator/state", json=document).raise_for_status()


class EmulatorControl(KitControl):
    def __init__(self, api_url: str, site_url: str, site_id: str, account_id: str, token: str) -> None:
        super().__init__(api_url.removesuffix("/api/v1"))
        self.api_url = api_url
        self.site_url = site_url
        self.site_id = site_id
        self.account_id = account_id
        self._api = httpx.Client(base_url=api_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)

    @classmethod
    def attach(cls, emulator: RunningEmulator, token: str) -> EmulatorControl:
        """Control of an emulator started in this process, for its served site."""
        return cls(emulator.api_url, emulator.site_url, emulator.site_id, emulator.account_id, token)

    def api_client(self) -> httpx.Client:
        """A client of the emulator's API with its token, as a script would hold one (caller closes it)."""
        return httpx.Client(base_url=self.api_url, headers=dict(self._api.headers), timeout=10)

    # -- the API, as a person in the Netlify UI would use it ------------------------

    def env(self) -> dict[str, dict[str, Any]]:
        response = self._api.get(f"/accounts/{self.account_id}/env", params={"site_id": self.site_id})
        response.raise_for_status()
        return {var["key"]: var for var in response.json()}

    def set_value_by_hand(self, key: str, context: str, value: str) -> None:
        response = self._api.patch(
            f"/accounts/{self.account_id}/env/{key}",
            params={"site_id": self.site_id},
            json={"context": context, "value": value},
        )
        response.raise_for_status()

    def delete_by_hand(self, key: str) -> None:
        self._api.delete(f"/accounts/{self.account_id}/env/{key}", params={"site_id": self.site_id}).raise_for_status()

    def add_by_hand(self, key: str, value: str) -> None:
        body = [{"key": key, "scopes": ["builds", "functions"], "values": [{"context": "all", "value": value}]}]
        self._api.post(
            f"/accounts/{self.account_id}/env", params={"site_id": self.site_id}, json=body
        ).raise_for_status()

    def deploys(self) -> list[dict[str, Any]]:
        response = self._api.get(f"/sites/{self.site_id}/deploys")
        response.raise_for_status()
        deploys: list[dict[str, Any]] = response.json()
        return deploys

    def site(self) -> dict[str, Any]:
        response = self._api.get(f"/sites/{self.site_id}")
        response.raise_for_status()
        site: dict[str, Any] = response.json()
        return site

    def sites(self, name: str | None = None) -> list[dict[str, Any]]:
        """listSites as Netlify's clients call it when they look a site up by name."""
        params = {"filter": "all", **({"name": name} if name else {})}
        response = self._api.get("/sites", params=params)
        response.raise_for_status()
        sites: list[dict[str, Any]] = response.json()
        return sites

    def accounts(self) -> list[dict[str, Any]]:
        response = self._api.get("/accounts")
        response.raise_for_status()
        accounts: list[dict[str, Any]] = response.json()
        return accounts

    def build_by_hand(self) -> str:
        response = self._api.post(f"/sites/{self.site_id}/builds")
        response.raise_for_status()
        return str(response.json()["deploy_id"])

    def restore_by_hand(self, deploy_id: str) -> None:
        """ "Publish deploy" in the Netlify UI: restores a deploy without locking it."""
        self._api.post(f"/sites/{self.site_id}/deploys/{deploy_id}/restore").raise_for_status()

    # -- emulator control ---------------------------------------------------------

    def published_env(self) -> dict[str, Any]:
        response = self._control.get(f"/_emulator/sites/{self.site_id}/published-env")
        response.raise_for_status()
        snapshot: dict[str, Any] = response.json()
        return snapshot

    def add_site(
        self, site_id: str, account_slug: str, name: str, *, url: str | None = None, custom_domain: str | None = None
    ) -> dict[str, Any]:
        """Another existing site (in this account or another one), as the API renders it.
        It exists in the API only; `url` defaults to https://<name>.netlify.app."""
        body: dict[str, Any] = {"id": site_id, "account_slug": account_slug, "name": name}
        if url is not None:
            body["url"] = url
        if custom_domain is not None:
            body["custom_domain"] = custom_domain
        response = self._control.post("/_emulator/sites", json=body)
        response.raise_for_status()
        site: dict[str, Any] = response.json()
        return site

    def push_commit(
        self, files: dict[str, str | None], message: str = "a commit pushed by a test", *, build: bool = True
    ) -> str:
        """A new head of the production branch (path -> text, None deletes); like Netlify's continuous
        deployment the push starts a production build of it unless `build` is false."""
        response = self._control.post(
            f"/_emulator/sites/{self.site_id}/commits", json={"message": message, "files": files, "build": build}
        )
        response.raise_for_status()
        return str(response.json()["sha"])

    def repo_head(self) -> str:
        response = self._control.get(f"/_emulator/sites/{self.site_id}/repo")
        response.raise_for_status()
        return str(response.json()["head"])

    def deploy_files(self, deploy_id: str) -> dict[str, Any]:
        """{"commit_ref", "files", "log"} of a deploy: what its build wrote and logged."""
        response = self._control.get(f"/_emulator/deploys/{deploy_id}/files")
        response.raise_for_status()
        found: dict[str, Any] = response.json()
        return found

    def webhook_events(self) -> dict[str, dict[str, Any]]:
        """Stripe events the site's stripe-webhook accepted: id -> type, accepted, processed."""
        response = self._control.get("/_emulator/webhook-events")
        response.raise_for_status()
        events: dict[str, dict[str, Any]] = response.json()
        return events

    def site_get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.site_url}{path}", timeout=10)

    def site_post(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.post(f"{self.site_url}{path}", timeout=10, **kwargs)
