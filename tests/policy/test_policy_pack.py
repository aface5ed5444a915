"""The policy pack through the real CLI: each policy fails on its purpose-built bad stack
(tests/policy/bad_stack) and the pack passes on the `local` stack's configuration.

Runs `pulumi preview --policy-pack policy` exactly as CI does, on a file backend in a tmp dir;
the engine starts the pack through our language host's RunPlugin.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from local_services.emulator_control import EmulatorControl
from local_services.stack_harness import REPO, StackHarness
from tests.integration.backup_support import BackupServers, backup_servers, stack_config

# Not `serial`: nothing here installs on the backup host. The bad stacks have no servers, and
# the local stack's preview plans the host without logging in (its test checks sshd's log),
# so these run in the xdist workers beside the backup host's tests.
pytestmark = [pytest.mark.integration]

POLICY_PACK = str(REPO / "policy")
BAD_STACK = REPO / "tests" / "policy" / "bad_stack"

# case -> (stack it runs as, the policy that must fail, a phrase of its message)
BAD_CASES = {
    "bucket-unhardened": ("local", "backup-bucket-hardened", "versioning is 'Suspended'"),
    "bucket-unlocked": ("local", "backup-bucket-hardened", "Object Lock has no default retention"),
    "bucket-remote-without-tls-rule": ("local", "backup-bucket-hardened", "does not deny requests without TLS"),
    "plain-secret": ("local", "secret-values-are-secret-variables", "STRIPE_SECRET_KEY holds a credential"),
    "secret-dev-value": ("local", "secret-values-are-secret-variables", "has a 'dev' value"),
    "publishable-secret": ("local", "secret-values-are-secret-variables", "SUPABASE_ANON_KEY is publishable"),
    "preview-live-key": ("local", "production-secrets-stay-in-production", "production's credential reaches"),
    "preview-commissions": ("local", "production-secrets-stay-in-production", "PROCESS_COMMISSIONS=true in"),
    "prod-test-key": ("prod", "prod-https-and-live-keys", "is not a live key"),
    "undeclared-flag": ("local", "every-flag-declared", "flag ENABLE_NEW_CHECKOUT is not declared"),
    "unpinned-host": ("local", "cron-host-pins-host-key", "no pinned host key"),
    "malformed-host-key": ("local", "cron-host-pins-host-key", "is not a '<key type> <base64>' host key"),
}
POLICY_NAMES = {policy for _, policy, _ in BAD_CASES.values()}


def preview_with_policies(harness: StackHarness) -> tuple[int, str]:
    result = harness.cli("preview", "--policy-pack", POLICY_PACK, check=False)
    return result.returncode, result.stdout + result.stderr


@pytest.fixture(scope="module")
def bad_stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, StackHarness]:
    """One harness per stack name; each case is a config change and a preview."""
    return {
        name: StackHarness(tmp_path_factory.mktemp(f"policy-{name}"), name=name, program=BAD_STACK)
        for name in ("local", "prod")
    }


def test_every_policy_has_a_bad_stack() -> None:
    # The engine imports the pack with its folder on sys.path; so does this test.
    sys.path.insert(0, POLICY_PACK)
    try:
        from soundfactory_policy.pack import POLICIES
    finally:
        sys.path.remove(POLICY_PACK)
    assert {policy.name for policy in POLICIES} == POLICY_NAMES


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_policy_fails_on_its_bad_stack(bad_stacks: dict[str, StackHarness], case: str) -> None:
    stack_name, policy, phrase = BAD_CASES[case]
    harness = bad_stacks[stack_name]
    harness.set_config({"case": case})
    code, output = preview_with_policies(harness)
    assert code != 0, output
    assert f"[mandatory]  {policy}" in output, output
    assert phrase in output, output
    # Only the policy under test fails: the case is bad for one reason.
    assert not [name for name in POLICY_NAMES - {policy} if f"[mandatory]  {name} " in output], output


@pytest.mark.parametrize("stack_name", ["local", "prod"])
def test_the_same_shapes_with_good_inputs_pass(bad_stacks: dict[str, StackHarness], stack_name: str) -> None:
    harness = bad_stacks[stack_name]
    harness.set_config({"case": "all-good"})
    code, output = preview_with_policies(harness)
    if stack_name == "prod":
        # The good shapes use a test key and loopback URLs: prod's own policy refuses exactly those.
        assert code != 0
        assert "[mandatory]  prod-https-and-live-keys" in output, output
        return
    assert code == 0, output
    assert "Policies:" in output, output
    assert "✅ soundfactory" in output, output


@pytest.fixture
def local_stack(tmp_path: Path, emulator: EmulatorControl) -> Iterator[tuple[StackHarness, BackupServers]]:
    """Stack `local` with Pulumi.local.yaml's settings, its servers moved to free ports."""
    with backup_servers() as servers:
        harness = StackHarness(tmp_path / "pulumi", name="local")
        committed = yaml.safe_load((REPO / "Pulumi.local.yaml").read_text())["config"]
        local_plain = {
            key.split(":", 1)[1]: str(value) for key, value in committed.items() if not isinstance(value, dict)
        }
        plain, secrets = stack_config(
            servers,
            emulator.api_url,
            emulator.site_url,
            bucket="policy-local",
            install_dir="policy-it",
        )
        # Where the test's servers live replaces the fixed ports; every other setting is the local stack's
        # (the age recipient comes from the test's config, not from the demo's key file).
        local_plain.pop("backupRecipientFile", None)
        # Object Lock as the local stack has it: its defaults (governance, backupExpirationDays).
        plain = {k: v for k, v in plain.items() if not k.startswith("backupObjectLock")}
        harness.set_config({**local_plain, **plain}, secrets)
        yield harness, servers


def test_pack_passes_on_the_local_stack(local_stack: tuple[StackHarness, BackupServers]) -> None:
    harness, servers = local_stack
    code, output = preview_with_policies(harness)
    assert code == 0, output
    assert "✅ soundfactory" in output, output
    for resource_type in ("netlify:EnvVar", "backups:Bucket", "backups:CronHost", "stripe:WebhookEndpoint"):
        assert f"pulumi-python:dynamic/{resource_type}" in output, output
    assert "Accepted publickey" not in servers.sshd_log.read_text(), "the preview logged in to the backup host"
