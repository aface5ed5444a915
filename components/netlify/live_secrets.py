"""Does the live deploy carry the current value of each secret that verifies a sender?

Netlify gives a deploy the environment variables as they were when its build started;
a later change reaches the site only through a new deploy ("build and deploy your site
for the additions to take effect", https://docs.netlify.com/build/environment-variables/get-started/),
and publishing an older deploy (a rollback, `POST /sites/{site_id}/deploys/{deploy_id}/restore`,
https://docs.netlify.com/api/get-started/#restore-deploy-rollback) brings back the variables
that deploy was built with. The API never shows a deploy's variables, only when it was
created, so the question is answered with Netlify's own times:

- `since`: when the current secret first reached the variable, as Netlify stamped that
  write (the `new,old` overlap of a rotation, else the write of the value itself): recorded
  by the stack when it wrote it;
- `written`: Netlify's `updated_at` after the stack's last write of the variable. A listing
  that shows another stamp means the variable was written outside the records of a completed
  `pulumi up` (a rotation whose build failed, a hand edit): from then on the value may differ.

A deploy created before that time cannot carry the current value: it verifies only an earlier
secret, and the site refuses everything the sender signs with the current one (every Stripe
event, for STRIPE_WEBHOOK_SECRET). A deploy created at or after it carries it (alone, or in
the `new,old` overlap of a handover).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeGuard

from components.netlify.api import JSON
from components.provider_base import UNKNOWN

CURRENT = "the live deploy carries the current value of every secret that verifies a sender"
STALE = "stale: "
# Said in the preview of a pin (publishes) and by the `up`: the program warns on it.
PREDATES = "predates the current"


def _time(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def describe_deploy(deploy: JSON) -> str:
    commit = str(deploy.get("commit_ref") or "")[:12]
    return f"deploy {deploy.get('id')} (created {deploy.get('created_at')}" + (f", commit {commit})" if commit else ")")


def way_out(pinned: bool, since: str) -> str:
    if pinned:
        return f"release the pin (pulumi config rm pinnedDeploy && pulumi up), or pin a deploy created after {since}"
    # --refresh: after a hand restore the state still records the deploy the stack published.
    return "pulumi up --refresh: it publishes a deploy created after that change, building one if none is ready"


def finding(
    deploy: JSON, key: str, record: Mapping[str, Any], listed: JSON | None, *, pinned: bool, subject: str = "live"
) -> str | None:
    """Why `deploy` cannot verify the current `key`, or None when it carries it (or nothing is known)."""
    since, written = str(record.get("since") or ""), str(record.get("written") or "")
    created = str(deploy.get("created_at") or "")
    if not since or not created:
        return None
    verifies = str(record.get("verifies") or "requests signed with it")
    stamp = str((listed or {}).get("updated_at") or "")
    if stamp and written and stamp != written:
        if _time(created) >= _time(stamp):
            return None
        return (
            f"{STALE}{key} was written at {stamp}, outside the records of the last completed pulumi up (a "
            f"rotation whose build failed, or a hand edit), after the {subject} {describe_deploy(deploy)} was built: "
            f"that deploy runs with the value from before, so if the write changed the secret it refuses "
            f"{verifies} signed with the new one. Way out: {way_out(pinned, stamp)}"
        )
    if _time(created) >= _time(since):
        return None
    return (
        f"{STALE}the {subject} {describe_deploy(deploy)} {PREDATES} {key}, set at {since}: a deploy keeps the "
        f"variables of its build, so it verifies only an earlier secret and refuses {verifies} signed with the "
        f"current one. Way out: {way_out(pinned, since)}"
    )


def assess(
    deploy: JSON | None,
    secrets: Mapping[str, Any],
    listing: Mapping[str, JSON],
    *,
    pinned: bool,
    subject: str = "live",
) -> str:
    """`live_secrets` as found: CURRENT, or every reason the live deploy cannot verify a secret."""
    if not deploy:
        return CURRENT
    found = [
        reason
        for key, record in sorted(secrets.items())
        if isinstance(record, Mapping)
        and (reason := finding(deploy, key, record, listing.get(key), pinned=pinned, subject=subject)) is not None
    ]
    return " | ".join(found) if found else CURRENT


def known(secrets: Any) -> TypeGuard[Mapping[str, Any]]:
    """Usable records: a preview may hand them over unknown (a write in the same update)."""
    if not isinstance(secrets, Mapping) or not secrets:
        return False
    return all(
        isinstance(record, Mapping) and all(value != UNKNOWN for value in record.values())
        for record in secrets.values()
    )
