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
repo=$(cd "$(dirname "$0")/.." && pwd)
venv="$repo/.tools/backup-host-venv"
host_python=$(command -v /usr/bin/python3 || command -v python3)
if [ -n "${UV:-}" ] && { [ ! -f "$venv/.installed" ] || [ "$repo/uv.lock" -nt "$venv/.installed" ]; }; then
  echo "setup-backup-host: installing the backup host's packages into $venv" >&2
  requirements=$(mktemp)
  (cd "$repo" && "$UV" export --frozen --only-group backup-host --no-hashes --no-emit-project --quiet) >"$requirements"
  "$UV" venv --quiet --allow-existing --python "$host_python" "$venv"
  "$UV" pip install --quiet --python "$venv/bin/python" --link-mode copy -r "$requirements"
  rm -f "$requirements"
  chmod -R a+rX "$venv"
  touch "$venv/.installed"
fi
