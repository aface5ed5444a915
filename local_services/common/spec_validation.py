"""Requests checked against the vendor's published API spec while the emulator runs.

As stripe-mock does for Stripe: a client that sends a query parameter or body field the
spec does not define, a value of the wrong type, or one outside an enum, is refused in
the vendor's error shape, so a component that would fail in production fails in CI.

The spec is read into one `OperationContract` per operation; `swagger2_contract` reads
Swagger 2.0 (Netlify). An OpenAPI 3 reader (Stripe, Twilio) builds the same contract.
Body schemas are JSON Schema draft 4 (what Swagger 2.0 embeds), tightened so that an
object with declared properties accepts no others.

Statuses: 400 when the request is malformed (not JSON, wrong type), 422 when it is well
formed but not acceptable (unknown field or parameter, value outside an enum, missing
required field).
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from local_services.common.http_server import HttpError, Request

MALFORMED = 400
UNACCEPTABLE = 422
INT_BOUNDS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
TRUE_WORDS = frozenset({"true", "1"})
FALSE_WORDS = frozenset({"false", "0"})


class ValidationMode(enum.StrEnum):
    OFF = "off"
    WARN = "warn"  # proceed, but log what the spec refuses (stderr and request log)
    STRICT = "strict"


class ValidationSwitch:
    """The mode in force; the control API can change it while the emulator runs."""

    def __init__(self, mode: ValidationMode) -> None:
        self.initial = mode
        self._mode = mode
        self._lock = threading.Lock()

    @property
    def mode(self) -> ValidationMode:
        with self._lock:
            return self._mode

    def set(self, mode: ValidationMode) -> None:
        with self._lock:
            self._mode = mode


@dataclass(frozen=True)
class Violation:
    status: int
    message: str


@dataclass(frozen=True)
class QueryParameter:
    name: str
    schema: dict[str, Any]  # for the value once converted from its query string form
    required: bool = False


@dataclass(frozen=True)
class OperationContract:
    operation_id: str
    query: Mapping[str, QueryParameter]
    body_schema: dict[str, Any] | None = None
    body_required: bool = False
    # Multipart/form fields (uploads); their bodies are left to the vendor's handler.
    form_fields: frozenset[str] = field(default_factory=frozenset)


def tighten(node: Any) -> Any:
    """Forbid properties a schema does not declare, wherever it declares some."""
    if isinstance(node, dict):
        tightened = {key: tighten(value) for key, value in node.items()}
        if "properties" in tightened and "additionalProperties" not in tightened:
            tightened["additionalProperties"] = False
        return tightened
    if isinstance(node, list):
        return [tighten(item) for item in node]
    return node


# -- reading a Swagger 2.0 spec ----------------------------------------------------------------

SCHEMA_KEYWORDS = ("type", "format", "enum", "items", "minimum", "maximum", "pattern", "minLength", "maxLength")


def find_operation(spec: Mapping[str, Any], method: str, path: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The operation object and its parameters (path-level ones first)."""
    path_item = spec["paths"].get(path)
    operation = path_item.get(method.lower()) if path_item else None
    if not isinstance(operation, dict):
        raise KeyError(f"the spec has no {method} {path}")
    return operation, [*path_item.get("parameters", []), *operation.get("parameters", [])]


def swagger2_contract(spec: Mapping[str, Any], method: str, path: str) -> OperationContract:
    operation, parameters = find_operation(spec, method, path)
    query: dict[str, QueryParameter] = {}
    body_schema: dict[str, Any] | None = None
    body_required = False
    form_fields: set[str] = set()
    for parameter in parameters:
        location = parameter.get("in")
        if location == "query":
            schema = {key: parameter[key] for key in SCHEMA_KEYWORDS if key in parameter}
            query[parameter["name"]] = QueryParameter(parameter["name"], schema, bool(parameter.get("required")))
        elif location == "body":
            body_schema = tighten(parameter.get("schema", {}))
            body_required = bool(parameter.get("required"))
        elif location == "formData":
            form_fields.add(parameter["name"])
    return OperationContract(operation["operationId"], query, body_schema, body_required, frozenset(form_fields))


# -- checking a request --------------------------------------------------------------------------


def _convert(raw: str, schema: Mapping[str, Any]) -> Any:
    """A query string value as the type the spec declares; ValueError if it is not one."""
    kind = schema.get("type", "string")
    if kind == "integer":
        if not raw.lstrip("-").isdigit():
            raise ValueError("an integer")
        value = int(raw)
        low, high = INT_BOUNDS.get(str(schema.get("format")), INT_BOUNDS["int64"])
        if not low <= value <= high:
            raise ValueError(f"an integer between {low} and {high}")
        return value
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            raise ValueError("a number") from None
    if kind == "boolean":
        if raw.lower() in TRUE_WORDS:
            return True
        if raw.lower() in FALSE_WORDS:
            return False
        raise ValueError("true or false")
    if kind == "array":
        return [_convert(item, schema.get("items", {})) for item in raw.split(",")]
    return raw


