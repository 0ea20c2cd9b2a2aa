"""Provider-level behaviour: configuration errors, the plugin handshake, logging."""

from __future__ import annotations

import re
import socket
import ssl
import subprocess
import uuid
from pathlib import Path

import pytest
from cryptography import x509

from tests.support.core import Core, write_config
from tests.support.diagnostics import assert_error_at, attribute_line, error_diagnostics
from tests.support.emulator import EmulatorClient
from tests.support.helpers import assert_emulator_empty, provider_block
from tests.support.plugin import (
    Handshake,
    HandshakeError,
    make_go_plugin_cert,
    plugin_environment,
    read_handshake_line,
    serve_environment,
)
from tests.support.secrets import secret_scan  # noqa: F401  (a fixture)

# The workspace version in the root Cargo.toml (what `--version` reports).
CRATE_VERSION = re.search(
    r'^version = "([^"]+)"', (Path(__file__).resolve().parents[2] / "Cargo.toml").read_text(), re.M
).group(1)

# The client's first bytes on an HTTP/2 connection: the preface and an empty SETTINGS frame.
H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
H2_FRAME_SETTINGS = 0x4

RESOURCE = """
resource "ode_state_backend" "this" {
  bucket     = "ode-e2e-provider-state"
  lock_table = "ode-e2e-provider-locks"
}
"""


# -- provider configuration ------------------------------------------------------------

# (case id, provider_block arguments, the argument the error is attached to, what it says)
PROVIDER_ERRORS = [
    ("region", {"region": "not-a-region"}, "region", '"not-a-region" is not an AWS region name'),
    ("max-retries", {"extra": "  max_retries = -1"}, "max_retries", "max_retries must be between 0 and 100; got -1."),
    ("endpoint", {"endpoints": {"s3": "not a url"}}, "endpoints.s3", '"not a url" is not an endpoint URL'),
    (
        "assume-role",
        {"extra": '  assume_role {\n    role_arn = "bad"\n  }'},
        "assume_role.role_arn",
        '"bad" is not a valid iam ARN',
    ),
    (
        "default-tags-empty-key",
        {"extra": '  default_tags {\n    tags = { "" = "x" }\n  }'},
        "default_tags.tags",
        "Tag keys must be 1 to 128 characters long.",
    ),
]


@pytest.mark.e2e
def test_provider_config_errors(core: Core, emulator: EmulatorClient, workdir: Path, subtests) -> None:
    write_config(workdir, provider_block(emulator) + RESOURCE)
    core.init(workdir)
    for case, arguments, attribute, message in PROVIDER_ERRORS:
        with subtests.test(case=case):
            hcl = provider_block(emulator, **arguments) + RESOURCE
            write_config(workdir, hcl)
            line = attribute_line(hcl, 'provider "ode"', attribute)
            assert_error_at(error_diagnostics(core, workdir), message, "main.tf", line, case=case)
    assert_emulator_empty(emulator)


# -- logging ---------------------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.usefixtures("secret_scan")
def test_no_secrets_in_logs(core: Core, emulator: EmulatorClient, workdir: Path, tmp_path: Path) -> None:
    canary = f"s3cr3t-ODE-canary-{uuid.uuid4().hex}"
    log_path = tmp_path / "core.log"
    env = {"AWS_SECRET_ACCESS_KEY": canary, "TF_LOG": "trace", "TF_LOG_PATH": str(log_path)}
    write_config(workdir, provider_block(emulator) + RESOURCE)
    results = [core.init(workdir, env=env), core.apply(workdir, env=env), core.destroy(workdir, env=env)]

    log = log_path.read_text(errors="replace")
    assert canary not in log, "the secret key is in the core's log"
    for result in results:
        assert canary not in result.output, "the secret key is in the output of " + " ".join(result.args)
    assert canary not in (workdir / "terraform.tfstate").read_text(errors="replace")
    # go-plugin prefixes each line the provider writes with the plugin's name.
    assert re.search(r"provider\.terraform-provider-ode[^:\s]*: ", log), "no line logged by the provider"
    # The provider says which version is running, once per start.
    assert re.search(rf"terraform-provider-ode starting.*version={re.escape(CRATE_VERSION)}", log), (
        "the provider did not log its version at start"
    )
    assert_emulator_empty(emulator)


