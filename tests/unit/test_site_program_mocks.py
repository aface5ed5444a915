"""The Netlify site component under Pulumi mocks: which resources, with which inputs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from components.netlify.site import NetlifySite, NetlifySiteArgs
from components.netlify.variables import fingerprint, site_variables, sms_pepper
from components.stack_config import load_stack_config
from tests.unit.test_stack_config import VALID, with_changes

# How the SDK marks a secret value when it serialises resource inputs.
SECRET_SIG, SECRET_MARK = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.resources.append(args)
        outputs = dict(args.inputs)
        if args.typ.endswith("secrets:GeneratedSecret"):
            outputs["result"] = "generated-pepper-" + "x" * 31
        if args.typ.endswith("netlify:ProductionBuild"):
            outputs["deploy_id"] = "0123456789abcdef01234567"
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


@pytest.fixture
def mocks() -> Iterator[RecordingMocks]:
    # The SDK registers on the thread's event loop; an `asyncio.run()` earlier in this process
    # (the monitor's probes, the Twilio emulator's tests) leaves the main thread without one.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    recorder = RecordingMocks()
    pulumi.runtime.set_mocks(recorder, project="soundfactory", stack="unit", preview=False)
    yield recorder
    asyncio.set_event_loop(None)
    loop.close()


def build_site(config_values: dict[str, str]) -> NetlifySite:
    config = load_stack_config(config_values)
    return NetlifySite(
        "site",
        NetlifySiteArgs(netlify=config.netlify, variables=site_variables(config, pulumi.Output.secret("p"))),
    )


@pulumi.runtime.test
def test_custom_sms_site_manages_every_required_variable(mocks: RecordingMocks) -> pulumi.Output[Any]:
    site = build_site(VALID)

    def check(_: Any) -> None:
        env_vars = {r.inputs["key"]: r for r in mocks.resources if r.typ.endswith("netlify:EnvVar")}
        assert set(env_vars) == {
            "SUPABASE_URL", "SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY", "STRIPE_SECRET_KEY", "SMS_PEPPER",
            "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER",
            "USE_SUPABASE_PHONE_OTP", "PROCESS_COMMISSIONS",
        }  # fmt: skip
        secrets = {key for key, r in env_vars.items() if r.inputs["is_secret"]}
        # By what each is: the anon key and the URL ship in the browser bundle, so they are plain
        # (marked secret, Netlify's scan would fail every build that bundles them).
        assert secrets == {"SUPABASE_SERVICE_ROLE_KEY", "STRIPE_SECRET_KEY", "SMS_PEPPER", "TWILIO_AUTH_TOKEN"}
        flag = env_vars["USE_SUPABASE_PHONE_OTP"].inputs
        assert flag["values"] == {c: "false" for c in ("production", "deploy-preview", "branch-deploy", "dev")}
        commissions = env_vars["PROCESS_COMMISSIONS"].inputs["values"]
        assert commissions == {
            "production": "true",
            **dict.fromkeys(("deploy-preview", "branch-deploy", "dev"), "false"),
        }
        for key in secrets:  # production credentials reach production only
            values = env_vars[key].inputs["values"]
            assert values.get(SECRET_SIG) == SECRET_MARK, f"{key} values are not a secret"
            assert set(values["value"]) == {"production"}, key
            assert env_vars[key].inputs["sources"]["deploy-preview"] == "no value"
        # No preview Supabase declared: previews get no Supabase at all rather than production's.
        assert env_vars["SUPABASE_ANON_KEY"].inputs["values"] == {"production": "anon"}
        assert env_vars["SUPABASE_URL"].name == "site-SUPABASE_URL"
        builds = [r for r in mocks.resources if r.typ.endswith("netlify:ProductionBuild")]
        assert len(builds) == 1
        assert builds[0].inputs["pinned"] is False

    return site.build_deploy_id.apply(check)


@pulumi.runtime.test
def test_supabase_otp_site_drops_twilio(mocks: RecordingMocks) -> pulumi.Output[Any]:
    site = build_site(
        with_changes(USE_SUPABASE_PHONE_OTP="true", twilioAccountSid=None, twilioAuthToken=None, twilioFromNumber=None)
    )

    def check(_: Any) -> None:
        keys = {r.inputs["key"] for r in mocks.resources if r.typ.endswith("netlify:EnvVar")}
        assert not any(key.startswith("TWILIO_") for key in keys)
        assert "USE_SUPABASE_PHONE_OTP" in keys

    return site.build_deploy_id.apply(check)


def test_fingerprint_follows_everything_a_write_changes() -> None:
    def var(value: str, *, secret: bool = False, contexts: tuple[str, ...] = ("production",)) -> dict[str, object]:
        return {"values": dict.fromkeys(contexts, value), "is_secret": secret, "scopes": ["builds"]}

    base = {"A": var("1"), "SECRET": var("s", secret=True)}
    assert fingerprint(base) == fingerprint(dict(reversed(list(base.items()))))
    assert fingerprint(base) != fingerprint({**base, "SECRET": var("t", secret=True)})
    assert fingerprint(base) != fingerprint({**base, "B": var("2")})
    assert fingerprint(base) != fingerprint({**base, "A": var("1", secret=True)})
    assert fingerprint(base) != fingerprint({**base, "A": var("1", contexts=("production", "dev"))})


@pulumi.runtime.test
def test_previews_get_declared_test_values_only(mocks: RecordingMocks) -> pulumi.Output[Any]:
    site = build_site(
        with_changes(previewStripeSecretKey="sk_test_preview", previewSupabaseUrl="https://preview.supabase.co")
    )

    def check(_: Any) -> None:
        env_vars = {r.inputs["key"]: r.inputs for r in mocks.resources if r.typ.endswith("netlify:EnvVar")}
        stripe = env_vars["STRIPE_SECRET_KEY"]
        assert stripe["values"]["value"] == {
            "production": VALID["soundfactory:stripeSecretKey"],
            "deploy-preview": "sk_test_preview",
            "branch-deploy": "sk_test_preview",
        }
        assert stripe["sources"]["deploy-preview"] == "test value (previewStripeSecretKey)"
        assert stripe["sources"]["dev"] == "no value"  # a secret's dev value would be readable
        assert env_vars["SUPABASE_URL"]["values"]["dev"] == "https://preview.supabase.co"

    return site.build_deploy_id.apply(check)


@pulumi.runtime.test
def test_configured_pepper_is_used_as_a_secret(mocks: RecordingMocks) -> pulumi.Output[Any]:
    config = load_stack_config(with_changes(smsPepper="configured"))
    by_key = {v.key: v for v in site_variables(config, sms_pepper(config))}
    pepper = pulumi.Output.from_input(by_key["SMS_PEPPER"].value)

    def check(args: list[Any]) -> None:
        value, secret = args
        assert value == "configured"
        assert secret is True
        assert by_key["SMS_PEPPER"].secret
        assert not [r for r in mocks.resources if r.typ.endswith("GeneratedSecret")]

    return pulumi.Output.all(pepper, pepper.is_secret()).apply(check)


@pulumi.runtime.test
def test_a_value_stored_with_secret_is_a_secret_variable(mocks: RecordingMocks) -> pulumi.Output[Any]:
    secret_keys = [
        f"soundfactory:{k}"
        for k in ("supabaseAnonKey", "supabaseServiceRoleKey", "twilioAuthToken", "stripeSecretKey", "twilioAccountSid")
    ]
    config = load_stack_config(VALID, secret_keys)
    by_key = {v.key: v for v in site_variables(config, "pepper")}
    sid = pulumi.Output.from_input(by_key["TWILIO_ACCOUNT_SID"].value)

    def check(args: list[Any]) -> None:
        value, secret = args
        assert value == VALID["soundfactory:twilioAccountSid"]
        assert secret is True
        assert by_key["TWILIO_ACCOUNT_SID"].secret
        assert not by_key["TWILIO_FROM_NUMBER"].secret

    return pulumi.Output.all(sid, sid.is_secret()).apply(check)


@pulumi.runtime.test
def test_missing_pepper_is_generated_once_as_a_secret(mocks: RecordingMocks) -> pulumi.Output[Any]:
    config = load_stack_config(with_changes(smsPepper=None))
    pepper = pulumi.Output.from_input(sms_pepper(config))

    def check(value: str) -> None:
        generated = [r for r in mocks.resources if r.typ.endswith("secrets:GeneratedSecret")]
        assert [r.name for r in generated] == ["sms-pepper"]
        assert generated[0].inputs["length"] == 48
        assert value == "generated-pepper-" + "x" * 31

    return pepper.apply(check)
