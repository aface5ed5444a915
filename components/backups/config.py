"""The backups section of the stack config: typed, validated once, every problem named with its fix.

`parse_backup_config` is called by `components.stack_config.load_stack_config`; it appends
problems in the same style (`key: what is wrong (fix: ...)`) and returns None when backups
are off (`backupsEnabled` false) or when something is wrong.

The SSH private key (`backupSshPrivateKey` secret, or `backupSshKeyFile`) and the AWS
credentials file are read by the providers in `configure()` (never stored on them); here
they are only checked, so a bad one fails the preview.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from components.backups import validation as v
from components.backups.host_bundle import host_module
from components.backups.ssh_files import known_host_keys, private_key_problem
from components.config_values import parse_bool, parse_int, parse_url

PLAIN_KEYS = frozenset(
    {
        "backupsEnabled",
        "backupBucket",
        "s3EndpointUrl",
        "iamEndpointUrl",
        "backupRegion",
        "backupAwsCredentialsFile",
        "backupKmsKeyId",
        "backupBreakGlassPrincipal",
        "backupExpirationDays",
        "backupNoncurrentDays",
        "backupObjectLockMode",
        "backupObjectLockDays",
        "backupDenyInsecureTransport",
        "backupPrefix",
        "backupRecipient",
        "backupRecipientFile",
        "backupHostPython",
        "backupPartSizeMb",
        "backupPgBinDir",
        "backupHost",
        "backupHostPort",
        "backupHostUser",
        "backupHostKey",
        "backupKnownHostsFile",
        "backupSshKeyFile",
        "backupSchedule",
        "backupInstallDir",
        # The operator's word that the stack lets go of this bucket and keeps it (README: retiring).
        "backupKeepBucket",
    }
)
SECRET_KEYS = frozenset({"backupDatabaseUrl", "backupSshPrivateKey", "backupHealthcheckUrl"})

DEFAULT_SCHEDULE = "0 2 * * *"
DEFAULT_S3_ENDPOINT = "https://s3.amazonaws.com"
ABORT_MULTIPART_DAYS = 1
LOCK_MODES = ("governance", "compliance")


@dataclass(frozen=True)
class BucketSettings:
    name: str
    endpoint_url: str
    iam_endpoint_url: str | None  # None: AWS's own IAM endpoint
    region: str
    kms_key_id: str | None  # None: SSE-S3 (AES256)
    break_glass_principal: str
    expiration_days: int
    noncurrent_days: int
    abort_multipart_days: int
    object_lock_mode: str | None  # "GOVERNANCE" | "COMPLIANCE" | None
    object_lock_days: int
    deny_insecure_transport: bool
    prefix: str  # the only key prefix the uploader may write


@dataclass(frozen=True)
class HostSettings:
    host: str
    port: int
    user: str
    host_keys: tuple[str, ...]  # pinned '<type> <base64>' lines
    schedule: str
    install_dir: str  # relative to the backup user's home, or absolute
    python: str = "python3"  # the host's Python with the backup-host packages (a name on PATH, or a path)


@dataclass(frozen=True)
class BackupConfig:
    bucket: BucketSettings
    host: HostSettings
    database_url: str  # secret
    recipient: str  # age public key(s) the backups are encrypted to, separated by spaces
    aws_credentials_file: str | None
    healthcheck_url: str | None = None  # secret: pinged at start, success, failure
    part_size_mb: int = 16  # multipart part size: the largest dump is 10,000 parts
    pg_bin_dir: str | None = None  # where pg_dump/psql are on the host (None: PATH)


def _resolve(path: str) -> Path:
    """Relative paths are relative to the project directory (where `pulumi` runs the program)."""
    return Path(path).expanduser() if Path(path).expanduser().is_absolute() else Path.cwd() / path


def _int(values: Mapping[str, str], key: str, default: int, low: int, high: int, problems: list[str]) -> int:
    return parse_int(key, values.get(key, "").strip() or str(default), problems, low=low, high=high, default=default)


def _bool(values: Mapping[str, str], key: str, default: bool, problems: list[str]) -> bool:
    return parse_bool(key, values.get(key, "").strip() or str(default).lower(), problems)


def _recipients(inline: str, file_name: str, problems: list[str], stack_name: str) -> str:
    """backupRecipient (one key) or backupRecipientFile (age recipients, one a line, # comments): one of them."""
    if inline and file_name:
        problems.append("backupRecipient and backupRecipientFile are both set; keep one (pulumi config rm ...)")
        return ""
    if not inline and not file_name:
        problems.append(
            "backupRecipient: required when backupsEnabled is true "
            "(fix: pulumi config set backupRecipient age1..., or backupRecipientFile <file of age1... lines>)"
        )
        return ""
    key, found = "backupRecipient", [inline]
    if file_name:
        key, path = "backupRecipientFile", _resolve(file_name)
        if not path.is_file():
            hint = " (fix: make services-up generates the local key pair)" if stack_name == "local" else ""
            problems.append(f"backupRecipientFile: {file_name} does not exist{hint}")
            return ""
        found = [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
        if not found:
            problems.append(f"backupRecipientFile: {file_name} lists no age1... recipient")
    for recipient in found:
        if why := v.age_recipient_problem(recipient):
            problems.append(f"{key}: {why}")
    return " ".join(found)


def parse_backup_config(values: Mapping[str, str], problems: list[str], stack_name: str = "") -> BackupConfig | None:
    """`values`: the stack's config without the project namespace (`backupBucket` -> value)."""
    before = len(problems)
    if not _bool(values, "backupsEnabled", False, problems):
        return None
    local_hint = " (fix: make services-up starts the local sshd and writes it)" if stack_name == "local" else ""

    def get(key: str) -> str:
        return values.get(key, "").strip()

    def required(key: str, hint: str) -> str:
        value = get(key)
        if not value:
            secret = " --secret" if key in SECRET_KEYS else ""
            problems.append(
                f"{key}: required when backupsEnabled is true (fix: pulumi config set{secret} {key} <{hint}>)"
            )
        return value

    def url(key: str, default: str) -> str:
        return parse_url(key, get(key) or default, problems)

    # --- the bucket ---
    name = required("backupBucket", "globally unique bucket name")
    if name and (why := v.bucket_name_problem(name)):
        problems.append(f"backupBucket: {name!r} is a bucket name S3 rejects: {why}")
    endpoint = url("s3EndpointUrl", DEFAULT_S3_ENDPOINT)
    iam_endpoint = url("iamEndpointUrl", "https://iam.amazonaws.com") if get("iamEndpointUrl") else None
    region = get("backupRegion") or "us-east-1"
    if not v.REGION.match(region):
        problems.append(f"backupRegion: {region!r} is not an AWS region name such as us-east-1")
    kms = get("backupKmsKeyId") or None
    if kms and not v.KMS_KEY.match(kms):
        problems.append(
            f"backupKmsKeyId: {kms!r} is not a KMS key id, key ARN or alias "
            "(fix: pulumi config set backupKmsKeyId arn:aws:kms:<region>:<account>:key/<id>, or rm it for SSE-S3)"
        )
    break_glass = required("backupBreakGlassPrincipal", "arn:aws:iam::<account>:role/<break-glass role>")
    if break_glass and not v.PRINCIPAL_ARN.match(break_glass):
        problems.append(
            f"backupBreakGlassPrincipal: {break_glass!r} is not an IAM user, role or root ARN "
            "(arn:aws:iam::<12-digit account>:role/<name>); only it may delete backups"
        )
    expiration = _int(values, "backupExpirationDays", 35, 1, 36500, problems)
    noncurrent = _int(values, "backupNoncurrentDays", 7, 1, 36500, problems)
    lock_raw = get("backupObjectLockMode").lower()
    lock_mode: str | None = None
    lock_days = 0
    if lock_raw:
        if lock_raw not in LOCK_MODES:
            problems.append(
                f"backupObjectLockMode: {lock_raw!r} is not an Object Lock mode; allowed: governance, compliance "
                "(Object Lock cannot be turned off once a bucket has it)"
            )
        else:
            lock_mode = lock_raw.upper()
        lock_days = _int(values, "backupObjectLockDays", 0, 1, 36500, problems)
        if lock_days > expiration:
            problems.append(
                f"backupObjectLockDays: retention of {lock_days} days is longer than backupExpirationDays "
                f"({expiration}): the lifecycle could not expire locked backups "
                f"(fix: pulumi config set backupObjectLockDays {expiration}, or raise backupExpirationDays)"
            )
    elif get("backupObjectLockDays") not in ("", "0"):
        problems.append(
            "backupObjectLockDays: set, but backupObjectLockMode is not "
            "(fix: pulumi config set backupObjectLockMode governance|compliance, or rm backupObjectLockDays)"
        )
    deny_insecure_transport = _bool(values, "backupDenyInsecureTransport", True, problems)
    prefix = get("backupPrefix") or "db/"
    if not v.S3_PREFIX.match(prefix):
        problems.append(f"backupPrefix: {prefix!r} must be one or more path segments ending in '/', e.g. db/")

    # --- what the host needs ---
    database_url = required("backupDatabaseUrl", "postgresql://user:password@host:5432/postgres")
    if database_url:
        database_url_module = host_module("database_url")
        try:  # the host's own parser: the preview refuses what the backup would refuse (sslmode included)
            database_url_module.DatabaseUrl.parse(database_url)
        except database_url_module.DatabaseUrlError as exc:
            problems.append(f"backupDatabaseUrl: {exc} (fix: pulumi config set --secret backupDatabaseUrl)")
        if any(c in database_url for c in "\n\r\0"):
            problems.append("backupDatabaseUrl: contains a line break or NUL")
    recipient = _recipients(get("backupRecipient"), get("backupRecipientFile"), problems, stack_name)
    healthcheck = get("backupHealthcheckUrl") or None
    if healthcheck and urlparse(healthcheck).scheme not in ("http", "https"):
        problems.append(
            "backupHealthcheckUrl: not an http(s) URL (fix: pulumi config set --secret backupHealthcheckUrl)"
        )
    part_size_mb = _int(values, "backupPartSizeMb", 16, 5, 512, problems)
    pg_bin_dir = get("backupPgBinDir") or None
    if pg_bin_dir and (not pg_bin_dir.startswith("/") or any(c in pg_bin_dir for c in " '\"\n")):
        problems.append(
            f"backupPgBinDir: {pg_bin_dir!r} must be an absolute path on the host, e.g. /usr/lib/postgresql/17/bin"
        )
    python = get("backupHostPython") or "python3"
    if any(c in python for c in " \t\n'\"\\$`;&|<>*?"):
        problems.append(f"backupHostPython: {python!r} must be a plain command name or path")
    elif "/" in python and not python.startswith("/"):
        # The local stack: its host is this machine. The directories are resolved (the set-up's
        # .tools/backup-host-venv is a link the backup user may not be able to follow), the
        # interpreter is not: a venv's python is itself a link, and the venv is found through it.
        relative = _resolve(python)
        python = str(relative.parent.resolve() / relative.name)

    host = required("backupHost", "host name or address of the backup host")
    if host and (why := v.host_problem(host)):
        problems.append(f"backupHost: {host!r}: {why}")
    port = _int(values, "backupHostPort", 22, 1, 65535, problems)
    user = required("backupHostUser", "the unprivileged user that runs the backup")
    if user and not v.POSIX_USER.match(user):
        problems.append(f"backupHostUser: {user!r} is not a POSIX user name")
    if user == "root":
        problems.append("backupHostUser: the backup must not run as root; use an unprivileged user")

    pinned: list[str] = []
    host_key, known_hosts = get("backupHostKey"), get("backupKnownHostsFile")
    if host_key and known_hosts:
        problems.append("backupHostKey and backupKnownHostsFile are both set; pin the host key one way (rm one)")
    elif host_key:
        if why := v.host_key_problem(host_key):
            problems.append(f"backupHostKey: {why}")
        else:
            pinned = [" ".join(host_key.split()[:2])]
    elif known_hosts:
        path = _resolve(known_hosts)
        if not path.is_file():
            problems.append(f"backupKnownHostsFile: {known_hosts} does not exist{local_hint}")
        elif host:
            pinned = known_host_keys(path, host, port)
            if not pinned:
                where = host if port == 22 else f"[{host}]:{port}"
                problems.append(f"backupKnownHostsFile: {known_hosts} has no key for {where}{local_hint}")
    else:
        problems.append(
            "backupHostKey: the backup host's key must be pinned; an unpinned host would accept any server "
            "(fix: pulumi config set backupHostKey 'ssh-ed25519 AAAA...' from the host's "
            "/etc/ssh/ssh_host_ed25519_key.pub, checked out of band; or set backupKnownHostsFile)"
        )

    private_key, key_file = get("backupSshPrivateKey"), get("backupSshKeyFile")
    if private_key and key_file:
        problems.append("backupSshPrivateKey and backupSshKeyFile are both set; keep one (pulumi config rm ...)")
    elif private_key and (why := private_key_problem(values.get("backupSshPrivateKey", ""))):
        problems.append(f"backupSshPrivateKey: {why}")
    elif key_file:
        path = _resolve(key_file)
        if not path.is_file():
            problems.append(f"backupSshKeyFile: {key_file} does not exist{local_hint}")
        elif why := private_key_problem(path.read_text(errors="replace")):
            problems.append(f"backupSshKeyFile: {key_file}: {why}")
    elif not os.environ.get("SSH_AUTH_SOCK"):
        problems.append(
            "backupSshPrivateKey: no SSH key for the backup host: set it (pulumi config set --secret "
            "backupSshPrivateKey < key), or backupSshKeyFile, or run with an ssh-agent (SSH_AUTH_SOCK)"
        )

    schedule = " ".join((get("backupSchedule") or DEFAULT_SCHEDULE).split())
    if why := v.cron_problem(schedule):
        problems.append(
            f"backupSchedule: {schedule!r} is not a valid cron schedule: {why} "
            f"(fix: pulumi config set backupSchedule '{DEFAULT_SCHEDULE}')"
        )
    install_dir = get("backupInstallDir") or "soundfactory-backup"
    if not all(part and part not in (".", "..") for part in install_dir.strip("/").split("/")) or any(
        c in install_dir for c in " \t\n'\"\\$`;&|<>*?"
    ):
        problems.append(f"backupInstallDir: {install_dir!r} must be a plain path (no spaces, quotes, '..')")

    creds = get("backupAwsCredentialsFile") or None
    if creds and not _resolve(creds).is_file():
        hint = " (fix: make services-up starts the local S3 server and writes it)" if stack_name == "local" else ""
        problems.append(f"backupAwsCredentialsFile: {creds} does not exist{hint}")

    if len(problems) > before:
        return None
    return BackupConfig(
        bucket=BucketSettings(
            name=name,
            endpoint_url=endpoint,
            iam_endpoint_url=iam_endpoint,
            region=region,
            kms_key_id=kms,
            break_glass_principal=break_glass,
            expiration_days=expiration,
            noncurrent_days=noncurrent,
            abort_multipart_days=ABORT_MULTIPART_DAYS,
            object_lock_mode=lock_mode,
            object_lock_days=lock_days,
            deny_insecure_transport=deny_insecure_transport,
            prefix=prefix,
        ),
        host=HostSettings(
            host=host,
            port=port,
            user=user,
            host_keys=tuple(pinned),
            schedule=schedule,
            install_dir=install_dir.rstrip("/"),
            python=python,
        ),
        database_url=database_url,
        recipient=recipient,
        aws_credentials_file=str(_resolve(creds)) if creds else None,
        healthcheck_url=healthcheck,
        part_size_mb=part_size_mb,
        pg_bin_dir=pg_bin_dir,
    )