# -- plugin handshake ------------------------------------------------------------------


def tls_connect(address: str, server_der: bytes, client: tuple[Path, Path] | None) -> ssl.SSLSocket:
    """A TLS connection to the provider's socket, trusting exactly its certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=server_der)
    # Go's verifier does not insist on the extensions strict mode wants of a self-signed leaf.
    context.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
    context.set_alpn_protocols(["h2"])
    if client is not None:
        context.load_cert_chain(*client)
    raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    raw.settimeout(10)
    raw.connect(address)
    return context.wrap_socket(raw, server_hostname="localhost")


def h2_exchange(conn: ssl.SSLSocket) -> bytes:
    """Send the HTTP/2 preface and return the head of the server's first frame."""
    conn.sendall(H2_PREFACE)
    return conn.recv(9)


def assert_connection_refused(address: str, server_der: bytes, client: tuple[Path, Path] | None) -> None:
    # Under TLS 1.3 the server judges the client certificate after the client has
    # finished its side of the handshake, so the refusal may only show on first use.
    try:
        with tls_connect(address, server_der, client) as conn:
            data = h2_exchange(conn)
    except TimeoutError:
        pytest.fail("the provider neither served nor refused the connection")
    except (ssl.SSLError, ConnectionError, OSError):
        return
    assert data == b"", f"the provider served a connection it should have refused: {data!r}"


@pytest.mark.provider
def test_handshake_mtls(provider_bin: Path, tmp_path: Path) -> None:
    client = make_go_plugin_cert(tmp_path, "client")
    stranger = make_go_plugin_cert(tmp_path, "stranger")
    env = serve_environment(client[0].read_text())
    with open(tmp_path / "provider.stderr", "wb") as stderr:
        proc = subprocess.Popen(
            [str(provider_bin)], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr
        )
    try:
        try:
            line = read_handshake_line(proc)
        except HandshakeError as error:
            pytest.fail(str(error))
        handshake = Handshake.parse(line)
        address = handshake.address
        versions = (handshake.core_version, handshake.protocol_version, handshake.network, handshake.protocol)
        assert versions == ("1", "6", "unix", "grpc"), line
        assert Path(address).is_socket(), f"{address} is not a unix socket"
        assert handshake.cert_b64 and "=" not in handshake.cert_b64, "the certificate must be unpadded base64"
        server_der = handshake.server_der
        server_cert = x509.load_der_x509_certificate(server_der)
        sans = server_cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert "localhost" in sans.get_values_for_type(x509.DNSName)

        with tls_connect(address, server_der, client) as conn:
            assert conn.selected_alpn_protocol() == "h2"
            frame_head = h2_exchange(conn)
            assert len(frame_head) == 9 and frame_head[3] == H2_FRAME_SETTINGS, frame_head

        assert_connection_refused(address, server_der, stranger)
        assert_connection_refused(address, server_der, None)
        assert proc.poll() is None, "the provider exited after refusing a connection"
    finally:
        proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()


@pytest.mark.provider
def test_version_flag(provider_bin: Path) -> None:
    """`--version` answers without a core (no magic cookie needed) and matches Cargo.toml."""
    result = subprocess.run([str(provider_bin), "--version"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result
    assert result.stdout.strip() == f"terraform-provider-ode {CRATE_VERSION} (plugin protocol 6)", result


@pytest.mark.provider
def test_without_magic_cookie(provider_bin: Path) -> None:
    result = subprocess.run(
        [str(provider_bin)],
        env=plugin_environment(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1, result
    assert result.stdout == ""
    assert "plugin" in result.stderr.lower(), result.stderr
