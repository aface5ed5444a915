"""The provider contract, checked over every dynamic resource type the project declares.

For every field of every provider: a respelling of the same value (the normaliser's job) is no
change; a connection change is an update that calls nothing; an identity change replaces; a
mutable change updates in place; a read that finds the object gone drops it from state, and a
read that finds a mutable field changed by hand names it (names only) for `sfops drift`.
"""

from __future__ import annotations

import itertools
import socket
from collections.abc import Callable
from typing import Any

import pytest

from components.backups.aws import region_or_default
from components.backups.bucket import BucketProvider
from components.backups.cron_host import CronHostProvider, host_name
from components.backups.identities import AccessIdentityProvider, canonical_json
from components.generated_secret import GeneratedSecretProvider
from components.netlify.build import ProductionBuildProvider
from components.netlify.env_inventory import EnvInventoryProvider
from components.netlify.env_var import EnvVarProvider
from components.netlify.published_deploy import PublishedDeployProvider
from components.netlify.secret_handover import SecretHandoverProvider
from components.provider_base import (
    DRIFTED,
    DeclaredProvider,
    Field,
    Kind,
    endpoint,
    lower,
    sorted_list,
    whole_number,
)
from components.stripe.endpoint_resource import WebhookEndpointProvider

PROVIDERS: list[type[DeclaredProvider]] = [
    BucketProvider,
    CronHostProvider,
    AccessIdentityProvider,
    GeneratedSecretProvider,
    ProductionBuildProvider,
    EnvInventoryProvider,
    EnvVarProvider,
    PublishedDeployProvider,
    SecretHandoverProvider,
    WebhookEndpointProvider,
]


def _endpoint_spellings() -> list[str]:
    """The same loopback server as people type it: case, `localhost`, trailing slash, default port."""
    hosts = ["127.0.0.1", "localhost", "LOCALHOST"]
    schemes = ["http", "HTTP"]
    tails = ["", "/"]
    spelled = [f"{s}://{h}:8080/api/v1{t}" for s, h, t in itertools.product(schemes, hosts, tails)]
    return [*spelled, "http://127.0.0.1:8080/api/v1//", " http://127.0.0.1:8080/api/v1 "]


# For each normaliser: a canonical value, its respellings, and a value that is really different.
SPELLINGS: dict[Callable[[Any], Any] | None, tuple[Any, list[Any], Any]] = {
    endpoint: ("http://127.0.0.1:8080/api/v1", _endpoint_spellings(), "http://127.0.0.1:9090/api/v1"),
    lower: ("acme-team", ["ACME-TEAM", "Acme-Team", " acme-team "], "other-team"),
    region_or_default: ("us-east-1", ["US-EAST-1", "", " us-east-1"], "eu-west-1"),
    host_name: ("127.0.0.1", ["localhost", "LOCALHOST", "127.0.0.1"], "10.0.0.7"),
    sorted_list: (["a", "b", "c"], [["c", "b", "a"], ["b", "a", "c"]], ["a", "b"]),
    whole_number: (22, [22.0], 2222),
    canonical_json: ('{"a": 1, "b": [2]}', ['{"b":[2],"a":1}', {"b": [2], "a": 1}], '{"a": 2, "b": [2]}'),
    None: ("value", ["value"], "another value"),
}

CASES = [(p, f) for p in PROVIDERS for f in p.FIELDS]


def case_id(case: tuple[type[DeclaredProvider], Field]) -> str:
    return f"{case[0].__name__}.{case[1].name}"


def state_of(provider: type[DeclaredProvider]) -> dict[str, Any]:
    """A state with every field at its canonical sample value."""
    return {f.name: SPELLINGS[f.normalize][0] for f in provider.FIELDS}


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """The contract's guarantees are about calls: any attempt to reach a server fails the test."""

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("the provider tried to reach a server")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_every_normaliser_in_use_has_spellings() -> None:
    used = {f.normalize for p in PROVIDERS for f in p.FIELDS}
    assert used <= set(SPELLINGS), f"add spellings for {used - set(SPELLINGS)}"


def test_every_dynamic_provider_is_covered() -> None:
    def subclasses(cls: type) -> set[type]:
        found: set[type] = set()
        children: list[type] = cls.__subclasses__()
        for sub in children:
            found |= {sub} | subclasses(sub)
        return found

    assert subclasses(DeclaredProvider) <= set(PROVIDERS)


# How we reach a vendor, wherever a provider has it: never which remote object it is.
HOW_WE_REACH = {"api_url", "endpoint_url", "account_id"}


