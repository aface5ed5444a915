"""The incident snapshot (playbook 9, step 2): one timestamped folder an on-call can hand over.

It holds the stack's update history, the published deploy, recent deploys, the site's
environment *metadata* (keys, contexts, scopes, secrecy, last change; never a value) and the
monitor's state. Written before anything is changed, so it shows the site as it was found.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from components.netlify.api import JSON
from scripts.sfops.context import AppContext, run_pulumi

RECENT_DEPLOYS = 10
DEPLOY_FIELDS = ("id", "state", "context", "created_at", "published_at", "title", "locked", "error_message")


def env_metadata(variables: list[JSON]) -> list[dict[str, Any]]:
    """What an investigation needs of each variable, without its values."""
    return [
        {
            "key": variable.get("key"),
            "is_secret": bool(variable.get("is_secret")),
            "scopes": variable.get("scopes", []),
            "contexts": sorted(str(v.get("context")) for v in variable.get("values", [])),
            "updated_at": variable.get("updated_at"),
            "updated_by": (variable.get("updated_by") or {}).get("full_name"),
        }
        for variable in sorted(variables, key=lambda v: str(v.get("key")))
    ]


def _deploy_summary(deploy: JSON | None) -> dict[str, Any] | None:
    return None if deploy is None else {key: deploy.get(key) for key in DEPLOY_FIELDS if key in deploy}


def stack_history(app: AppContext) -> Any:
    process = run_pulumi(["stack", "history", "--json"], app.stack, app.project_dir)
    if process.returncode != 0:
        return {"error": process.stderr.strip().splitlines()[-1:] or ["no output"]}
    return json.loads(process.stdout)


def write_bundle(app: AppContext, parent: Path, monitor_state: Path | None) -> Path:
    """Snapshot into `<parent>/incident-<stack>-<UTC stamp>/`; returns the folder."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = parent / f"incident-{app.stack}-{stamp}"
    folder.mkdir(parents=True)
    netlify = app.config.netlify
    with app.netlify_client() as client:
        site = client.get_site(netlify.site_id)
        deploys = client.list_deploys(netlify.site_id, production=True)[:RECENT_DEPLOYS]
        variables = client.list_env(netlify.account_id, netlify.site_id)
    documents: dict[str, Any] = {
        "stack-history.json": stack_history(app),
        "published-deploy.json": _deploy_summary(site.get("published_deploy")),
        "recent-deploys.json": [_deploy_summary(d) for d in deploys],
        "env-metadata.json": env_metadata(variables),
    }
    if monitor_state is not None and monitor_state.exists():
        documents["monitor-state.json"] = json.loads(monitor_state.read_text())
    for name, document in documents.items():
        (folder / name).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    return folder
