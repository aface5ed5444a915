#!/bin/sh
# soundfactory-backup (placeholder, installed by soundfactory-infra until `sfops backup` replaces it).
# Usage: soundfactory-backup ENV_FILE
# Proves the cron host can read its env file and that every setting is there; takes no backup.
# It never prints a value: the env file holds credentials.
set -eu
env_file=${1:?usage: soundfactory-backup ENV_FILE}
if [ ! -r "$env_file" ]; then
  echo "soundfactory-backup: cannot read $env_file" >&2
  exit 1
fi
set -a
. "$env_file"
set +a
missing=""
for key in DATABASE_URL BACKUP_BUCKET BACKUP_PREFIX S3_ENDPOINT_URL AWS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY BACKUP_RECIPIENT; do
  eval "value=\${$key:-}"
  [ -n "$value" ] || missing="$missing $key"
done
if [ -n "$missing" ]; then
  echo "soundfactory-backup: $env_file lacks:$missing" >&2
  exit 1
fi
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) soundfactory-backup: $env_file is readable and complete (placeholder: no backup taken)"
