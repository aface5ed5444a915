"""Local Stripe emulator on the shared kit: webhook endpoints and event delivery."""

from local_services.stripe.server import RunningStripe, start_emulator

__all__ = ["RunningStripe", "start_emulator"]
