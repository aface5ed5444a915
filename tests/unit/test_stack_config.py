"""The typed config: valid stacks load, each kind of bad input names the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.stack_config import ConfigError, load_stack_config

REPO = Path(__file__).resolve().parents[2]

VALID: dict[str, str] = {
    "soundfactory:netlifyAccountId": "soundfactory-test",
    "soundfactory:netlifySiteId": "5f0c3e1a-2b4d-4c6e-8a10-0123456789ab",
    "soundfactory:netlifyApiUrl": "http://127.0.0.1:1/api/v1",
    "soundfactory:siteUrl": "http://127.0.0.1:2",
    "soundfactory:supabaseUrl": "https://abc.supabase.co",
    "soundfactory:supabaseAnonKey": "anon",
    "soundfactory:supabaseServiceRoleKey": "service",
    "soundfactory:stripeSecretKey": "sk_test_abc123",
    "soundfactory:twilioAccountSid": "AC0123456789abcdef0123456789abcdef",
    "soundfactory:twilioAuthToken": "twilio-token",
    "soundfactory:twilioFromNumber": "+12125550123",
}


def with_changes(**changes: str | None) -> dict[str, str]:
    config = dict(VALID)
    for key, value in changes.items():
        if value is None:
            config.pop(f"soundfactory:{key}", None)
        else:
            config[f"soundfactory:{key}"] = value
    return config


def test_valid_config_loads_with_flag_defaults() -> None:
    config = load_stack_config(VALID)
    assert config.flags == {"USE_SUPABASE_PHONE_OTP": False, "PROCESS_COMMISSIONS": True}
    assert config.netlify.env_contexts == ("production", "deploy-preview", "branch-deploy", "dev")
    assert config.netlify.pinned_deploy is None
    assert config.app.twilio is not None


def test_flags_parse_case_insensitively() -> None:
    config = load_stack_config(with_changes(USE_SUPABASE_PHONE_OTP="True", PROCESS_COMMISSIONS="FALSE"))
    assert config.flags == {"USE_SUPABASE_PHONE_OTP": True, "PROCESS_COMMISSIONS": False}


def test_twilio_is_optional_when_supabase_otp_is_on() -> None:
    config = load_stack_config(
        with_changes(USE_SUPABASE_PHONE_OTP="true", twilioAccountSid=None, twilioAuthToken=None, twilioFromNumber=None)
    )
    assert config.app.twilio is None


def test_engine_namespace_is_left_to_the_engine() -> None:
    config = load_stack_config({**VALID, "pulumi:disable-default-providers": '["*"]'})
    assert config.netlify.site_id == VALID["soundfactory:netlifySiteId"]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("soundfatory:USE_SUPABASE_PHONE_OTP", "did you mean soundfactory:USE_SUPABASE_PHONE_OTP?"),
        ("netlify:PROCESS_COMMISSIONS", "did you mean soundfactory:PROCESS_COMMISSIONS?"),
        ("aws:region", "no part of this program reads the namespace 'aws'"),
    ],
)
def test_a_key_in_a_namespace_nothing_reads_is_refused(key: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_stack_config({**VALID, key: "true"})
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(f"{key}: ")
    assert expected in caught.value.problems[0]


def test_a_misspelt_key_gets_the_closest_known_one() -> None:
    with pytest.raises(ConfigError) as caught:
        load_stack_config(with_changes(pinnedDeploys="abc"))
    assert "did you mean pinnedDeploy?" in caught.value.problems[0]


def test_connection_spellings_are_normalised() -> None:
    config = load_stack_config(
        with_changes(netlifyAccountId="SoundFactory-Test", netlifyApiUrl="HTTP://LocalHost:1/api/v1/")
    )
    assert config.netlify.account_id == "soundfactory-test"
    assert config.netlify.api_url == "http://localhost:1/api/v1"


@pytest.mark.parametrize(
    "pasted",
    [
        "https://app.netlify.com/sites/soundfactory/deploys/0123456789abcdef01234567",
        "https://0123456789abcdef01234567--soundfactory.netlify.app",
        " 0123456789ABCDEF01234567 ",
    ],
)
def test_a_pasted_deploy_url_pins_its_id(pasted: str) -> None:
    assert load_stack_config(with_changes(pinnedDeploy=pasted)).netlify.pinned_deploy == "0123456789abcdef01234567"


def test_keys_stored_as_secrets_are_remembered() -> None:
    secret_keys = [
        f"soundfactory:{k}"
        for k in ("supabaseAnonKey", "supabaseServiceRoleKey", "twilioAuthToken", "stripeSecretKey", "twilioAccountSid")
    ]
    config = load_stack_config(VALID, secret_keys)
    assert config.is_secret("twilioAccountSid")
    assert config.is_secret("smsPepper")
    assert not config.is_secret("twilioFromNumber")


BAD_CONFIGS: list[tuple[str, dict[str, str | None], str]] = [
    (
        "unknown flag",
        {"USE_TWILIO_VERIFY": "true"},
        "USE_TWILIO_VERIFY: unknown config key; declared feature flags",
    ),
    (
        "non-boolean flag",
        {"USE_SUPABASE_PHONE_OTP": "yes"},
        "USE_SUPABASE_PHONE_OTP: 'yes' is not a boolean; allowed values: true, false",
    ),
    (
        "non-boolean commissions flag",
        {"PROCESS_COMMISSIONS": "1"},
        "PROCESS_COMMISSIONS: '1' is not a boolean",
    ),
    (
        "missing service role key",
        {"supabaseServiceRoleKey": None},
        "supabaseServiceRoleKey: required but not set (fix: pulumi config set --secret",
    ),
    ("missing stripe key", {"stripeSecretKey": None}, "stripeSecretKey: required but not set"),
    ("missing anon key", {"supabaseAnonKey": None}, "supabaseAnonKey: required but not set"),
    (
        "twilio missing with custom sms",
        {"twilioAuthToken": None},
        "USE_SUPABASE_PHONE_OTP is false, so the custom SMS functions need Twilio, but twilioAuthToken is not set",
    ),
    (
        "all twilio missing with custom sms",
        {"twilioAccountSid": None, "twilioAuthToken": None, "twilioFromNumber": None},
        "twilioAccountSid, twilioAuthToken, twilioFromNumber are not set",
    ),
    ("malformed site id", {"netlifySiteId": "my-site"}, "netlifySiteId: 'my-site' is not a Netlify site id"),
    ("missing site id", {"netlifySiteId": None}, "netlifySiteId: required but not set"),
    (
        "malformed account",
        {"netlifyAccountId": "Sound Factory"},
        "netlifyAccountId: 'sound factory' is not a Netlify team slug",
    ),
    (
        "malformed pinned deploy",
        {"pinnedDeploy": "last-good"},
        "pinnedDeploy: 'last-good' is not a Netlify deploy id",
    ),
    (
        "unknown context",
        {"envContexts": "production,staging"},
        "envContexts: unknown deploy context 'staging'",
    ),
    ("production context missing", {"envContexts": "dev"}, "envContexts: must include production"),
    ("empty contexts", {"envContexts": " , "}, "envContexts: empty; list the deploy contexts"),
    ("context twice", {"envContexts": "production,dev,dev"}, "envContexts: lists dev more than once"),
    ("stray comma", {"envContexts": "production,,dev"}, "envContexts: 'production,,dev' has an empty entry"),
    (
        "bad api url",
        {"netlifyApiUrl": "api.netlify.com"},
        "netlifyApiUrl: 'api.netlify.com' is not an http(s) URL",
    ),
    ("bad supabase url", {"supabaseUrl": "ftp://x"}, "supabaseUrl: 'ftp://x' is not an http(s) URL"),
    (
        "supabase url with a header after a newline",
        {"supabaseUrl": "https://abc.supabase.co\nX-Injected: 1"},
        "supabaseUrl: 'https://abc.supabase.co\\nX-Injected: 1' contains a newline at position 23",
    ),
    (
        "supabase url with a unicode host",
        {"supabaseUrl": "https://ab\u00e7.supabase.co"},
        "use the punycode form 'xn--ab-5ia.supabase.co'",
    ),
    (
        "supabase url of 100 kB",
        {"supabaseUrl": "https://abc.supabase.co/" + "a" * 100_000},
        "is 100024 characters long; a URL here is at most 2048",
    ),
    (
        "values over the functions' 4 KiB",
        {"supabaseServiceRoleKey": "k" * 4000},
        "supabaseServiceRoleKey (4000 bytes)",
    ),
    (
        "bad timeout",
        {"deployTimeoutSeconds": "5"},
        "deployTimeoutSeconds: '5' must be a whole number of seconds from 30 to 3600",
    ),
    ("non-boolean wait", {"waitForDeploy": "sometimes"}, "waitForDeploy: 'sometimes' is not a boolean"),
    (
        "bad twilio sid",
        {"twilioAccountSid": "123"},
        "twilioAccountSid: expected 'AC' followed by 32 hex characters",
    ),
    ("bad twilio number", {"twilioFromNumber": "555-0123"}, "twilioFromNumber: expected an E.164 number"),
    (
        "publishable key as secret key",
        {"stripeSecretKey": "pk_live_abc"},
        "stripeSecretKey: expected a Stripe secret key",
    ),
]


@pytest.mark.parametrize(
    ("changes", "expected"), [(c, e) for _, c, e in BAD_CONFIGS], ids=[n for n, _, _ in BAD_CONFIGS]
)
def test_bad_config_names_the_problem(changes: dict[str, str | None], expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_stack_config(with_changes(**changes))
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        load_stack_config(with_changes(netlifySiteId="x", USE_SUPABASE_PHONE_OTP="maybe", stripeSecretKey=None))
    assert len(caught.value.problems) == 3
    assert str(caught.value).startswith("invalid stack configuration:\n  - ")


def test_a_secret_stored_in_plain_text_is_refused() -> None:
    secret_keys = [f"soundfactory:{k}" for k in ("supabaseAnonKey", "supabaseServiceRoleKey", "twilioAuthToken")]
    with pytest.raises(ConfigError) as caught:
        load_stack_config(VALID, secret_keys)
    assert caught.value.problems == [
        "stripeSecretKey: stored in plain text but must be a secret "
        "(fix: pulumi config rm stripeSecretKey && pulumi config set --secret stripeSecretKey)"
    ]


def test_encrypted_secrets_pass() -> None:
    secret_keys = [
        f"soundfactory:{k}" for k in ("supabaseAnonKey", "supabaseServiceRoleKey", "twilioAuthToken", "stripeSecretKey")
    ]
    assert load_stack_config(VALID, secret_keys).app.stripe_secret_key == "sk_test_abc123"


def test_committed_prod_config_names_what_the_operator_must_still_set() -> None:
    committed = yaml.safe_load((REPO / "Pulumi.prod.yaml").read_text())["config"]
    with pytest.raises(ConfigError) as caught:
        load_stack_config({key: str(value) for key, value in committed.items()})
    missing = {problem.split(":")[0] for problem in caught.value.problems}
    assert {"netlifyAccountId", "netlifySiteId", "supabaseUrl", "supabaseAnonKey", "stripeSecretKey"} <= missing


@pytest.mark.parametrize(
    ("changes", "phrase"),
    [
        ({"previewStripeSecretKey": "sk_live_abc"}, "previewStripeSecretKey: not a test-mode key"),
        ({"previewStripeSecretKey": "sk_test_abc123"}, "previewStripeSecretKey: the same as stripeSecretKey"),
        ({"previewSupabaseUrl": "https://abc.supabase.co/"}, "previewSupabaseUrl: the same as supabaseUrl"),
        ({"previewSupabaseAnonKey": "preview-anon"}, "need its URL"),
    ],
)
def test_preview_values_must_not_be_production_ones(changes: dict[str, str], phrase: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_stack_config(with_changes(**changes))
    assert phrase in str(caught.value)


def test_preview_values_load() -> None:
    config = load_stack_config(
        with_changes(previewStripeSecretKey="rk_test_x", previewSupabaseUrl="https://Preview.supabase.co/")
    )
    assert config.app.preview.stripe_secret_key == "rk_test_x"
    assert config.app.preview.supabase_url == "https://preview.supabase.co"


def test_a_secret_with_a_control_character_is_named_but_never_shown() -> None:
    with pytest.raises(ConfigError) as caught:
        load_stack_config(with_changes(stripeSecretKey="sk_test_secretvalue\r\nX-Evil: 1"))
    problems = "\n".join(caught.value.problems)
    assert "stripeSecretKey: contains a carriage return at position 19" in problems
    assert "secretvalue" not in problems
