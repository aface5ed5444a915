"""known_hosts and private keys read without paramiko: the same answers paramiko gives."""

from __future__ import annotations

import subprocess
from pathlib import Path

import paramiko
import pytest

from components.backups.ssh_files import known_host_keys, private_key_problem


def _keygen(path: Path, kind: str, passphrase: str = "") -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", passphrase, "-f", str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def host_keys(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    root = tmp_path_factory.mktemp("hostkeys")
    return [
        " ".join((_keygen(root / kind, kind).with_suffix(".pub")).read_text().split()[:2])
        for kind in ("ed25519", "rsa")
    ]


def test_plain_and_port_entries(tmp_path: Path, host_keys: list[str]) -> None:
    ed, rsa = host_keys
    known = tmp_path / "known_hosts"
    known.write_text(f"# comment\n[127.0.0.1]:2222 {ed}\nexample.org,10.0.0.1 {rsa} root@x\n@revoked * {ed}\n")
    assert known_host_keys(known, "127.0.0.1", 2222) == [ed]
    assert known_host_keys(known, "10.0.0.1", 22) == [rsa]
    assert known_host_keys(known, "127.0.0.1", 22) == []
    # paramiko refuses marker lines outright; compare the rest with it.
    known.write_text("".join(line + "\n" for line in known.read_text().splitlines() if not line.startswith("@")))
    for host, port in (("127.0.0.1", 2222), ("10.0.0.1", 22), ("example.org", 22)):
        name = host if port == 22 else f"[{host}]:{port}"
        entries: dict[str, paramiko.PKey] = dict(paramiko.HostKeys(str(known)).lookup(name) or {})
        assert known_host_keys(known, host, port) == sorted(f"{t} {k.get_base64()}" for t, k in entries.items())


def test_hashed_entries(tmp_path: Path, host_keys: list[str]) -> None:
    ed, _ = host_keys
    known = tmp_path / "known_hosts"
    known.write_text(f"[backup.example]:2222 {ed}\n")
    subprocess.run(["ssh-keygen", "-H", "-f", str(known)], check=True, capture_output=True)
    assert "backup.example" not in known.read_text()
    assert known_host_keys(known, "backup.example", 2222) == [ed]
    assert known_host_keys(known, "other.example", 2222) == []


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa", "rsa"])
def test_usable_private_keys(tmp_path: Path, kind: str) -> None:
    assert private_key_problem(_keygen(tmp_path / "id", kind).read_text()) is None


def test_unusable_private_keys(tmp_path: Path) -> None:
    protected = _keygen(tmp_path / "id", "ed25519", passphrase="correct horse")
    assert "passphrase-protected" in (private_key_problem(protected.read_text()) or "")
    assert "not an OpenSSH/PEM private key" in (private_key_problem("hello") or "")
    public = protected.with_suffix(".pub").read_text()
    assert "not an OpenSSH/PEM private key" in (private_key_problem(public) or "")
