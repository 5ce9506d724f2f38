"""``KeepAlivePool`` over TLS: the server's certificate is verified against the trusted CAs (and
``SSL_CERT_FILE``) and its name, never skipped; a server we cannot verify is an error, never a call."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from resource.http import KeepAlivePool


def _self_signed(tmp_path, ip: str):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test authorization server")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


class _Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    connections = 0

    def setup(self) -> None:
        super().setup()
        type(self).connections += 1

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *_args) -> None:
        pass


@pytest.fixture
def tls_server(tmp_path):
    cert_file, key_file = _self_signed(tmp_path, "127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    handler = type("Handler", (_Hello,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"https://127.0.0.1:{server.server_port}", cert_file, handler
    server.shutdown()
    server.server_close()


def test_a_certificate_no_trusted_ca_signed_is_refused(tls_server, monkeypatch):
    url, _, _ = tls_server
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    pool = KeepAlivePool(url, timeout=2)
    with pytest.raises(ssl.SSLCertVerificationError):
        pool.request(b"GET", b"/")


def test_a_trusted_certificate_is_used_and_its_connection_kept(tls_server, monkeypatch):
    url, cert_file, handler = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    pool = KeepAlivePool(url, timeout=2)
    try:
        assert pool.request(b"GET", b"/").body == b"{}"
        assert pool.request(b"GET", b"/").status == 200
        assert handler.connections == 1
    finally:
        pool.clear()


def test_the_certificate_must_name_the_host(tls_server, monkeypatch):
    url, cert_file, handler = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    pool = KeepAlivePool(url.replace("127.0.0.1", "localhost"), timeout=2)
    with pytest.raises(ssl.SSLCertVerificationError):
        pool.request(b"GET", b"/")
