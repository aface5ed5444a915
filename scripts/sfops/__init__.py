"""sfops: the playbook's operator tools (preflight, patches, verify, monitor, drift) as one CLI.

Results go to stdout (rich tables for people, one JSON document with --json), messages
and progress to stderr. Exit codes are the same for every command: see `sfops.context.Exit`.
"""
