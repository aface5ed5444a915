#!/usr/bin/env bash
# `make demo`: pulumi up the `local` stack against the local services and print its
# outputs. `--down` destroys the local stack's resources instead.
# Expects the environment of .envrc (the Makefile sources it).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pulumi >/dev/null 2>&1; then
  echo "demo: pulumi is not on PATH; run 'make demo' (it sets everything up), or 'make setup && source .envrc'." >&2
  exit 1
fi

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
