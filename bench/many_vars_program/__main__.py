"""Bench program: the real NetlifySite component managing N synthetic variables."""

from __future__ import annotations

import pulumi

from components.netlify.config import NetlifyConfig
from components.netlify.site import NetlifySite, NetlifySiteArgs
from components.netlify.variables import SiteVariable

config = pulumi.Config()
count = config.require_int("count")
netlify = NetlifyConfig(
    account_id=config.require("netlifyAccountId"),
    site_id=config.require("netlifySiteId"),
    api_url=config.require("netlifyApiUrl"),
    site_url=config.get("siteUrl") or "",
    env_contexts=("production", "deploy-preview", "branch-deploy"),
    wait_for_deploy=True,
    deploy_timeout_s=120,
    pinned_deploy=None,
)
generation = config.get("generation") or "1"
variables = [
    SiteVariable(f"BENCH_VAR_{i:02d}", f"value-{i}-{generation if i == 0 else 1}", secret=i % 5 == 0)
    for i in range(count)
]
site = NetlifySite("site", NetlifySiteArgs(netlify=netlify, variables=variables))
pulumi.export("publishedDeployId", site.published_deploy_id)
