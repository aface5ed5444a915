"""The generated secret: a fresh random value per create, stable until replaced."""

from __future__ import annotations

from components.generated_secret import ALPHABET, GeneratedSecretProvider


def test_each_create_draws_a_new_value_of_the_asked_length() -> None:
    provider = GeneratedSecretProvider()
    first = provider.create({"length": 48})
    second = provider.create({"length": 48})
    assert first.outs is not None
    assert second.outs is not None
    assert len(first.outs["result"]) == 48
    assert set(first.outs["result"]) <= set(ALPHABET)
    assert first.outs["result"] != second.outs["result"]
    assert first.id != second.id


def test_only_a_new_length_replaces_it() -> None:
    provider = GeneratedSecretProvider()
    assert not provider.diff("id", {"length": 48, "result": "x"}, {"length": 48}).changes
    changed = provider.diff("id", {"length": 48, "result": "x"}, {"length": 64})
    assert changed.changes
    assert changed.replaces == ["length"]


def test_refresh_keeps_the_value() -> None:
    read = GeneratedSecretProvider().read("id", {"length": 48, "result": "kept"})
    assert read.outs == {"length": 48, "result": "kept"}
    assert read.inputs == {"length": 48}
