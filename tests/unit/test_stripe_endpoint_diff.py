"""The webhook endpoint provider's pure parts: what replaces, what updates, what a create sends."""

from __future__ import annotations

from typing import Any

import stripe

from components.stripe.endpoint_resource import (
    WebhookEndpointProvider,
    adoption_problem,
    create_params,
    idempotency_keys,
    issued_for,
    managed_metadata,
    update_params,
)

BASE: dict[str, Any] = {
    "api_url": "http://127.0.0.1:1",
    "url": "https://example.test/.netlify/functions/stripe-webhook",
    "enabled_events": ["charge.refunded", "transfer.created"],
    "api_version": "2026-08-26.dahlia",
    "signing_secret_issued_for": issued_for("2026-08-26.dahlia", False),
    "description": "d",
    "metadata": managed_metadata("soundfactory/it", "stripe-webhook-endpoint", False),
    "disabled": False,
    "connect": False,
    "livemode": False,
}


def diff(**changes: Any) -> tuple[bool | None, list[str]]:
    result = WebhookEndpointProvider().diff("we_1", BASE, {**BASE, **changes})
    return result.changes, list(result.replaces or [])


def test_no_change_is_no_diff() -> None:
    assert diff() == (False, [])
    assert diff(enabled_events=["transfer.created", "charge.refunded"]) == (False, [])


def test_stripe_updatable_fields_update_in_place() -> None:
    for change in ({"url": "https://other.test/hook"}, {"disabled": True}, {"description": "x"}):
        assert diff(**change) == (True, [])


def test_api_version_and_connect_replace_and_say_the_secret_rotates() -> None:
    # As the resource declares them: the secret's lineage follows api_version and connect.
    version = "2026-09-30.endive"
    changes, replaces = diff(api_version=version, signing_secret_issued_for=issued_for(version, False))
    assert changes
    assert replaces == ["api_version", "signing_secret_issued_for"]
    connect = {"connect": True, "signing_secret_issued_for": issued_for(BASE["api_version"], True)}
    assert diff(**connect)[1] == ["connect", "signing_secret_issued_for"]


def test_a_new_api_address_is_an_update_not_a_replacement() -> None:
    assert diff(api_url="http://127.0.0.1:2") == (True, [])


def test_update_sends_only_what_changed_and_unsets_dropped_metadata() -> None:
    olds = {**BASE, "metadata": {**BASE["metadata"], "note": "by hand"}}
    params = update_params(olds, {**BASE, "disabled": True})
    assert params == {"disabled": True, "metadata": {"note": "", **BASE["metadata"]}}


def test_idempotency_keys_depend_on_the_request_and_are_a_fixed_sequence() -> None:
    keys = idempotency_keys(BASE)
    assert keys == idempotency_keys(dict(BASE))
    assert len(set(keys)) == len(keys)
    assert all(len(key) <= 255 for key in keys)
    assert idempotency_keys({**BASE, "api_version": "2026-09-30.endive"})[0] != keys[0]
    other_stack = {**BASE, "metadata": managed_metadata("soundfactory/prod", "stripe-webhook-endpoint", False)}
    assert idempotency_keys(other_stack)[0] != keys[0]


def test_create_sends_connect_only_when_asked() -> None:
    assert "connect" not in create_params(BASE)
    assert create_params({**BASE, "connect": True})["connect"] is True


def endpoint(metadata: dict[str, str], api_version: str | None = "2026-08-26.dahlia") -> stripe.WebhookEndpoint:
    fields = {"id": "we_hand", "object": "webhook_endpoint", "metadata": metadata, "api_version": api_version}
    return stripe.WebhookEndpoint.construct_from(fields, "sk_test_x")


def test_an_endpoint_made_by_hand_or_by_this_resource_may_be_adopted() -> None:
    adopting = {**BASE, "adopt_id": "we_hand"}
    assert adoption_problem(endpoint({}), adopting) is None
    assert adoption_problem(endpoint({"team": "payments"}), adopting) is None
    # A killed adoption already wrote our metadata: the re-run takes it.
    assert adoption_problem(endpoint(dict(BASE["metadata"])), adopting) is None


def test_an_endpoint_of_another_stack_or_resource_is_not_adopted() -> None:
    adopting = {**BASE, "adopt_id": "we_hand"}
    staging = managed_metadata("soundfactory/staging", "stripe-webhook-endpoint", False)
    problem = adoption_problem(endpoint(staging), adopting)
    assert problem is not None
    assert "managed by stack 'soundfactory/staging'" in problem
    assert "pulumi state delete" in problem
    other = managed_metadata("soundfactory/it", "another-endpoint", False)
    assert "resource 'another-endpoint'" in (adoption_problem(endpoint(other), adopting) or "")


def test_an_endpoint_of_another_api_version_is_not_adopted() -> None:
    adopting = {**BASE, "adopt_id": "we_hand"}
    problem = adoption_problem(endpoint({}, "2025-01-27.acacia"), adopting) or ""
    assert "pulumi config set stripeWebhookApiVersion 2025-01-27.acacia" in problem
    unset = adoption_problem(endpoint({}, None), adopting) or ""
    assert "api_version unset" in unset


def test_a_replacement_with_the_adoption_keys_still_set_says_to_remove_them() -> None:
    adopted = {**BASE, "adopt_id": "we_hand"}
    result = WebhookEndpointProvider().check(adopted, {**adopted, "api_version": "2026-07-29.dahlia"})
    [failure] = result.failures or []
    assert failure.property == "adopt_id"
    assert "already adopted" in failure.reason
    assert "(api_version)" in failure.reason
    assert "pulumi config rm stripeWebhookAdoptId" in failure.reason


def test_a_replacement_while_pinned_is_refused_with_the_way_out() -> None:
    from components.stripe.endpoint_resource import _rotation_while_pinned

    olds = {"api_version": "2026-08-26.dahlia", "connect": False, "livemode": False}
    news = {**olds, "api_version": "2026-07-29.dahlia", "pinned_deploy": "0123456789abcdef01234567"}
    problem = _rotation_while_pinned(olds, news)
    assert problem is not None
    assert "pinnedDeploy=0123456789abcdef01234567" in problem
    assert "pulumi config rm pinnedDeploy" in problem
    assert "stripeWebhookApiVersion back to 2026-08-26.dahlia" in problem
    assert _rotation_while_pinned(olds, {**news, "pinned_deploy": ""}) is None  # not pinned: the handover runs
    assert _rotation_while_pinned({}, news) is None  # a first create rotates nothing
    assert _rotation_while_pinned(olds, {**olds, "pinned_deploy": "0123456789abcdef01234567"}) is None


def test_a_flip_names_both_commits_and_says_when_they_differ() -> None:
    from components.netlify.build import DIFFERS, describe_commits

    live = {"id": "a" * 24, "commit_ref": "1" * 40, "state": "ready"}
    head = {"id": "b" * 24, "commit_ref": "2" * 40, "state": "error"}
    same = describe_commits(live, live)
    assert same == f"builds the head of the production branch, commit {'1' * 12}; live: commit {'1' * 12}"
    differs = describe_commits(head, live)
    assert DIFFERS in differs
    assert f"commit {'2' * 12}; live: commit {'1' * 12}" in differs
    assert "'error'" in differs
    assert describe_commits(None, live) == ""
