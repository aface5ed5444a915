#!/usr/bin/env bash
# The project's virtualenv, made once per lock in the machine cache; .venv links to it, so a
# fresh clone of a commit this machine already set up costs a link and a no-op `uv sync`
# instead of a new environment and its bytecode (about 15 s before the first test).
#
# Bytecode is compiled here, once: where PYTHONDONTWRITEBYTECODE is set (these machines set
# it) Python never caches it, and every process the engine starts (program, provider)
# compiled the Pulumi SDK and our modules from source again (import pulumi: 0.8 s instead of
# 0.3 s). Our own packages are compiled in the checkout. Both steps only look at timestamps
# when nothing changed.
set -euo pipefail

root=$(cd "${BASH_SOURCE[0]%/*}/.." && pwd)
cd "$root"
# shellcheck source=scripts/lib/toolpaths.sh
source "$root/scripts/lib/toolpaths.sh"

say() { printf '[setup-python] %s\n' "$*" >&2; }
: "${UV:?set UV to the pinned uv (make setup-python does)}"

dest=$(sf_venv_dir)
marker="$dest/.soundfactory-complete"
mkdir -p "$(dirname "$dest")"

# Checkouts of one commit share the environment: one sync at a time (uv's own lock is per
# project directory). One that was never finished (a killed set-up) is made again whole.
exec 9>"$dest.lock"
flock 9
if [ -d "$dest" ] && [ ! -f "$marker" ]; then
  say "removing the unfinished environment $dest"
  rm -rf "$dest"
fi
# The marker goes while uv works on the environment: a sync cut short leaves none, whatever it was.
rm -f "$marker"
UV_PROJECT_ENVIRONMENT="$dest" "$UV" sync --frozen --quiet --compile-bytecode
touch "$marker"
flock -u 9

sf_link_cached .venv "$dest" "$dest" 'venv-*' .soundfactory-complete |
  while IFS= read -r old; do say "removing old environment $old"; done
env -u PYTHONDONTWRITEBYTECODE .venv/bin/python -m compileall -q "$@" >/dev/null
