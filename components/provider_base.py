"""The contract every dynamic provider here follows: fields declared once, diff derived from them.

In the spirit of a Terraform resource schema, each provider lists its fields as
- *identity*: which remote object this is; a change replaces it (`RequiresReplace`);
- *mutable*: updated in place, and read back from the vendor on refresh;
- *connection*: how we reach the vendor (an API base, a region where any is equivalent,
  an account's spelling); a change is a state-only update that calls nothing, so it can
  never turn into "create the same object again, then delete it";
- *guard*: checked before a write, never diffed (the site URL a variable's site must serve);
- *computed*: outputs only (ids, generated secrets, stamps).
A mutable field may be *derived*: it follows other resources (a build's staleness after a
variable changed) and so is never reported as a hand change of its own.
Any field may be *secret* (its output stays encrypted: the Python SDK drops the secret
marking of provider outputs unless the resource lists them in `additional_secret_outputs`),
and may carry a normaliser, applied in `check`, so state holds one spelling per meaning and
a respelling is no change at all.

The base does `check` (normalise; refuse what the vendor cannot change), `diff`, the
connection-only `update`, and the bookkeeping of `read`; a provider writes only what is
specific to its vendor: `create`, `update_remote`, `delete`, `read_remote`. The field table
is class-level and the credentials live in `components.credentials`: nothing is stored on
the provider object, which is pickled into state by module path.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from components import credentials

# The Python dynamic-provider host hands unknown inputs (values a preview cannot know yet)
# to `check` and `diff` as this sentinel (pulumi.runtime.rpc.UNKNOWN); never normalise or send it.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


class Kind(enum.Enum):
    IDENTITY = "identity"
    MUTABLE = "mutable"
    CONNECTION = "connection"
    GUARD = "guard"
    COMPUTED = "computed"


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    secret: bool = False
    normalize: Callable[[Any], Any] | None = None
    derived: bool = False
    # A computed field added after stacks were written: the value a state without it gets.
    # Such a state shows one state-only update (no vendor call); without it, a preview would
    # see the missing output as unknown, and everything built from it as a change, forever.
    backfill: Callable[[Mapping[str, Any]], Any] | None = None


def identity(name: str, **kw: Any) -> Field:
    return Field(name, Kind.IDENTITY, **kw)


def mutable(name: str, **kw: Any) -> Field:
    return Field(name, Kind.MUTABLE, **kw)


def connection(name: str, **kw: Any) -> Field:
    return Field(name, Kind.CONNECTION, **kw)


def guard(name: str, **kw: Any) -> Field:
    return Field(name, Kind.GUARD, **kw)


def computed(name: str, **kw: Any) -> Field:
    return Field(name, Kind.COMPUTED, **kw)


# --- normalisers shared by the providers ---------------------------------------------------

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
DEFAULT_PORTS = {"http": 80, "https": 443}


def endpoint(url: Any) -> Any:
    """One spelling per server: case, a trailing slash, `localhost`, an explicit default port."""
    if not isinstance(url, str) or not url or url == UNKNOWN:
        return url
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if host in LOOPBACK_NAMES:
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    port = parts.port
    netloc = host if port is None or DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    path = parts.path.rstrip("/")
    return parts._replace(scheme=scheme, netloc=netloc, path=path).geturl()


def lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) and value != UNKNOWN else value


def sorted_list(value: Any) -> Any:
    return sorted(value) if isinstance(value, list) and UNKNOWN not in value else value


def whole_number(value: Any) -> Any:
    """The engine hands numbers over as floats: 22.0 and 22 are one port."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# The output `read` adds when the vendor's copy differs from state: the names of the mutable
# fields changed by hand. Names only, never values, so it is plain even for secret fields, and
# `sfops drift` can say "changed" for a secret the engine's events mask. It stays until the next
# create or update (whose outputs do not carry it): a persisted `pulumi refresh` keeps it, and
# a second refresh sees no change of its own.
DRIFTED = "drifted"
# The output `read` adds for what the refresh found wrong with the live objects that is no hand
# change of a field (a live deploy that cannot verify the current webhook secret): whole
# sentences, each naming the way out, recomputed by every read. `sfops drift` shows them.
ALERTS = "alerts"


def _known(value: Any) -> bool:
    return not (isinstance(value, str) and value == UNKNOWN)


