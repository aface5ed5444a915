#!/usr/bin/env bash
# Installs the dev tooling locked in package-lock.json (vendor specs such as Netlify's
# @netlify/open-api, netlify-cli) once per lock into the machine cache, and links the
# checkout's node_modules to it: a fresh clone of a commit another checkout already set up
# costs a symlink instead of `npm ci` (about 35 s and 1061 packages). Nothing writes to the
# install after it is finished, so checkouts share it read-only.
# Uses shell builtins up to the npm call, so a machine without Node.js gets the message.
set -euo pipefail

root=$(cd "${BASH_SOURCE[0]%/*}/.." && pwd)
cd "$root"
# shellcheck source=scripts/lib/toolpaths.sh
source "$root/scripts/lib/toolpaths.sh"

say() { printf '[setup-node] %s\n' "$*" >&2; }

dest=$(sf_node_dir)

link() {
  sf_link_cached node_modules "$dest/node_modules" "$dest" 'node-*' .complete |
    while IFS= read -r old; do say "removing old install $old"; done
}

if [ -f "$dest/.complete" ]; then
  link
  say "node_modules -> $dest (cached)"
  exit 0
fi

if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  say "ERROR: Node.js and npm are not installed.
  The set-up installs pinned vendor API specs (package-lock.json) with npm. Install
  Node.js >= 18 with npm >= 7 (Debian: apt-get install nodejs npm), then run 'make setup' again."
  exit 1
fi

say "npm ci into $dest (package-lock.json not installed on this machine yet)"
mkdir -p "$(dirname "$dest")"
# Built beside its final place and renamed when complete: a killed run leaves no half install
# under the final name, and two checkouts installing at once both end with a whole one.
building=$(mktemp -d "$dest.building.XXXXXX")
trap 'rm -rf "$building"' EXIT
cp package.json package-lock.json "$building/"
(cd "$building" && npm ci --no-audit --no-fund --loglevel=error)
touch "$building/.complete"
if ! mv -T "$building" "$dest" 2>/dev/null; then
  say "another checkout finished the same install first; using it"
fi
link
