"""Stacks written before the Netlify modules moved into `components/netlify/` keep working.

Dynamic providers are pickled into state by module path, and refresh and destroy load
whatever lives at that path today. The fixture is a real stack (and the emulator's data
behind it) written by the code as it was before the move (commit 8ebe928); the URLs of
that run's emulator are placeholders, filled in with this run's.
"""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from components.netlify.env_var import EnvVarProvider
from components.provider_base import Kind
from local_services.emulator_control import EmulatorControl
from local_services.netlify import start_emulator
from local_services.sample_stack import ACCOUNT_ID, PLAIN, SECRETS, SITE_ID, TOKEN
from local_services.stack_harness import StackHarness
from local_services.stripe.server import start_emulator as start_stripe
from local_services.stripe_control import StripeControl

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).parent / "fixtures" / "state_before_netlify_package"


def pickled_providers(harness: StackHarness) -> list[bytes]:
    exported = json.loads(harness.cli("stack", "export", "--show-secrets").stdout)
    providers: list[bytes] = []
    for resource in exported["deployment"]["resources"]:
        provider = resource.get("inputs", {}).get("__provider")
        if isinstance(provider, dict):  # a secret, shown in clear by --show-secrets
            provider = provider.get("plaintext", "")
            provider = json.loads(provider) if provider.startswith('"') else provider
        if provider:
            providers.append(base64.b64decode(provider))
    return providers


def test_a_stack_written_before_the_move_refreshes_previews_and_destroys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETLIFY_EMULATOR_TOKEN", TOKEN)
    data_dir = tmp_path / "netlify"
    data_dir.mkdir(mode=0o700)
    shutil.copy(FIXTURE / "netlify-state.json", data_dir / "netlify-state.json")
    running = start_emulator(data_dir, site_id=SITE_ID, account_id=ACCOUNT_ID, build_seconds=0.2)
    try:
        emulator = EmulatorControl(running.api_url, running.site_url, SITE_ID, ACCOUNT_ID, TOKEN)
        before = emulator.env()
        assert len(before) == 10

        harness = StackHarness(tmp_path / "pulumi")
        # Preview only: PLAIN's closed loopback port stands in for Stripe.
        wiring = {"netlifyApiUrl": emulator.api_url, "siteUrl": emulator.site_url}
        harness.set_config({**PLAIN, **wiring}, SECRETS)
        state = (FIXTURE / "stack.json").read_text()
        state = state.replace("http://127.0.0.1:EMULATOR_PORT/api/v1", emulator.api_url)
        state = state.replace("http://127.0.0.1:SITE_PORT", emulator.site_url)
        (tmp_path / "stack.json").write_text(state)
        harness.cli("stack", "import", "--file", str(tmp_path / "stack.json"))
        assert b"components.netlify_env_var" in b"".join(pickled_providers(harness))

        emulator.clear_requests()
        refreshed = harness.cli("refresh", "--yes", "--expect-no-changes", check=False)
        assert refreshed.returncode == 0, refreshed.stdout + refreshed.stderr
        previewed = harness.cli("preview", "--json", check=False)
        assert previewed.returncode == 0, previewed.stdout + previewed.stderr
        assert emulator.mutating_requests() == []
        # What the fixture already had is unchanged; the only news is the Stripe webhook
        # (added since): its endpoint and the STRIPE_WEBHOOK_SECRET variable are created,
        # so the inventory lists one more key, the build will carry it and publish that build.
        steps = {step["urn"].rsplit("::", 1)[1]: step for step in json.loads(previewed.stdout)["steps"]}
        changed = {name: step["op"] for name, step in steps.items() if step["op"] != "same"}
        # Issue 19's one-time migration: credentials keep a production value only, publishable
        # values stop being Netlify secrets, and each variable records which context gets what.
        migrated = issue_19_migration(steps)
        assert {name: op for name, op in changed.items() if name not in migrated} == {
            "stripe-webhook": "create",
            "stripe-webhook-endpoint": "create",
            "site-STRIPE_WEBHOOK_SECRET-handover": "create",
            "site-STRIPE_WEBHOOK_SECRET": "create",
            "site-inventory": "update",
            "site-build": "update",
            "site-published": "update",
        }

        assert changed_inputs(steps, "site-inventory") == {"declared_keys"}
        # `live_env`, `serving` and `ships` are inputs added after the fixture was written (their diffs ignore them).
        assert {"fingerprint", "keys", "live_env"} <= changed_inputs(steps, "site-build")
        assert changed_inputs(steps, "site-build") <= {"fingerprint", "keys", "live_env", "ships"}
        # `account_id`, `secrets` and `live_secrets` (the live deploy's rotated secrets) are inputs added
        # later too: a state without them is never a diff of theirs.
        published = changed_inputs(steps, "site-published")
        assert {"latest_build", "serving"} <= published <= {"latest_build", "serving", *LIVE_SECRET_INPUTS}

        destroyed = harness.cli("destroy", "--yes", "--skip-preview", check=False)
        assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
        assert emulator.env() == {}
        assert harness.outputs() == {}
    finally:
        running.stop()


def changed_inputs(steps: dict[str, Any], name: str) -> set[str]:
    old, new = steps[name]["oldState"]["inputs"], steps[name]["newState"]["inputs"]
    return {key for key in old.keys() | new.keys() if old.get(key) != new.get(key)}


def issue_19_migration(steps: dict[str, Any]) -> set[str]:
    """The variables a stack written before issue 19 updates once (values per context, is_secret,
    sources), and nothing else of theirs."""
    migrated = {
        name
        for name, step in steps.items()
        if step["op"] == "update" and "netlify:EnvVar" in step["urn"] and step.get("oldState")
    }
    # Guards (site_url, site_move_from, sources) are never diffed: a fixture older than them gains them.
    allowed = {"values", "is_secret", *EnvVarProvider.names(Kind.GUARD)}
    for name in migrated:
        assert changed_inputs(steps, name) <= allowed, name
    return migrated


