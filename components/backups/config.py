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
        "backupRequireConditionalWrites",
        "backupFreshnessProbe",
        "backupFreshnessHours",
        "backupExpiryMarginDays",
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
DEFAULT_LOCK_MODE = "governance"  # Object Lock is on for every stack (issue 21); see _object_lock
DEFAULT_FRESHNESS_HOURS = 26  # a daily schedule plus two hours (scripts/sfops/monitoring/backup_freshness.py)
DEFAULT_EXPIRY_MARGIN_DAYS = 14


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
    object_lock_mode: str  # "GOVERNANCE" | "COMPLIANCE": on for every stack
    object_lock_days: int
    deny_insecure_transport: bool
    prefix: str  # the only key prefix the uploader may write
    # The bucket policy denies a backup write without If-None-Match (off only where the S3 server
    # cannot evaluate that condition: moto).
    require_conditional_writes: bool = True
    log_bucket: str = ""  # the stack's server-access-log bucket ("" : no access logging)


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


def _object_lock(
    values: Mapping[str, str], problems: list[str], *, expiration: int, floor_days: int, local: bool
) -> tuple[str, int]:
    """Object Lock's default retention, on every stack: (mode "GOVERNANCE"|"COMPLIANCE", days).

    Every version the bucket receives is locked for `days` from its creation. A PUT over an
    existing key (moto lets one through; under Object Lock S3 adds a version) makes the original
    noncurrent, and the lifecycle's NoncurrentVersionExpiration would delete it
    backupNoncurrentDays later; under the lock it goes at the later of the two, never before its
    retention ends (S3 User Guide, "Object Lock considerations": lifecycle rules cannot delete a
    locked version). So the retention is the floor under an original, whatever is written over it:
    - at least backupFreshnessHours + backupExpiryMarginDays (`floor_days`), the floor the newest
      backup has against expiry: if someone rewrites the last good backup and stops the schedule,
      the original stays restorable (by version id) for as long past the freshness alert as the
      margin promises. An original goes at max(creation + retention, rewrite + noncurrent days):
      the noncurrent window always runs from the rewrite, which the attacker picks; the lock is a
      floor counted from the backup's creation, which no one can move. So the retention is
      compared with the alert and its margin, not with backupNoncurrentDays;
    - at most backupExpirationDays, so the lifecycle's expiry is never held up by a lock;
    - by default backupExpirationDays: every backup is held for all of its current life.
    Governance mode: only a principal allowed s3:BypassGovernanceRetention, sending the bypass
    header, can delete early (the break-glass path; the bucket policy denies it to everyone
    else). Compliance mode binds even the account's root user until the retention ends.
    """
    mode_raw = (values.get("backupObjectLockMode", "").strip() or DEFAULT_LOCK_MODE).lower()
    if mode_raw not in LOCK_MODES:
        problems.append(
            f"backupObjectLockMode: {mode_raw!r} is not an Object Lock mode; allowed: governance (the default), "
            "compliance. Object Lock is on for every stack and cannot be turned off once a bucket has it "
            "(fix: pulumi config set backupObjectLockMode governance, or rm it)"
        )
    elif mode_raw == "compliance" and local:
        problems.append(
            "backupObjectLockMode: compliance on a local or test stack would make its bucket undeletable until "
            "every version's retention ends: compliance cannot be bypassed, not even by the S3 administrator, so "
            "pulumi destroy and make demo-down could not finish (fix: pulumi config set backupObjectLockMode "
            "governance, or rm it)"
        )
    # Unset (or 0, the schema's default) is backupExpirationDays.
    unset = values.get("backupObjectLockDays", "").strip() in ("", "0")
    days = expiration if unset else _int(values, "backupObjectLockDays", expiration, 1, 36500, problems)
    if days > expiration:
        problems.append(
            f"backupObjectLockDays: retention of {days} days is longer than backupExpirationDays "
            f"({expiration}): the lifecycle could not expire locked backups "
            f"(fix: pulumi config set backupObjectLockDays {expiration}, or raise backupExpirationDays)"
        )
    elif days < floor_days <= expiration:  # (an expiry below the floor is reported on its own)
        problems.append(
            f"backupObjectLockDays: retention of {days} days ends before backupFreshnessHours plus "
            f"backupExpiryMarginDays ({floor_days} days): someone with the uploader's key could rewrite the "
            "last backup, stop the schedule, and the lifecycle would delete the original (a noncurrent version "
            "after backupNoncurrentDays) before the freshness alert's margin ran out "
            f"(fix: pulumi config set backupObjectLockDays {floor_days}, or rm it for backupExpirationDays, "
            f"{expiration})"
        )
    return mode_raw.upper(), days


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
    log_bucket = f"{name}-logs" if name else ""
    if log_bucket and v.bucket_name_problem(log_bucket) and not v.bucket_name_problem(name):
        problems.append(
            f"backupBucket: {name!r} leaves no room for its access-log bucket {log_bucket!r} "
            "(fix: a bucket name of at most 58 characters)"
        )
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
    elif kms and not v.KMS_KEY_ARN.match(kms):
        # Both identities get kms:* actions on this exact resource; IAM matches the key's ARN only.
        problems.append(
            f"backupKmsKeyId: {kms!r} is an alias or a bare key id; the identities' KMS permissions need the key's "
            "ARN (fix: pulumi config set backupKmsKeyId arn:aws:kms:<region>:<account>:key/<id>, from "
            "aws kms describe-key --key-id <alias> --query KeyMetadata.Arn)"
        )
    break_glass = required("backupBreakGlassPrincipal", "arn:aws:iam::<account>:role/<break-glass role>")
    if break_glass and not v.PRINCIPAL_ARN.match(break_glass):
        problems.append(
            f"backupBreakGlassPrincipal: {break_glass!r} is not an IAM user, role or root ARN "
            "(arn:aws:iam::<12-digit account>:role/<name>); only it may delete backups"
        )
    expiration = _int(values, "backupExpirationDays", 35, 1, 36500, problems)
    noncurrent = _int(values, "backupNoncurrentDays", 7, 1, 36500, problems)
    freshness_hours = _int(values, "backupFreshnessHours", DEFAULT_FRESHNESS_HOURS, 1, 8760, problems)
    margin_days = _int(values, "backupExpiryMarginDays", DEFAULT_EXPIRY_MARGIN_DAYS, 0, 3650, problems)
    # S3's lifecycle expires by age, whether or not newer backups exist: the newest backup must
    # outlive the freshness alert by the margin, so someone hears of stopped backups for weeks
    # before the last one could go.
    needed_days = -(-(freshness_hours + margin_days * 24) // 24)
    if expiration < needed_days:
        problems.append(
            f"backupExpirationDays: {expiration} days would expire the last backup {expiration * 24 - freshness_hours} "
            f"h after backupFreshnessHours ({freshness_hours} h) alerts, inside backupExpiryMarginDays "
            f"({margin_days} days) (fix: pulumi config set backupExpirationDays {needed_days}, or lower "
            "backupFreshnessHours / backupExpiryMarginDays)"
        )
    lock_mode, lock_days = _object_lock(
        values,
        problems,
        expiration=expiration,
        floor_days=needed_days,
        local=stack_name == "local" or v.is_loopback_url(endpoint),
    )
    deny_insecure_transport = _bool(values, "backupDenyInsecureTransport", True, problems)
    conditional_writes = _bool(values, "backupRequireConditionalWrites", True, problems)
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
    freshness_probe = _bool(values, "backupFreshnessProbe", True, problems)
    if stack_name == "prod" and not healthcheck and not freshness_probe:
        problems.append(
            "backupHealthcheckUrl: prod needs a way to hear that backups stopped: neither backupHealthcheckUrl "
            "nor the freshness probe (backupFreshnessProbe is false) is configured (fix: pulumi config set "
            "--secret backupHealthcheckUrl https://..., or pulumi config set backupFreshnessProbe true)"
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
            require_conditional_writes=conditional_writes,
            log_bucket=log_bucket,
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
