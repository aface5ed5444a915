#!/usr/bin/env bash
# The playbook's `./verify-production.sh` (§2, §3, §5.1): now `sfops verify` on the prod stack.
# SFOPS_STACK=local scripts/verify-production.sh checks the local site instead.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exec "$root/scripts/bin/sfops" --stack "${SFOPS_STACK:-prod}" verify "$@"