@pytest.mark.parametrize("provider_type", PROVIDERS, ids=lambda p: p.__name__)
def test_how_we_reach_the_vendor_is_declared_connection(provider_type: type[DeclaredProvider]) -> None:
    kinds = {f.name: f.kind for f in provider_type.FIELDS}
    assert {name: kinds[name] for name in HOW_WE_REACH & set(kinds)} == dict.fromkeys(
        HOW_WE_REACH & set(kinds), Kind.CONNECTION
    )
    # The inventory and the secret handover act on a site's variables but own no object themselves.
    owns_nothing = provider_type in (EnvInventoryProvider, SecretHandoverProvider)
    assert bool(provider_type.names(Kind.IDENTITY)) != owns_nothing, "every remote object has an identity"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_a_respelling_is_no_change_at_all(case: tuple[type[DeclaredProvider], Field]) -> None:
    provider_type, f = case
    canonical, spellings, _ = SPELLINGS[f.normalize]
    olds = state_of(provider_type)
    for spelling in spellings:
        news = {**olds, f.name: spelling}
        diff = provider_type().diff("id", olds, news)
        assert not diff.changes, f"{f.name}={spelling!r} is {canonical!r} spelled another way"
        # `check` stores one spelling per meaning, whatever `validate` then says of the sample.
        if f.normalize is not None:
            assert f.normalize(spelling) == canonical


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_each_kind_of_change_does_what_its_declaration_says(
    case: tuple[type[DeclaredProvider], Field], monkeypatch: pytest.MonkeyPatch
) -> None:
    provider_type, f = case
    olds = state_of(provider_type)
    news = {**olds, f.name: SPELLINGS[f.normalize][2]}
    provider = provider_type()
    diff = provider.diff("id", olds, news)
    # Guards are checked before writes, computed fields are outputs: never a diff of their own.
    assert diff.changes == (f.kind in (Kind.IDENTITY, Kind.MUTABLE, Kind.CONNECTION))
    assert diff.replaces == ([f.name] if f.kind is Kind.IDENTITY else [])

    if f.kind in (Kind.CONNECTION, Kind.GUARD):

        def no_call(*_args: Any) -> dict[str, Any]:
            raise AssertionError(f"changing {f.name} ({f.kind.value}) must not call the vendor")

        monkeypatch.setattr(provider, "update_remote", no_call)
        monkeypatch.setattr(provider, "extra_changes", lambda _o, _n: [])
        outputs = provider.update("id", olds, news).outs or {}
        assert outputs[f.name] == news[f.name], "state records how we reach it now"
        computed = provider_type.names(Kind.COMPUTED)
        assert {k: outputs[k] for k in computed} == {k: olds[k] for k in computed}


@pytest.mark.parametrize("provider_type", PROVIDERS, ids=lambda p: p.__name__)
def test_read_of_an_object_gone_drops_it(
    provider_type: type[DeclaredProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = provider_type()
    monkeypatch.setattr(provider, "read_remote", lambda _id, _props: None)
    assert provider.read("id", state_of(provider_type)).id is None


@pytest.mark.parametrize("case", [c for c in CASES if c[1].kind is Kind.MUTABLE], ids=case_id)
def test_read_names_a_field_changed_by_hand_and_keeps_naming_it(
    case: tuple[type[DeclaredProvider], Field], monkeypatch: pytest.MonkeyPatch
) -> None:
    provider_type, f = case
    provider = provider_type()
    state = state_of(provider_type)
    live = {k: state[k] for k in provider_type.names(Kind.MUTABLE, Kind.COMPUTED)}

    monkeypatch.setattr(provider, "read_remote", lambda _id, _props: dict(live))
    assert DRIFTED not in (provider.read("id", state).outs or {}), "an unchanged object reads back as it was"

    live[f.name] = SPELLINGS[f.normalize][2]
    outs = provider.read("id", state).outs or {}
    assert outs[f.name] == live[f.name]
    assert outs.get(DRIFTED, []) == ([] if f.derived else [f.name])
    # Once `pulumi refresh` wrote it into state, the next read still names it (no flip-flop).
    again = provider.read("id", outs).outs or {}
    assert again.get(DRIFTED, []) == outs.get(DRIFTED, [])


BACKFILLED = [c for c in CASES if c[1].backfill is not None]


def test_the_fields_added_after_stacks_were_written_are_declared() -> None:
    assert {case_id(c) for c in BACKFILLED} >= {"EnvVarProvider.value_since", "SecretHandoverProvider.since"}


@pytest.mark.parametrize("case", BACKFILLED, ids=case_id)
def test_a_state_older_than_a_computed_field_gets_it_once_without_a_vendor_call(
    case: tuple[type[DeclaredProvider], Field], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A preview sees an output missing from state as unknown, and so everything the program builds
    from it as a change, at every preview: one state-only update records the backfill instead."""
    provider_type, f = case
    provider = provider_type()
    current = state_of(provider_type)
    old = {k: v for k, v in current.items() if k != f.name}
    diff = provider.diff("id", old, dict(current))
    assert diff.changes
    assert not diff.replaces

    def no_call(*_args: Any) -> dict[str, Any]:
        raise AssertionError(f"recording {f.name} must not call the vendor")

    monkeypatch.setattr(provider, "update_remote", no_call)
    monkeypatch.setattr(provider, "extra_changes", lambda _o, _n: [])
    outputs = provider.update("id", old, dict(current)).outs or {}
    assert f.backfill is not None
    assert outputs[f.name] == f.backfill(old)
    assert not provider.diff("id", outputs, dict(current)).changes, "once recorded, no change"

    # A refresh records it too, and then reports no change of its own (the base's read_remote
    # answers None for it, as a provider without its own read does).
    for live in ({}, {f.name: None}):
        monkeypatch.setattr(provider, "read_remote", lambda _id, _props, live=live: dict(live))
        refreshed = provider.read("id", old).outs or {}
        assert refreshed[f.name] == f.backfill(old)
        assert not provider.diff("id", refreshed, dict(current)).changes
