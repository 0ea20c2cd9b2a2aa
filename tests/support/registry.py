"""A provider and module registry for the tests, over HTTPS with a test CA.

It speaks what the cores speak to a registry host:

* service discovery: ``GET /.well-known/terraform.json`` names the ``providers.v1`` and
  ``modules.v1`` base paths;
* the provider registry protocol: ``GET /v1/providers/NS/TYPE/versions`` and
  ``GET /v1/providers/NS/TYPE/VERSION/download/OS/ARCH`` (the package's URL, its
  SHA256SUMS and signature URLs, and the signing key);
* the module registry protocol: ``GET /v1/modules/NS/NAME/SYSTEM/versions`` and
  ``GET /v1/modules/NS/NAME/SYSTEM/VERSION/download`` (204 with ``X-Terraform-Get``
  pointing at a tarball).

Provider releases are directories made by scripts/release.sh (zips, SHA256SUMS, its
signature, the manifest and the signer's public key); module versions are tarballs of
a module directory. Files are served under ``/files/``.

The cores must trust the test CA: they are Go programs, so ``SSL_CERT_FILE`` pointing
at the CA's PEM does it. The host is ``127.0.0.1:PORT``: module registry hostnames must
contain a dot (``localhost`` is refused), and provider addresses accept it too.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import re
import ssl
import tarfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PROVIDER_TYPE = "ode"
PROTOCOLS = ["6.0"]


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca_and_server_cert(directory: Path) -> tuple[Path, Path, Path]:
    """A test CA and a server certificate it signed for localhost / 127.0.0.1.

    Returns (CA PEM, server certificate PEM, server key PEM).
    """
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("ODE test registry CA"))
        .issuer_name(_name("ODE test registry CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False, key_agreement=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem, cert_pem, key_pem = directory / "ca.pem", directory / "server.pem", directory / "server-key.pem"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return ca_pem, cert_pem, key_pem


@dataclass
class ProviderRelease:
    """One provider version: a directory of release artifacts."""

    version: str
    directory: Path
    key_id: str
    public_key: str

    def zips(self) -> dict[tuple[str, str], Path]:
        """The packages by (os, arch)."""
        found = {}
        pattern = re.compile(rf"terraform-provider-{PROVIDER_TYPE}_{re.escape(self.version)}_([a-z0-9]+)_([a-z0-9]+)\.zip")
        for path in sorted(self.directory.glob("*.zip")):
            match = pattern.fullmatch(path.name)
            if match:
                found[(match.group(1), match.group(2))] = path
        return found

    @property
    def shasums(self) -> Path:
        return self.directory / f"terraform-provider-{PROVIDER_TYPE}_{self.version}_SHA256SUMS"


@dataclass
class Registry:
    """What the server serves; tests add releases and modules while it runs."""

    namespace: str = "ode"
    providers: dict[str, ProviderRelease] = field(default_factory=dict)
    # (name, system) -> {version: tarball path}
    modules: dict[tuple[str, str], dict[str, Path]] = field(default_factory=dict)
    # (name, system, version) -> the module's folder inside its package, if not the root
    subdirs: dict[tuple[str, str, str], str] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def add_module(
        self, source_dir: Path, name: str, system: str, version: str, out_dir: Path, subdir: str | None = None
    ) -> Path:
        """Package ``source_dir`` as module ``NS/name/system`` at ``version``. With
        ``subdir``, the package is the whole tree and the module is its ``subdir``
        (served as ``<archive>//<subdir>``): a module that calls its siblings by
        relative path (``../network``) travels with them."""
        if subdir is not None:
            self.subdirs[(name, system, version)] = subdir
        out_dir.mkdir(parents=True, exist_ok=True)
        tarball = out_dir / f"{name}-{system}-{version}.tar.gz"
        with tarfile.open(tarball, "w:gz") as tar:
            for path in sorted(source_dir.rglob("*")):
                relative = path.relative_to(source_dir)
                if ".terraform" in relative.parts or path.is_dir():
                    continue
                tar.add(path, arcname=str(relative))
        self.modules.setdefault((name, system), {})[version] = tarball
        return tarball


class _Handler(BaseHTTPRequestHandler):
    registry: Registry
    base_url: str
    files: dict[str, Path]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        self.registry.requests.append(self.path)

    def _json(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _file(self, path: Path) -> None:
        data = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _url(self, path: Path) -> str:
        key = f"{len(self.files)}/{path.name}"
        for existing, p in self.files.items():
            if p == path:
                key = existing
                break
        self.files[key] = path
        return f"{self.base_url}/files/{key}"

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.registry.requests.append(self.path)
        path = self.path.split("?", 1)[0]
        ns = re.escape(self.registry.namespace)
        if path == "/.well-known/terraform.json":
            return self._json(200, {"providers.v1": "/v1/providers/", "modules.v1": "/v1/modules/"})
        if path.startswith("/files/"):
            target = self.files.get(path[len("/files/") :])
            return self._file(target) if target else self._json(404, {"errors": ["no such file"]})
        if m := re.fullmatch(rf"/v1/providers/{ns}/{PROVIDER_TYPE}/versions", path):
            versions = [
                {
                    "version": v,
                    "protocols": PROTOCOLS,
                    "platforms": [{"os": o, "arch": a} for (o, a) in r.zips()],
                }
                for v, r in sorted(self.registry.providers.items())
            ]
            return self._json(200, {"versions": versions})
        if m := re.fullmatch(
            rf"/v1/providers/{ns}/{PROVIDER_TYPE}/([^/]+)/download/([a-z0-9]+)/([a-z0-9]+)", path
        ):
            release = self.registry.providers.get(m.group(1))
            package = release.zips().get((m.group(2), m.group(3))) if release else None
            if package is None:
                return self._json(404, {"errors": ["no such version or platform"]})
            sums = release.shasums
            shasum = next(
                line.split()[0] for line in sums.read_text().splitlines() if line.endswith(package.name)
            )
            return self._json(
                200,
                {
                    "protocols": PROTOCOLS,
                    "os": m.group(2),
                    "arch": m.group(3),
                    "filename": package.name,
                    "download_url": self._url(package),
                    "shasums_url": self._url(sums),
                    "shasums_signature_url": self._url(sums.with_name(sums.name + ".sig")),
                    "shasum": shasum,
                    "signing_keys": {
                        "gpg_public_keys": [{"key_id": release.key_id, "ascii_armor": release.public_key}]
                    },
                },
            )
        if m := re.fullmatch(rf"/v1/modules/{ns}/([^/]+)/([^/]+)/versions", path):
            versions = self.registry.modules.get((m.group(1), m.group(2)))
            if versions is None:
                return self._json(404, {"errors": ["no such module"]})
            return self._json(200, {"modules": [{"versions": [{"version": v} for v in sorted(versions)]}]})
        if m := re.fullmatch(rf"/v1/modules/{ns}/([^/]+)/([^/]+)/([^/]+)/download", path):
            tarball = self.registry.modules.get((m.group(1), m.group(2)), {}).get(m.group(3))
            if tarball is None:
                return self._json(404, {"errors": ["no such module version"]})
            subdir = self.registry.subdirs.get((m.group(1), m.group(2), m.group(3)))
            where = self._url(tarball) + (f"//{subdir}" if subdir else "") + "?archive=tar.gz"
            self.send_response(204)
            self.send_header("X-Terraform-Get", where)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        return self._json(404, {"errors": [f"not found: {path}"]})


class RegistryServer:
    """The registry on https://localhost:PORT for the length of a ``with`` block."""

    def __init__(self, state_dir: Path):
        self.registry = Registry()
        self.ca_pem, cert, key = make_ca_and_server_cert(state_dir / "tls")
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        # A module registry hostname must contain a dot, so the address is the IP (the
        # certificate names both); provider addresses accept it too.
        self.host = f"127.0.0.1:{self.port}"
        handler = type(
            "Handler", (_Handler,), {"registry": self.registry, "base_url": f"https://{self.host}", "files": {}}
        )
        self._server.RequestHandlerClass = handler
        self._thread = threading.Thread(target=self._server.serve_forever, name="registry", daemon=True)

    def __enter__(self) -> "RegistryServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def environment(self) -> dict[str, str]:
        """What a core needs to trust this registry."""
        return {"SSL_CERT_FILE": str(self.ca_pem)}

