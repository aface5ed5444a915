"""Backups as code: the S3 bucket, its identities and the cron host (playbook section 11)."""
