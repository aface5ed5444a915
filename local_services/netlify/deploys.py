"""Sites, builds and deploys: the part of Netlify that decides what the site serves.

A build snapshots the site's env at the moment it starts (Netlify applies env changes
only to new deploys) and the head of the branch it builds (`commit_ref`), runs the build
command and Netlify's secrets scanning (repo.py, secrets_scan.py), runs for `build_seconds`
on a timer, then becomes `ready` (or `error`: a failed command or scan, or a build
cancelled by the site's ignore command; or `rejected`). A ready production deploy is
published unless the published deploy is locked, which is how a rollback pin holds.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from local_services.netlify import env_vars, repo, secrets_scan
from local_services.netlify.errors import not_found, unprocessable
from local_services.netlify.sites import find_site
from local_services.netlify.state import (
    BuildRecord,
    DeployRecord,
    NetlifyStore,
    SiteRecord,
    SnapshotEntry,
    StateData,
    new_object_id,
    next_seq,
)

DEFAULT_BUILD_SECONDS = 0.3
DEFAULT_FAIL_MESSAGE = "Build script returned non-zero exit code: 2 (emulated failure)"
# What Netlify's build log says when the site's ignore command (`build.ignore`) exits 0.
CANCELLED_MESSAGE = "Failed during stage 'checking build content for changes': Canceled build due to no content change"
SCAN_FAILED_STAGE = "Failed during stage 'building site': "
PRODUCTION_BRANCH = repo.PRODUCTION_BRANCH
SEED_TITLE = "Initial deploy (seeded by the emulator)"


@dataclass
class BuildSettings:
    """Runtime knobs of the control API; not persisted (a restart resets them)."""

    build_seconds: float = DEFAULT_BUILD_SECONDS
    fail_next_builds: int = 0
    fail_message: str = DEFAULT_FAIL_MESSAGE
    # The next N builds end `rejected`, or cancelled by the ignore command.
    reject_next_builds: int = 0
    cancel_next_builds: int = 0


def find_deploy(data: StateData, deploy_id: str, site_id: str | None = None) -> DeployRecord:
    found = data["deploys"].get(deploy_id)
    if found is None or (site_id is not None and found["site_id"] != site_id):
        raise not_found("Deploy", deploy_id)
    return found


def published_deploy(data: StateData, site: SiteRecord) -> DeployRecord | None:
    deploy_id = site["published_deploy_id"]
    return data["deploys"].get(deploy_id) if deploy_id else None


def site_deploys(data: StateData, site_id: str) -> list[DeployRecord]:
    """Newest first."""
    deploys = [deploy for deploy in data["deploys"].values() if deploy["site_id"] == site_id]
    return sorted(deploys, key=lambda deploy: deploy["seq"], reverse=True)


class DeployService:
    def __init__(self, store: NetlifyStore, settings: BuildSettings) -> None:
        self.store = store
        self.settings = settings
        self.settings_lock = threading.Lock()
        self._timers: dict[str, threading.Timer] = {}
        self._stopped = False

    # -- lifecycle -------------------------------------------------------------------

    def initial_deploy(self, data: StateData, site_id: str) -> None:
        """A new site's one ready, published deploy, so it has a `published_deploy` from the
        start, as a real site that was deployed once does."""
        deploy = self._new_deploy(data, site_id, {}, context="production", branch=PRODUCTION_BRANCH)
        deploy["files"] = repo.build_output(repo.head(data, site_id, deploy["created_at"])["files"], {})
        deploy["title"] = SEED_TITLE
        deploy["state"] = "ready"
        deploy["published_at"] = deploy["created_at"]
        data["sites"][site_id]["published_deploy_id"] = deploy["id"]

    def resume_pending(self) -> None:
        """Builds that were running when the emulator stopped finish after a restart."""
        with self.store.read() as data:
            pending = [deploy["id"] for deploy in data["deploys"].values() if deploy["state"] == "building"]
        for deploy_id in pending:
            self._schedule(deploy_id)

    def stop(self) -> None:
        with self.store.lock:
            self._stopped = True
        self.cancel_builds()

    def cancel_builds(self) -> None:
        """Forget running builds (a reset drops the deploys they would finish)."""
        with self.store.lock:
            timers = list(self._timers.values())
            self._timers.clear()
        for timer in timers:
            timer.cancel()

    # -- builds ------------------------------------------------------------------------

    def _new_deploy(
        self, data: StateData, site_id: str, env: dict[str, SnapshotEntry], *, context: str, branch: str
    ) -> DeployRecord:
        stamp = self.store.stamp()
        build_id = new_object_id()
        deploy: DeployRecord = {
            "id": new_object_id(),
            "site_id": site_id,
            "build_id": build_id,
            "seq": next_seq(data),
            "state": "building",
            "context": context,
            "branch": branch,
            "title": "",
            "commit_ref": repo.head(data, site_id, stamp)["sha"],
            "error_message": None,
            "pending_error": None,
            "locked": False,
            "published_at": None,
            "created_at": stamp,
            "updated_at": stamp,
            "env": env,
            "files": {},
            "log": "",
        }
        build: BuildRecord = {
            "id": build_id,
            "deploy_id": deploy["id"],
            "site_id": site_id,
            "sha": deploy["commit_ref"],
            "created_at": stamp,
        }
        data["deploys"][deploy["id"]] = deploy
        data["builds"][build_id] = build
        return deploy

    def _planned_outcome(self) -> tuple[str, str | None]:
        """The end state the knobs ask of the next build: (state, error message)."""
        settings = self.settings
        if settings.reject_next_builds > 0:
            return "rejected", None
        if settings.cancel_next_builds > 0:
            return "error", CANCELLED_MESSAGE
        if settings.fail_next_builds > 0:
            return "error", settings.fail_message
        return "ready", None

    def _use_up_knob(self, state: str, message: str | None) -> None:
        settings = self.settings
        if state == "rejected":
            settings.reject_next_builds -= 1
        elif message == CANCELLED_MESSAGE:
            settings.cancel_next_builds -= 1
        elif message is not None:
            settings.fail_next_builds -= 1

    def start_build(self, site_id: str, *, branch: str | None, title: str | None) -> BuildRecord:
        with self.settings_lock:
            state, message = self._planned_outcome()
            with self.store.mutate() as data:
                site = find_site(data, site_id)
                production = not branch or branch == PRODUCTION_BRANCH
                context = "production" if production else "branch-deploy"
                deploy_branch = branch or PRODUCTION_BRANCH
                env = env_vars.snapshot(data["env"][site["id"]], context, deploy_branch)
                deploy = self._new_deploy(data, site["id"], env, context=context, branch=deploy_branch)
                deploy["title"] = title or "Build started through the API"
                if state == "ready":
                    message = self._run_build(data, deploy)
                deploy["pending_error"] = message
                deploy["pending_state"] = state if message is None else "error"
                build = data["builds"][deploy["build_id"]]
            # Consumed only once the build exists, so a refused request does not use it up.
            self._use_up_knob(state, message)
        self._schedule(deploy["id"])
        return build

    @staticmethod
    def _run_build(data: StateData, deploy: DeployRecord) -> str | None:
        """The build command and the secrets scan over the checkout and its output; the
        deploy's error message when the scan fails (decided now: the snapshot is fixed)."""
        build_env = {key: entry["value"] for key, entry in deploy["env"].items() if "builds" in entry["scopes"]}
        secret_keys = [key for key, entry in deploy["env"].items() if entry["is_secret"] and key in build_env]
        checkout = repo.head(data, deploy["site_id"], deploy["created_at"])["files"]
        deploy["files"] = repo.build_output(checkout, build_env)
        result = secrets_scan.scan(build_env, secret_keys, {**checkout, **deploy["files"]})
        deploy["log"] = result.skipped or result.log()
        if not result.failed:
            return None
        return f"{SCAN_FAILED_STAGE}{secrets_scan.FAILED_BUILD}\n{result.log()}"

    def _schedule(self, deploy_id: str) -> None:
        with self.settings_lock:
            delay = self.settings.build_seconds
        with self.store.lock:
            if self._stopped:
                return
            timer = threading.Timer(delay, self._finish, args=(deploy_id,))
            timer.daemon = True
            self._timers[deploy_id] = timer
            timer.start()

    def _finish(self, deploy_id: str) -> None:
        with self.store.lock:
            if self._stopped:
                return
            self._timers.pop(deploy_id, None)
            with self.store.mutate() as data:
                deploy = data["deploys"].get(deploy_id)
                if deploy is None or deploy["state"] != "building":
                    return
                stamp = self.store.stamp()
                deploy["updated_at"] = stamp
                if deploy["pending_error"] is not None or deploy.get("pending_state", "ready") != "ready":
                    deploy["state"] = deploy.get("pending_state") or "error"
                    deploy["error_message"] = deploy["pending_error"]
                    deploy["pending_error"] = None
                    return
                deploy["state"] = "ready"
                if deploy["context"] == "production":
                    self._auto_publish(data, deploy, stamp)

    def _auto_publish(self, data: StateData, deploy: DeployRecord, stamp: str) -> None:
        site = data["sites"][deploy["site_id"]]
        current = published_deploy(data, site)
        if current is not None and current["locked"]:
            return
        # A slow older build must not replace a newer deploy that is already live.
        if current is not None and current["seq"] > deploy["seq"]:
            return
        self._publish(site, deploy, stamp)

    @staticmethod
    def _publish(site: SiteRecord, deploy: DeployRecord, stamp: str) -> None:
        site["published_deploy_id"] = deploy["id"]
        site["updated_at"] = stamp
        deploy["published_at"] = stamp
        deploy["updated_at"] = stamp

    # -- rollback ----------------------------------------------------------------------

    def restore(self, site_id: str, deploy_id: str) -> DeployRecord:
        with self.store.mutate() as data:
            site = find_site(data, site_id)
            deploy = find_deploy(data, deploy_id, site["id"])
            if deploy["state"] != "ready":
                raise unprocessable(f"Deploy {deploy_id} is {deploy['state']}, only a ready deploy can be published")
            current = published_deploy(data, site)
            stamp = self.store.stamp()
            if current is not None and current["id"] != deploy["id"] and current["locked"]:
                # The lock means "stop auto publishing" for the site; it follows the
                # deploy an operator publishes by hand instead of staying on the old one.
                current["locked"] = False
                current["updated_at"] = stamp
                deploy["locked"] = True
            self._publish(site, deploy, stamp)
            return deploy

    def set_locked(self, deploy_id: str, locked: bool) -> DeployRecord:
        with self.store.mutate() as data:
            deploy = find_deploy(data, deploy_id)
            if deploy["locked"] != locked:
                deploy["locked"] = locked
                deploy["updated_at"] = self.store.stamp()
            return deploy
