"""Bucket-policy action names as S3 evaluates them, where moto 5.2.5 uses the HTTP method's.

moto checks an object request against the bucket policy as `s3:<Method>Object`
(`S3Response._key_response` in `moto/s3/responses.py`), whatever the sub-resource: a
`DELETE ?uploadId=` (AbortMultipartUpload) is evaluated as `s3:DeleteObject`. S3 authorises
it as `s3:AbortMultipartUpload` (Service Authorization Reference, Amazon S3, "Actions defined
by Amazon S3": AbortMultipartUpload; API Reference, AbortMultipartUpload, Permissions), so a
bucket policy that denies deleting backups does not stop a writer aborting its own unfinished
upload. Under moto the backups' own deletion Deny stopped every abort: the host's upload, cut
short by a stop signal, could not be aborted.

Only that one request is renamed here; other sub-resources keep moto's method-based check
(see the package docstring for what stays weaker).
"""

from __future__ import annotations

import contextvars
from typing import Any
from urllib.parse import parse_qs, urlparse

# The action S3 would evaluate for the object request this thread is serving, if moto's differs.
_REQUEST_ACTION: contextvars.ContextVar[str | None] = contextvars.ContextVar("s3_request_action", default=None)
MOTO_DELETE_ACTION = "s3:DeleteObject"
ABORT_ACTION = "s3:AbortMultipartUpload"


def apply() -> None:
    """Patch moto's S3 in this process (the local server's), once, before it serves a request."""
    from moto.s3 import models, responses

    if getattr(responses.S3Response, "_soundfactory_policy_actions", False):
        return
    responses.S3Response._soundfactory_policy_actions = True  # type: ignore[attr-defined]

    key_response = responses.S3Response._key_response

    def named_key_response(self: Any, request: Any, full_url: str) -> Any:
        query = parse_qs(urlparse(full_url).query, keep_blank_values=True)
        aborting = request.method == "DELETE" and "uploadId" in query
        token = _REQUEST_ACTION.set(ABORT_ACTION if aborting else None)
        try:
            return key_response(self, request, full_url)
        finally:
            _REQUEST_ACTION.reset(token)

    responses.S3Response._key_response = named_key_response  # type: ignore[method-assign]

    get_permission = models.FakeBucket.get_permission

    def named_permission(self: Any, action: str, resource: str) -> Any:
        named = _REQUEST_ACTION.get()
        return get_permission(self, named if named and action == MOTO_DELETE_ACTION else action, resource)

    models.FakeBucket.get_permission = named_permission  # type: ignore[method-assign]
