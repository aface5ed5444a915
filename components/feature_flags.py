"""The site's feature flags: the one place they are declared.

Each flag is a top-level project config key (so `pulumi config set
USE_SUPABASE_PHONE_OTP false` works as written) and becomes a Netlify variable
of the same name. Adding a flag is one line here plus its schema entry in
Pulumi.yaml (a unit test keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeatureFlag:
    name: str
    default: bool
    description: str


FLAGS: tuple[FeatureFlag, ...] = (
    FeatureFlag("USE_SUPABASE_PHONE_OTP", False, "Use Supabase phone OTP instead of the custom Twilio SMS functions"),
    FeatureFlag("PROCESS_COMMISSIONS", True, "Let the stripe-webhook function process commission events"),
)

FLAG_NAMES = frozenset(flag.name for flag in FLAGS)
