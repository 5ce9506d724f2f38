"""A throwaway PostgreSQL 15 server on 127.0.0.1 for the test session.

``TEST_POSTGRES_URL`` (a server URL such as ``postgresql+psycopg://postgres@127.0.0.1:5432``)
points the suite at a running server instead. PostgreSQL refuses to run as root, so as root the
server runs as the ``postgres`` user from a data directory that user owns.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from tests.support.ports import free_port


def _pg_bin() -> Path:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(candidate, "initdb")):
            return Path(candidate)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError(
        "PostgreSQL is not installed: no initdb under /usr/lib/postgresql/*/bin (`make system-deps` installs it)"
    )


class PostgresServer:
    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.root = Path(tempfile.mkdtemp(prefix="authserver-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._as_postgres: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            self._as_postgres = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as_postgres, *args], check=True, capture_output=True, cwd=self.root)

    def start(self) -> PostgresServer:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        self.resume()
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(self.dsn("postgres"), autocommit=True).close()
                return self
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def resume(self) -> None:
        """Start the server (again, after ``halt``) on the same port and data directory."""
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start"
        )

    def halt(self) -> None:
        """Stop the server, ending every connection, and keep its data for ``resume``."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def dsn(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={database}"

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def admin(server_url: str, statement: str) -> None:
    """Run a statement outside a transaction (CREATE/DROP DATABASE)."""
    url = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url + "/postgres", autocommit=True) as connection:
        connection.execute(statement)
