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
  # The demo's backups are throwaway: empty the local bucket as the local S3 admin (break-glass),
  # because `destroy` never deletes a bucket that holds backups.
  bucket=$(pulumi config get backupBucket --stack "$stack" 2>/dev/null || true)
  if [ -n "$bucket" ] && [ -f .local-services/s3/credentials ]; then
    python -m local_services.s3.empty_bucket "$bucket" || true
  fi
  pulumi destroy --stack "$stack" --yes --skip-preview
  exit 0
fi

# --refresh: the local S3 keeps its state in memory, so after a restart of the local services
# the stack's record of its bucket and keys is stale; a refresh first lets this up recreate them
# (and is a no-op otherwise).
pulumi up --stack "$stack" --yes --skip-preview --refresh

# One backup, taken by running the installed crontab line on the backup host as cron would,
# then listed with the restore identity (playbook 11). On `local`, sfops reads the restore key
# and the database URL from the stack itself (--credentials-from-stack is its default there):
# no exports. The listing goes to stderr: stdout ends with the stack outputs.
host_user=$(pulumi config get backupHostUser --stack "$stack")
host_port=$(pulumi config get backupHostPort --stack "$stack")
on_host=(ssh -i .local-services/sshd/client_ed25519 -o UserKnownHostsFile=.local-services/sshd/known_hosts
  -o StrictHostKeyChecking=yes -o BatchMode=yes -p "$host_port" "$host_user@127.0.0.1")
# This stack's line (the backup user's crontab may hold other clones' lines too).
install_dir=$(pulumi config get backupInstallDir --stack "$stack" 2>/dev/null || echo soundfactory-backup)
cron_line=$("${on_host[@]}" crontab -l | awk -v tag="# soundfactory-infra backup $install_dir" \
  'length($0) >= length(tag) && substr($0, length($0) - length(tag) + 1) == tag' | head -n 1)
cron_command=$(printf '%s\n' "$cron_line" | cut -d' ' -f6- | sed 's/ # soundfactory-infra backup .*$//')
echo "demo: running the backup host's crontab command: $cron_command" >&2
if ! "${on_host[@]}" "cd && sh -c $(printf '%q' "$cron_command")"; then
  echo "demo: the backup failed; its log:" >&2
  "${on_host[@]}" "cd && tail -n 5 $(printf '%q' "$install_dir")/backup.log" >&2 || true
  exit 1
fi
scripts/bin/sfops --stack "$stack" restore --list >&2

pulumi stack output --stack "$stack" --json