LIVE_SECRET_INPUTS = {"account_id", "secrets", "live_secrets"}
PROVIDER_BASE_FIXTURE = Path(__file__).parent / "fixtures" / "state_before_provider_base"


def test_a_stack_written_before_the_provider_base_refreshes_previews_and_destroys_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """State from the code before the shared provider base (commit b18ae7f): every Netlify resource
    and the Stripe endpoint, pickled by the old modules. Nothing to do, nothing written, and a
    clean destroy."""
    monkeypatch.setenv("NETLIFY_EMULATOR_TOKEN", TOKEN)
    netlify_dir, stripe_dir = tmp_path / "netlify", tmp_path / "stripe"
    netlify_dir.mkdir(mode=0o700)
    stripe_dir.mkdir(mode=0o700)
    shutil.copy(PROVIDER_BASE_FIXTURE / "netlify-state.json", netlify_dir / "netlify-state.json")
    running = start_emulator(netlify_dir, site_id=SITE_ID, account_id=ACCOUNT_ID, build_seconds=0.2)
    site_url = running.site_url
    stripe_state = (PROVIDER_BASE_FIXTURE / "stripe-state.json").read_text()
    (stripe_dir / "stripe-state.json").write_text(stripe_state.replace("http://127.0.0.1:SITE_PORT", site_url))
    stripe = start_stripe(stripe_dir, keys=[SECRETS["stripeSecretKey"]])
    try:
        emulator = EmulatorControl(running.api_url, site_url, SITE_ID, ACCOUNT_ID, TOKEN)
        stripe_api = StripeControl.attach(stripe, SECRETS["stripeSecretKey"])
        (endpoint,) = stripe_api.endpoints()
        harness = StackHarness(tmp_path / "pulumi")
        wiring = {"netlifyApiUrl": emulator.api_url, "siteUrl": site_url, "stripeApiUrl": stripe.api_url}
        harness.set_config({**PLAIN, **wiring}, SECRETS)
        state = (PROVIDER_BASE_FIXTURE / "stack.json").read_text()
        for placeholder, url in (
            ("http://127.0.0.1:EMULATOR_PORT/api/v1", emulator.api_url),
            ("http://127.0.0.1:SITE_PORT", site_url),
            ("http://127.0.0.1:STRIPE_PORT", stripe.api_url),
        ):
            state = state.replace(placeholder, url)
        (tmp_path / "stack.json").write_text(state)
        harness.cli("stack", "import", "--file", str(tmp_path / "stack.json"))
        pickled = b"".join(pickled_providers(harness))
        assert b"components.stripe.endpoint_resource" in pickled
        assert b"components.netlify.secret_handover" in pickled

        emulator.clear_requests()
        ran = harness.cli("refresh", "--yes", "--expect-no-changes", check=False)
        assert ran.returncode == 0, ran.stdout + ran.stderr
        previewed = harness.cli("preview", "--json", check=False)
        assert previewed.returncode == 0, previewed.stdout + previewed.stderr
        steps = {step["urn"].rsplit("::", 1)[1]: step for step in json.loads(previewed.stdout)["steps"]}
        changed = {name for name, step in steps.items() if step["op"] != "same"}
        # Only issue 19's migration of the variables, and the one build (and publish) it needs.
        assert changed - issue_19_migration(steps) <= {"site-build", "site-published"}
        assert emulator.mutating_requests() == []
        assert [e["id"] for e in stripe_api.endpoints()] == [endpoint["id"]]
        # A second refresh after the first was written: still nothing (no field flips back and forth).
        again = harness.cli("refresh", "--yes", "--expect-no-changes", check=False)
        assert again.returncode == 0, again.stdout + again.stderr

        destroyed = harness.cli("destroy", "--yes", "--skip-preview", check=False)
        assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
        assert emulator.env() == {}
        assert stripe_api.endpoints() == []
    finally:
        running.stop()
        stripe.stop()


def without_fields(exported: str, *fields: str) -> str:
    """The stack's state as a version of the code before `fields` existed wrote it."""
    state = json.loads(exported)
    for resource in state["deployment"]["resources"]:
        for field in fields:
            resource.get("outputs", {}).pop(field, None)
    return json.dumps(state)


@pytest.mark.deployed
def test_outputs_added_later_are_recorded_once_and_never_leave_a_phantom_change(
    stack: StackHarness, emulator: EmulatorControl, tmp_path: Path
) -> None:
    """A preview resolves an output missing from state as unknown, and everything the program
    builds from it (the published deploy's record of the rotated secrets) as a change. The
    refresh records it without reporting a change; an `up` records it without a vendor write."""
    old = tmp_path / "old-state.json"
    old.write_text(without_fields(stack.cli("stack", "export").stdout, "since", "value_since"))

    stack.cli("stack", "import", "--file", str(old))
    refreshed = stack.cli("refresh", "--yes", "--expect-no-changes", check=False)
    assert refreshed.returncode == 0, refreshed.stdout + refreshed.stderr
    assert stack.cli("preview", "--expect-no-changes", check=False).returncode == 0

    stack.cli("stack", "import", "--file", str(old))
    emulator.clear_requests()
    stack.stack.up(on_output=lambda _: None)
    assert emulator.mutating_requests() == []
    clean = stack.cli("preview", "--expect-no-changes", check=False)
    assert clean.returncode == 0, clean.stdout + clean.stderr
