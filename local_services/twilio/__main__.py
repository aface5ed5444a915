"""`python -m local_services.twilio`: run the emulator until SIGTERM/SIGINT.

The auth token comes from $TWILIO_EMULATOR_AUTH_TOKEN only (never argv, where `ps` shows it).
"""

from __future__ import annotations

import argparse
import sys

from local_services.common.process import port_arg, serve_until_signalled
from local_services.common.state_store import StateError
from local_services.twilio.server import TOKEN_ENV, start_emulator


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local_services.twilio",
        description=f"Local Twilio Messages API emulator on 127.0.0.1. Auth token: ${TOKEN_ENV}.",
    )
    parser.add_argument("--port", type=port_arg, required=True, help="port of /2010-04-01 and /_emulator")
    parser.add_argument("--data-dir", required=True, help="where the state file lives (created if missing)")
    parser.add_argument("--account-sid", required=True, help="the one account served (AC + 32 hex)")
    parser.add_argument("--log-requests", action="store_true", help="log each request line to stderr")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        emulator = start_emulator(args.data_dir, args.account_sid, port=args.port, log_requests=args.log_requests)
    except (OSError, StateError, ValueError) as exc:
        print(f"twilio emulator: cannot start: {exc}", file=sys.stderr)
        return 1
    return serve_until_signalled(emulator, f"READY api={emulator.api_url}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
