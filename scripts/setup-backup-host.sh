#!/usr/bin/env bash
# Set-up for the local backup host (called by make): OpenSSH's sshd and cron's crontab,
# from Debian packages when missing, and, as root, the unprivileged user the local sshd
# runs as (sshd not started as root can only log in the user it runs as).
set -euo pipefail
BACKUP_USER=sfbackup

missing=()
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v crontab >/dev/null 2>&1 || missing+=(cron)
command -v setpriv >/dev/null 2>&1 || [ "$(id -u)" -ne 0 ] || missing+=(util-linux)

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-backup-host: ${missing[*]} not installed; as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-backup-host: ${missing[*]} not installed and apt-get is not available;" \
      "install OpenSSH's sshd and cron's crontab with this system's package manager, then rerun make." >&2
    exit 1
  fi
  echo "setup-backup-host: installing ${missing[*]} (apt-get)" >&2
  # Install without starting the packages' system services: the local sshd is ours, on loopback.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$(id -u)" -eq 0 ] && ! id "$BACKUP_USER" >/dev/null 2>&1; then
  echo "setup-backup-host: creating user $BACKUP_USER (the local backup host's backup user)" >&2
  useradd --create-home --shell /bin/sh "$BACKUP_USER"
fi

# The backup host's Python for `sfops backup` (the bundle the stack installs): the `backup-host`
# dependency group (pyproject.toml, pinned by uv.lock) in a venv on the system's python3, which the
# unprivileged backup user can run (the project's .venv may sit on an interpreter under /root).
# It lives outside the clone, because the backup user may not be able to enter the clone's
# directory (a clone under /root or in a `mktemp -d` directory is 0700): in that user's home when
# make runs as root (the user is sfbackup), else in the cache (the backup user is you). One venv
# per set of requirements; .tools/backup-host-venv links to this clone's; unused ones go after a day.
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/toolpaths.sh
source "$repo/scripts/lib/toolpaths.sh"
[ -n "${UV:-}" ] || exit 0
if [ "$(id -u)" -eq 0 ]; then
  venvs="$(getent passwd "$BACKUP_USER" | cut -d: -f6)/.cache/soundfactory-infra"
else
  venvs=$(sf_cache_root)
fi
host_python=$(command -v /usr/bin/python3 || command -v python3)
requirements=$(mktemp)
trap 'rm -f "$requirements"' EXIT
(cd "$repo" && "$UV" export --frozen --only-group backup-host --no-hashes --no-emit-project --quiet) >"$requirements"
# "bytecode": venvs made before packages were compiled at install get rebuilt once.
key=$({ cat "$requirements"; "$host_python" -c 'import sys; print(sys.version)'; echo bytecode; } | sha256sum | cut -c1-12)
venv="$venvs/backup-host-venv-$key"
if [ ! -f "$venv/.installed" ]; then
  echo "setup-backup-host: installing the backup host's packages into $venv" >&2
  mkdir -p "$venvs"
  chmod a+rx "$venvs" "$(dirname "$venvs")"
  rm -rf "$venv"
  "$UV" venv --quiet --python "$host_python" "$venv"
  # Compiled at install: where PYTHONDONTWRITEBYTECODE is set, each nightly run would compile them again.
  "$UV" pip install --quiet --python "$venv/bin/python" --link-mode copy --compile-bytecode -r "$requirements"
  chmod -R a+rX "$venv"
  touch "$venv/.installed"
fi
sf_prune_builds "$venv" 'backup-host-venv-*' .installed >/dev/null
mkdir -p "$repo/.tools"
if [ "$(readlink "$repo/.tools/backup-host-venv" 2>/dev/null)" != "$venv" ]; then
  rm -rf "$repo/.tools/backup-host-venv"  # a real directory left by an older set-up
  ln -s "$venv" "$repo/.tools/backup-host-venv"
fi
