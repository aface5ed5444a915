#!/usr/bin/env bash
# System packages the test layer needs: PostgreSQL server binaries (sfops patches tests,
# local_services/postgres.py) and headless Chromium + chromedriver (status page test).
# Installs only what is missing; explains instead of failing obscurely without root.
set -euo pipefail
missing=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null || missing+=(postgresql)
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
  echo "setup-system: missing ${missing[*]}; install them (apt-get install ${missing[*]}) as root and rerun." >&2
  exit 1
fi
sudo=$([ "$(id -u)" -eq 0 ] && echo "" || echo sudo)
echo "[setup-system] installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null || {
  echo "setup-system: apt-get install ${missing[*]} failed; install them by hand and rerun." >&2
  exit 1
}
