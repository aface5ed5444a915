"""The path of every vendor API request: fault injection -> rate limit -> the vendor
(authentication, routing, spec validation, handler) -> request log.

A fault is decided first, so an injected 429/5xx/drop never reaches the handler and
changes nothing; `500-after` runs the handler and then reports an error anyway.
"""

from __future__ import annotations

import sys
import time

from local_services.common.faults import ERROR_MESSAGES, Fault, FaultInjector
from local_services.common.http_server import HttpError, Request, Response
from local_services.common.rate_limit import RateLimitWindow
from local_services.common.request_log import RequestLog
from local_services.common.spec_validation import RequestValidator, ValidationMode, ValidationSwitch, summarize
from local_services.common.vendor import VendorApi

REFUSED_STATUSES = ("429", "500", "502", "503")


class Pipeline:
    def __init__(
        self,
        vendor: VendorApi,
        *,
        faults: FaultInjector,
        rate: RateLimitWindow,
        log: RequestLog,
        validator: RequestValidator | None,
        validation: ValidationSwitch,
    ) -> None:
        self.vendor = vendor
        self.faults = faults
        self.rate = rate
        self.log = log
        self.validator = validator
        self.validation = validation

    def __call__(self, request: Request) -> Response | None:
        fault = self.faults.pick(request.method, request.path)
        fault_kind = fault.kind if fault else None
        if fault is not None and fault.kind == "latency":
            time.sleep(fault.latency_s)
        if fault is not None and fault.kind == "drop":
            self.log.record(request.method, request.path, request.query, None, fault_kind)
            return None
        rate_headers = self.rate.count()
        invalid: list[str] = []
        if fault is not None and fault.kind in REFUSED_STATUSES:
            response = self._fault_response(fault)
        else:
            response = self._handle(request, invalid)
            if fault is not None and fault.kind == "500-after":
                response = self.vendor.error(500, ERROR_MESSAGES[500])
        response.headers = {**rate_headers, **response.headers}
        self.log.record(request.method, request.path, request.query, response.status, fault_kind, invalid)
        return response

    def _fault_response(self, fault: Fault) -> Response:
        status = int(fault.kind)
        if status != 429:
            return self.vendor.error(status, ERROR_MESSAGES[status])
        return self.vendor.error(
            429,
            ERROR_MESSAGES[429],
            {
                "Retry-After": str(fault.retry_after_s),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(int(time.time()) + fault.retry_after_s),
            },
        )

    def _handle(self, request: Request, invalid: list[str]) -> Response:
        vendor = self.vendor
        refused = vendor.authenticate(request)
        if refused is not None:
            return refused
        found = vendor.router.match(request.method, request.path[len(vendor.prefix) :] or "/")
        if found is None:
            return vendor.error(404, f"Not Found: {request.method} {request.path}")
        route, params = found
        try:
            mode = self.validation.mode
            if self.validator is not None and mode is not ValidationMode.OFF:
                violations = self.validator.check(route.operation_id, request, vendor.decode_body)
                if violations:
                    verdict = summarize(violations)
                    invalid.extend(v.message for v in violations)
                    if mode is ValidationMode.STRICT:
                        return vendor.error(verdict.status, verdict.message)
                    print(
                        f"spec validation (warn): {request.method} {request.path}: {verdict.message}", file=sys.stderr
                    )
            return route.handler(request, params)
        except HttpError as exc:
            return vendor.error(exc.status, exc.message, exc.headers)
