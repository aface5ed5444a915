"""`python -m local_services.stripe`: run the emulator until SIGTERM/SIGINT.

The accepted keys come from $STRIPE_EMULATOR_KEYS only (never argv, where `ps` shows them).
"""

from __future__ import annotations

import argparse
import sys

from local_services.common.process import port_arg, serve_until_signalled
from local_services.common.state_store import StateError
from local_services.stripe.server import KEYS_ENV, start_emulator
from local_services.stripe.spec import SpecMissing


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local_services.stripe",
        description=f"Local Stripe webhook-endpoint emulator on 127.0.0.1. Accepted keys: ${KEYS_ENV}.",
    )
    parser.add_argument("--port", type=port_arg, required=True, help="port of /v1 and /_emulator")
    parser.add_argument("--data-dir", required=True, help="where the state file lives (created if missing)")
    parser.add_argument("--log-requests", action="store_true", help="log each request line to stderr")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        emulator = start_emulator(args.data_dir, port=args.port, log_requests=args.log_requests)
    except (OSError, StateError, SpecMissing) as exc:
        print(f"stripe emulator: cannot start: {exc}", file=sys.stderr)
        return 1
    return serve_until_signalled(emulator, f"READY api={emulator.api_url}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
