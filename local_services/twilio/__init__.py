"""Local Twilio emulator on the shared kit: the Messages API subset `sfops monitor` reads."""

from local_services.twilio.server import RunningTwilio, start_emulator

__all__ = ["RunningTwilio", "start_emulator"]
