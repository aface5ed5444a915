"""A local backup host: OpenSSH's sshd, unprivileged, on a loopback port.

    python -m local_services.sshd --port 18022 --run-dir .local-services/sshd

sshd not started as root can only log in the user it runs as. So it runs as the
current user, or, when that is root, as the unprivileged `sfbackup` (created by
`make setup`), and that user is the backup user: its crontab and home directory
are what the stack's CronHost manages.

Keys are generated on first start and reused: the host key and authorized_keys
live in a server directory owned by that user (mode 0700) outside any group- or
world-writable directory, so StrictModes stays on; the client key and a
known_hosts line for the host key are written to `--run-dir` for the stack
(`backupSshKeyFile`, `backupKnownHostsFile`).
"""

from local_services.sshd.server import SshdFiles, backup_user, prepare, sshd_service

__all__ = ["SshdFiles", "backup_user", "prepare", "sshd_service"]
