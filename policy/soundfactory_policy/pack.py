"""The pack the engine loads: every policy, mandatory (a violation fails preview and up)."""

from __future__ import annotations

from pulumi_policy import PolicyPack

from soundfactory_policy.backup_bucket import backup_bucket_hardened
from soundfactory_policy.cron_host_key import cron_host_pins_host_key
from soundfactory_policy.declared_flags import every_flag_declared
from soundfactory_policy.preview_contexts import production_secrets_stay_in_production
from soundfactory_policy.prod_endpoints import prod_https_and_live_keys
from soundfactory_policy.secret_variables import secret_values_are_secret_variables

POLICIES = [
    backup_bucket_hardened,
    secret_values_are_secret_variables,
    production_secrets_stay_in_production,
    prod_https_and_live_keys,
    every_flag_declared,
    cron_host_pins_host_key,
]


def serve() -> None:
    PolicyPack(name="soundfactory", policies=list(POLICIES))
