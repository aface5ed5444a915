"""`secrets:GeneratedSecret`: a random value made once and kept, encrypted, in state.

What `random.RandomPassword` does, without its provider plugin: that plugin cannot
be built or downloaded on machines without internet, so a stack that relied on it
could not even preview there. The value never leaves state in clear
(`additional_secret_outputs`) and changes only when the resource is replaced.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, Resource

from components.provider_base import DeclaredProvider, computed, identity, whole_number

ALPHABET = string.ascii_letters + string.digits


class GeneratedSecretProvider(DeclaredProvider):
    FIELDS = (identity("length", normalize=whole_number), computed("result", secret=True))

    def create(self, props: dict[str, Any]) -> CreateResult:
        length = int(props["length"])
        value = "".join(secrets.choice(ALPHABET) for _ in range(length))
        return CreateResult(f"generated-{secrets.token_hex(8)}", {**props, "result": value})

    # `read_remote` is the base's: nothing remote to compare with, state is the only copy.

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None


class GeneratedSecret(Resource, module="secrets", name="GeneratedSecret"):
    result: pulumi.Output[str]

    def __init__(self, resource_name: str, *, length: int, opts: pulumi.ResourceOptions | None = None) -> None:
        if not 16 <= length <= 256:
            raise ValueError("length must be from 16 to 256 characters")
        provider = GeneratedSecretProvider
        inputs = provider.declared_inputs({"length": length})
        super().__init__(provider(), resource_name, inputs, provider.options(opts))
