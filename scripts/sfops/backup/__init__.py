"""`sfops backup`: the nightly job the cron host runs (pg_dump -> zstd -> age -> S3 multipart).

This package is also shipped on its own to the backup host (see
`components.backups.host_bundle`): it imports nothing from the rest of the repo and needs
only `boto3`, `click`, `httpx`, `pyrage`, `structlog` and `zstandard` (the `backup-host`
dependency group) plus PostgreSQL's client programs `pg_dump` and `psql`.
"""