class DeclaredProvider(ResourceProvider):
    """Base of every dynamic provider in the project (see the module docstring)."""

    FIELDS: ClassVar[tuple[Field, ...]] = ()
    # True where the remote name is unique (an IAM user, a file path): the old object must go first.
    DELETE_BEFORE_REPLACE: ClassVar[bool] = False

    # --- the table ----------------------------------------------------------------------------

    @classmethod
    def names(cls, *kinds: Kind) -> tuple[str, ...]:
        return tuple(f.name for f in cls.FIELDS if f.kind in kinds)

    @classmethod
    def secret_outputs(cls) -> list[str]:
        return [f.name for f in cls.FIELDS if f.secret]

    @classmethod
    def declared_inputs(cls, values: Mapping[str, Any]) -> dict[str, Any]:
        """The resource's property bag: every declared input, secret ones wrapped; computed as None."""
        unknown = set(values) - {f.name for f in cls.FIELDS}
        if unknown:
            raise TypeError(f"{cls.__name__}: undeclared properties {sorted(unknown)}")
        props: dict[str, Any] = {}
        for f in cls.FIELDS:
            if f.kind is Kind.COMPUTED:
                props[f.name] = None
            elif f.name in values:
                value = values[f.name]
                props[f.name] = pulumi.Output.secret(value) if f.secret else value
        return props

    @classmethod
    def options(cls, opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions:
        secret = cls.secret_outputs()
        mine = pulumi.ResourceOptions(additional_secret_outputs=secret) if secret else None
        return pulumi.ResourceOptions.merge(opts, mine)

    # --- engine entry points --------------------------------------------------------------------

    def configure(self, req: ConfigureRequest) -> None:
        credentials.remember(req.config)

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        checked = dict(news)
        for f in self.FIELDS:
            if f.normalize is not None and f.name in checked and _known(checked[f.name]):
                checked[f.name] = f.normalize(checked[f.name])
        return CheckResult(checked, self.validate(olds or {}, checked))

    @staticmethod
    def _differs(f: Field, olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
        if f.name not in olds:
            return False  # state written before the field existed: recorded at the next update
        old, new = olds[f.name], news.get(f.name)
        if f.normalize is not None:
            # Both sides: state written before the normaliser, and news that skipped `check`.
            old = f.normalize(old) if _known(old) else old
            new = f.normalize(new) if _known(new) else new
        return bool(old != new)

    def changed(self, olds: Mapping[str, Any], news: Mapping[str, Any], *kinds: Kind) -> list[str]:
        return [f.name for f in self.FIELDS if f.kind in kinds and self._differs(f, olds, news)]

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = self.changed(olds, news, Kind.IDENTITY)
        changes = self.changed(olds, news, Kind.MUTABLE, Kind.CONNECTION) + self.extra_changes(olds, news)
        return DiffResult(
            changes=bool(replaces or changes or self.missing_backfills(olds)),
            replaces=replaces,
            delete_before_replace=self.DELETE_BEFORE_REPLACE,
        )

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        if not self.changed(olds, news, Kind.MUTABLE) and not self.extra_changes(olds, news):
            # Only how we reach it (or a guard) changed: the remote object is as declared.
            return UpdateResult(self.kept_outputs(olds, news))
        return UpdateResult(self.update_remote(id_, olds, news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        live = self.read_remote(id_, props)
        if live is None:
            return ReadResult(None, {})  # deleted outside Pulumi: dropped from state, `up` creates it
        kept = {k: props[k] for k in self.names(Kind.IDENTITY, Kind.CONNECTION, Kind.GUARD) if k in props}
        inputs = {**kept, **{k: live.get(k, props.get(k)) for k in self.names(Kind.MUTABLE) if k in props or k in live}}
        # A field the state predates gets its backfill here too, or the engine's diff of the
        # refresh would report the state-only update as a change found by the refresh.
        outputs = {**inputs, **self.computed_outputs({**props, **live})}
        drifted = sorted(set(props.get(DRIFTED) or ()) | set(self.changed_by_hand(props, inputs)))
        if drifted:
            outputs[DRIFTED] = drifted
        alerts = self.alerts(outputs)
        if alerts:
            outputs[ALERTS] = alerts
        return ReadResult(id_, outputs, inputs=inputs)

    def alerts(self, live: dict[str, Any]) -> list[str]:
        """What is wrong with the live object beyond hand changes (see ALERTS); never a secret."""
        return []

    def changed_by_hand(self, state: Mapping[str, Any], live: Mapping[str, Any]) -> list[str]:
        return [
            f.name
            for f in self.FIELDS
            if f.kind is Kind.MUTABLE and not f.derived and f.name in live and self._differs(f, state, live)
        ]

    # --- what a provider writes -------------------------------------------------------------------

    def validate(self, olds: dict[str, Any], news: dict[str, Any]) -> list[CheckFailure]:
        """Vendor rules `check` applies beyond the table: what the vendor cannot change (an existing
        bucket's region), with the fix. No network unless the rule needs it."""
        return []

    def extra_changes(self, olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
        """Changes the table cannot express (a build held back while pinned)."""
        return []

    def kept_outputs(self, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        return {**self.computed_outputs(olds), **self.inputs_of(news)}

    def computed_outputs(self, state: Mapping[str, Any]) -> dict[str, Any]:
        """The computed fields of `state`, a field it predates filled in by its backfill."""
        return {
            f.name: f.backfill(state) if state.get(f.name) is None and f.backfill is not None else state.get(f.name)
            for f in self.FIELDS
            if f.kind is Kind.COMPUTED
        }

    def missing_backfills(self, state: Mapping[str, Any]) -> list[str]:
        # None is absent: the SDK never sends a null output, so the engine has no value for it.
        return [f.name for f in self.FIELDS if f.backfill is not None and state.get(f.name) is None]

    def inputs_of(self, props: Mapping[str, Any]) -> dict[str, Any]:
        return {f.name: props[f.name] for f in self.FIELDS if f.kind is not Kind.COMPUTED and f.name in props}

    def update_remote(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError(f"{type(self).__name__} declares mutable fields but cannot update them")

    def read_remote(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        """The mutable and computed fields as the vendor has them; None when the object is gone."""
        return {k: props.get(k) for k in self.names(Kind.MUTABLE, Kind.COMPUTED)}
