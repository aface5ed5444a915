"""Which services the `local` stack talks to, on which loopback ports.

The ports and ids here are the ones `Pulumi.local.yaml` points at.
"""

from __future__ import annotations

from local_services import postgres_server
from local_services.s3 import s3_service
from local_services.sshd import sshd_service
from local_services.supervisor import RUN_DIR, Service, python_module

NETLIFY_API_PORT = 18081
NETLIFY_SITE_PORT = 18082
TWILIO_API_PORT = 18083
STRIPE_API_PORT = 18084
LOCAL_SITE_ID = "5f0c3e1a-2b4d-4c6e-8a10-0123456789ab"
LOCAL_ACCOUNT_ID = "soundfactory-local"
# Dev-only credential of the emulator; the local stack holds it as an encrypted config secret.
LOCAL_NETLIFY_TOKEN = "local-dev-token"  # noqa: S105
# Backups: S3/IAM (moto) and the cron host (sshd); Pulumi.local.yaml points at the files they write.
S3_PORT = 18090
SSHD_PORT = 18022
# The local stack's twilioAccountSid and (encrypted) twilioAuthToken.
LOCAL_TWILIO_ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
LOCAL_TWILIO_AUTH_TOKEN = "local-twilio-token-not-secret"  # noqa: S105
# The local stack's (encrypted) stripeSecretKey: a test-mode key the emulator accepts.
LOCAL_STRIPE_SECRET_KEY = "sk_test_localdevonly"  # noqa: S105
# The database the local stack backs up (Pulumi.local.yaml's encrypted backupDatabaseUrl holds the password).
POSTGRES_PORT = 18432
LOCAL_DATABASE_PASSWORD = "local-db-password-not-a-secret"  # noqa: S105


def local_stack_services() -> list[Service]:
    return [
        Service(
            name="netlify-emulator",
            argv=python_module(
                "local_services.netlify",
                "--api-port",
                str(NETLIFY_API_PORT),
                "--site-port",
                str(NETLIFY_SITE_PORT),
                "--data-dir",
                str(RUN_DIR / "netlify"),
                "--site-id",
                LOCAL_SITE_ID,
                "--account-id",
                LOCAL_ACCOUNT_ID,
            ),
            health_url=f"http://127.0.0.1:{NETLIFY_SITE_PORT}/",
            env={"NETLIFY_EMULATOR_TOKEN": LOCAL_NETLIFY_TOKEN},
        ),
        s3_service(S3_PORT, RUN_DIR / "s3"),
        Service(
            name="postgres",
            argv=python_module(
                "local_services.postgres_server", "--port", str(POSTGRES_PORT), "--data-dir", str(RUN_DIR / "postgres")
            ),
            health_url=postgres_server.health_url(POSTGRES_PORT),
            env={postgres_server.PASSWORD_ENV: LOCAL_DATABASE_PASSWORD},
        ),
        sshd_service(SSHD_PORT, RUN_DIR / "sshd"),
        Service(
            name="twilio-emulator",
            argv=python_module(
                "local_services.twilio",
                "--port",
                str(TWILIO_API_PORT),
                "--data-dir",
                str(RUN_DIR / "twilio"),
                "--account-sid",
                LOCAL_TWILIO_ACCOUNT_SID,
            ),
            health_url=f"http://127.0.0.1:{TWILIO_API_PORT}/_emulator/health",
            env={"TWILIO_EMULATOR_AUTH_TOKEN": LOCAL_TWILIO_AUTH_TOKEN},
        ),
        Service(
            name="stripe-emulator",
            argv=python_module(
                "local_services.stripe", "--port", str(STRIPE_API_PORT), "--data-dir", str(RUN_DIR / "stripe")
            ),
            health_url=f"http://127.0.0.1:{STRIPE_API_PORT}/_emulator/health",
            env={"STRIPE_EMULATOR_KEYS": LOCAL_STRIPE_SECRET_KEY},
        ),
    ]