BODY = "body"
ARTICLE_TYPES = {"array": "an array", "object": "an object", "integer": "an integer"}


def _where(path: Iterable[Any], root: str) -> str:
    """A JSON path as the API names fields: `[0].values[1].context` in a body (no prefix)."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text or root != BODY else str(part))
    if not text:
        return root
    return text if root == BODY else f"{root}{text}"


def _child(where: str, name: str) -> str:
    return name if where == BODY else f"{where}.{name}"


def _describe(error: jsonschema.ValidationError, root: str = BODY) -> Violation:
    where = _where(error.absolute_path, root)
    # jsonschema types these as "maybe unset"; on a raised error they are always set.
    schema: Any = error.schema
    expected: Any = error.validator_value
    instance: Any = error.instance
    if error.validator == "type":
        return Violation(MALFORMED, f"{where} must be {ARTICLE_TYPES.get(str(expected), f'a {expected}')}")
    if error.validator == "enum":
        allowed = ", ".join(map(str, expected))
        return Violation(UNACCEPTABLE, f"{where} must be one of {allowed}; got {instance!r}")
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        known = sorted(schema.get("properties", {}))
        unknown = sorted(set(instance) - set(known))
        names = ", ".join(_child(where, name) for name in unknown)
        return Violation(UNACCEPTABLE, f"{names}: not a field the spec defines here (known: {', '.join(known)})")
    if error.validator == "required":
        missing = [name for name in expected if name not in instance]
        return Violation(UNACCEPTABLE, ", ".join(f"{_child(where, name)} is required" for name in missing))
    return Violation(UNACCEPTABLE, f"{where}: {error.message}")


class RequestValidator:
    def __init__(self, contracts: Iterable[OperationContract]) -> None:
        self.contracts = {contract.operation_id: contract for contract in contracts}
        self._body_validators = {
            contract.operation_id: jsonschema.Draft4Validator(contract.body_schema)
            for contract in self.contracts.values()
            if contract.body_schema is not None
        }

    def check(self, operation_id: str, request: Request, decode_body: Callable[[Request], Any]) -> list[Violation]:
        """What the spec refuses in `request` (empty when it conforms or the operation is unknown)."""
        contract = self.contracts.get(operation_id)
        if contract is None:
            return []
        return [*self._check_query(contract, request.query), *self._check_body(contract, request, decode_body)]

    @staticmethod
    def _check_query(contract: OperationContract, query: Mapping[str, str]) -> list[Violation]:
        violations: list[Violation] = []
        for name in sorted(set(query) - set(contract.query)):
            known = ", ".join(sorted(contract.query)) or "none"
            violations.append(
                Violation(
                    UNACCEPTABLE,
                    f"query parameter {name} is not defined for {contract.operation_id} (defined: {known})",
                )
            )
        for name, parameter in sorted(contract.query.items()):
            if name not in query:
                if parameter.required:
                    violations.append(Violation(UNACCEPTABLE, f"query parameter {name} is required"))
                continue
            try:
                value = _convert(query[name], parameter.schema)
            except ValueError as exc:
                violations.append(Violation(MALFORMED, f"query parameter {name} must be {exc}; got {query[name]!r}"))
                continue
            errors = jsonschema.Draft4Validator(parameter.schema).iter_errors(value)
            violations.extend(_describe(error, f"query parameter {name}") for error in errors)
        return violations

    def _check_body(
        self, contract: OperationContract, request: Request, decode_body: Callable[[Request], Any]
    ) -> list[Violation]:
        if contract.form_fields:
            return []
        if contract.body_schema is None:
            if request.body:
                return [Violation(UNACCEPTABLE, f"{contract.operation_id} takes no request body")]
            return []
        if not request.body:
            return [Violation(UNACCEPTABLE, "a request body is required")] if contract.body_required else []
        try:
            body = decode_body(request)
        except HttpError as exc:
            return [Violation(exc.status, exc.message)]
        errors = self._body_validators[contract.operation_id].iter_errors(body)
        return [_describe(error) for error in sorted(errors, key=lambda error: list(map(str, error.absolute_path)))]


def summarize(violations: list[Violation]) -> Violation:
    """One answer for several problems: malformed wins (fix the shape first), every message kept."""
    status = MALFORMED if any(v.status == MALFORMED for v in violations) else UNACCEPTABLE
    return Violation(status, "; ".join(v.message for v in violations))
