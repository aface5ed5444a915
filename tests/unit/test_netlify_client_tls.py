"""Netlify clients share one TLS context per process, and it is httpx's verifying default."""

from __future__ import annotations

import ssl

import httpx
import pytest

from components.netlify import api
from components.netlify.api import NetlifyClient


def test_clients_build_the_tls_context_once(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[ssl.SSLContext] = []
    original = httpx.create_ssl_context

    def counting() -> ssl.SSLContext:
        built.append(original())
        return built[-1]

    monkeypatch.setattr(httpx, "create_ssl_context", counting)
    api.tls_context.cache_clear()
    try:
        for _ in range(3):
            NetlifyClient("https://api.netlify.example/api/v1", "token").close()
    finally:
        api.tls_context.cache_clear()
    assert len(built) == 1


def test_the_shared_context_verifies_certificates_and_host_names() -> None:
    api.tls_context.cache_clear()
    context = api.tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.get_ca_certs() or context.cert_store_stats()["x509_ca"] > 0
