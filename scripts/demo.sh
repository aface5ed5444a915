#!/usr/bin/env bash
# `make demo`: pulumi up the `local` stack against the local services and print its
# outputs. `--down` destroys the local stack's resources instead.
# Expects the environment of .envrc (the Makefile sources it).
set -euo pipefail
cd "$(dirname "$0")/.."

stack=local
if ! pulumi stack ls --json 2>/dev/null | grep -q "\"name\": \"$stack\""; then
  pulumi stack init "$stack" >/dev/null
fi

if [ "${1:-}" = "--down" ]; then
  pulumi destroy --stack "$stack" --yes --skip-preview
  exit 0
fi

pulumi up --stack "$stack" --yes --skip-preview
pulumi stack output --stack "$stack" --json
