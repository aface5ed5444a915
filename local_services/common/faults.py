"""Fault injection for a vendor API: what a client meets on a bad day at the vendor.

A fault is chosen before the request is processed, so an injected 429/5xx/drop
changes nothing and the client may safely retry; `500-after` is the exception on
purpose (the change happened, the client only sees an error) and is injected only
when a test asks for it. With a seed the sequence of decisions is reproducible.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass
from typing import Any

from local_services.common.http_server import HttpError

FAULT_KINDS = ("429", "500", "502", "503", "drop", "latency", "500-after")
ERROR_MESSAGES = {
    429: "Rate limit exceeded (injected by the emulator)",
    500: "Internal Server Error (injected by the emulator)",
    502: "Bad Gateway (injected by the emulator)",
    503: "Service Unavailable (injected by the emulator)",
}


@dataclass(frozen=True)
class FaultConfig:
    rate: float
    kinds: tuple[str, ...]
    latency_ms: int = 200
    retry_after_s: int = 1
    seed: int | None = None
    # Narrow the blast radius: only these methods / paths containing this text.
    methods: tuple[str, ...] = ()
    path_contains: str = ""
    # Stop after this many faults (e.g. 1: "the first call fails, the retry succeeds").
    max_faults: int | None = None


@dataclass(frozen=True)
class Fault:
    kind: str
    latency_s: float
    retry_after_s: int


def _number(body: dict[str, Any], name: str, default: float, low: float, high: float) -> float:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise HttpError(400, f"{name} must be a number")
    if not low <= value <= high:
        raise HttpError(422, f"{name} must be between {low:g} and {high:g}")
    return float(value)


def parse_fault_config(body: Any) -> FaultConfig:
    if not isinstance(body, dict):
        raise HttpError(400, "body must be a JSON object")
    kinds = body.get("kinds", ["500"])
    if not isinstance(kinds, list) or not kinds or not all(isinstance(kind, str) for kind in kinds):
        raise HttpError(400, "kinds must be a non-empty array of strings")
    for kind in kinds:
        if kind not in FAULT_KINDS:
            raise HttpError(422, f"kinds: unknown fault {kind!r}; known: {', '.join(FAULT_KINDS)}")
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise HttpError(400, "seed must be an integer")
    methods = body.get("methods", [])
    if not isinstance(methods, list) or not all(isinstance(method, str) for method in methods):
        raise HttpError(400, "methods must be an array of strings")
    path_contains = body.get("path_contains", "")
    if not isinstance(path_contains, str):
        raise HttpError(400, "path_contains must be a string")
    max_faults = body.get("max_faults")
    if max_faults is not None and (isinstance(max_faults, bool) or not isinstance(max_faults, int) or max_faults < 0):
        raise HttpError(400, "max_faults must be a non-negative integer")
    return FaultConfig(
        rate=_number(body, "rate", 1.0, 0.0, 1.0),
        kinds=tuple(kinds),
        latency_ms=int(_number(body, "latency_ms", 200, 0, 60_000)),
        retry_after_s=int(_number(body, "retry_after_s", 1, 0, 3600)),
        seed=seed,
        methods=tuple(method.upper() for method in methods),
        path_contains=path_contains,
        max_faults=max_faults,
    )


class FaultInjector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._config: FaultConfig | None = None
        self._rng = random.Random()  # noqa: S311 - test faults, not cryptography
        self._injected = 0

    def configure(self, config: FaultConfig | None) -> None:
        with self._lock:
            self._config = config
            self._rng = random.Random(config.seed if config else None)  # noqa: S311
            self._injected = 0

    def describe(self) -> dict[str, Any]:
        with self._lock:
            if self._config is None:
                return {"enabled": False, "injected": self._injected}
            return {"enabled": True, "injected": self._injected, **asdict(self._config)}

    def pick(self, method: str, path: str) -> Fault | None:
        with self._lock:
            config = self._config
            if config is None:
                return None
            if config.methods and method.upper() not in config.methods:
                return None
            if config.path_contains and config.path_contains not in path:
                return None
            if config.max_faults is not None and self._injected >= config.max_faults:
                return None
            if self._rng.random() >= config.rate:
                return None
            self._injected += 1
            kind = self._rng.choice(config.kinds)
            return Fault(kind, config.latency_ms / 1000, config.retry_after_s)
