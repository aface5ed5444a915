"""A complete, valid configuration for throwaway stacks (integration tests, benchmarks).

The secret values are distinctive, so a scan of state and output finds any leak.
"""

from __future__ import annotations

SITE_ID = "7b1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
ACCOUNT_ID = "soundfactory-it"
TOKEN = "integration-token"  # noqa: S105 - a throwaway emulator's credential

PLAIN = {
    "netlifyAccountId": ACCOUNT_ID,
    "netlifySiteId": SITE_ID,
    "supabaseUrl": "https://it.supabase.co",
    "twilioAccountSid": "AC0123456789abcdef0123456789abcdef",
    "twilioFromNumber": "+12125550123",
    "deployTimeoutSeconds": "60",
    # Never Stripe's own API from a test: a stack that is not pointed at a local Stripe
    # emulator fails on this closed loopback port (the discard port) instead.
    "stripeApiUrl": "http://127.0.0.1:9",
}
SECRETS = {
    "netlifyToken": TOKEN,
    "supabaseAnonKey": "anon-7f3a9c1e5b2d4f60",
    "supabaseServiceRoleKey": "service-role-2c8e4a6f0b1d3e5a",
    "stripeSecretKey": "sk_test_4e6a8c0e2f4b6d8f",
    "smsPepper": "pepper-9d7b5f3a1c2e4a6c",
    "twilioAuthToken": "twilio-1a3c5e7f9b2d4f6a",
}
