"""`python -m local_services up|down|status`: the `local` stack's services on loopback."""

from __future__ import annotations

import sys

from local_services.backup_key import ensure_age_key_pair
from local_services.catalog import local_stack_services
from local_services.supervisor import healthy, start, stop

USAGE = "usage: python -m local_services up|down|status"


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in ("up", "down", "status"):
        print(USAGE, file=sys.stderr)
        return 2
    services = local_stack_services()
    if argv[0] == "up":
        ensure_age_key_pair()  # the local stack's backupRecipientFile; the identity stays here for sfops restore
        for service in services:
            start(service)
    elif argv[0] == "down":
        for service in reversed(services):
            stop(service)
    else:
        for service in services:
            print(f"{service.name}: {'up' if healthy(service.health_url) else 'down'} ({service.health_url})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
