#!/usr/bin/env bash
# Installs the dev tooling locked in package-lock.json (vendor specs such as Netlify's
# @netlify/open-api) into node_modules/, only when the lock is newer than the install.
# Uses shell builtins up to the npm call, so a machine without Node.js gets the message.
set -euo pipefail

root=${BASH_SOURCE[0]%/*}/..
cd "$root"

say() { printf '[setup-node] %s\n' "$*" >&2; }

stamp=node_modules/.package-lock.json
if [ -f "$stamp" ] && [ ! package-lock.json -nt "$stamp" ] && [ ! package.json -nt "$stamp" ]; then
  say "node_modules matches package-lock.json (cached)"
  exit 0
fi

if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  say "ERROR: Node.js and npm are not installed.
  The set-up installs pinned vendor API specs (package-lock.json) with npm. Install
  Node.js >= 18 with npm >= 7 (Debian: apt-get install nodejs npm), then run 'make setup' again."
  exit 1
fi

say "npm ci (package-lock.json changed or node_modules is missing)"
npm ci --no-audit --no-fund --loglevel=error
