"""Start the provider binary the way a core does (go-plugin), without a core.

Shared by the handshake tests (tests/e2e/test_provider.py) and the benchmark
(tests/bench/provider_bench.py).
"""

from __future__ import annotations

import base64
import datetime
import os
import selectors
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

MAGIC_COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
HANDSHAKE_TIMEOUT_S = 60


class HandshakeError(AssertionError):
    """The provider did not print a handshake line (in time)."""


def plugin_environment(**extra: str) -> dict[str, str]:
    """This process's environment without TF_*/PLUGIN_* variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "PLUGIN_"))}
    env.update(extra)
    return env


def serve_environment(client_cert_pem: str, **extra: str) -> dict[str, str]:
    """The environment a core gives a protocol 6 provider it starts with auto-mTLS."""
    return plugin_environment(
        TF_PLUGIN_MAGIC_COOKIE=MAGIC_COOKIE,
        PLUGIN_PROTOCOL_VERSIONS="6",
        PLUGIN_MIN_PORT="10000",
        PLUGIN_MAX_PORT="25000",
        PLUGIN_CLIENT_CERT=client_cert_pem,
        **extra,
    )


def make_go_plugin_cert(directory: Path, name: str) -> tuple[Path, Path]:
    """A certificate made the way go-plugin makes its auto-mTLS client certificate.

    Returns the paths of the PEM certificate and key.
    """
    key = ec.generate_private_key(ec.SECP521R1())
    subject = x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "HashiCorp"), x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]
    )
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(seconds=30))
        .not_valid_after(now + datetime.timedelta(hours=262980))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]),
            critical=False,
        )
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA512())
    )
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def read_handshake_line(proc: subprocess.Popen, timeout_s: float = HANDSHAKE_TIMEOUT_S) -> str:
    """The provider's first stdout line, waiting at most ``timeout_s``.

    Raises :class:`HandshakeError` on timeout or when stdout closes first.
    """
    line = b""
    deadline = time.monotonic() + timeout_s
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                raise HandshakeError(f"no handshake line within {timeout_s} s (so far: {line!r})")
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                raise HandshakeError(f"the provider closed stdout after {line!r}; exit code {proc.poll()}")
            line += chunk
    return line.decode()


@dataclass
class Handshake:
    """The fields of a go-plugin handshake line."""

    core_version: str
    protocol_version: str
    network: str
    address: str
    protocol: str
    cert_b64: str

    @classmethod
    def parse(cls, line: str) -> "Handshake":
        fields = line.rstrip("\n").split("|")
        if len(fields) != 6:
            raise HandshakeError(f"unexpected handshake line {line!r}")
        return cls(*fields)

    @property
    def server_der(self) -> bytes:
        """The server certificate (DER); the line carries it as unpadded base64."""
        padded = self.cert_b64 + "=" * (-len(self.cert_b64) % 4)
        return base64.b64decode(padded, validate=True)

    @property
    def server_pem(self) -> bytes:
        cert = x509.load_der_x509_certificate(self.server_der)
        return cert.public_bytes(serialization.Encoding.PEM)
