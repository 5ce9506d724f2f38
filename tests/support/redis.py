"""A throwaway redis-server on a free loopback port, its files in a temporary directory."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time

import redis

from tests.support.ports import free_port


class RedisServer:
    def __init__(self) -> None:
        self.root = tempfile.mkdtemp(prefix="authserver-redis-")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        self._process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                self.root,
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                client.close()
                return self
            except redis.ConnectionError:
                if time.monotonic() > deadline or self._process.poll() is not None:
                    self.stop()
                    raise RuntimeError("redis-server did not start")
                time.sleep(0.05)

    def flush(self) -> None:
        with redis.Redis.from_url(self.url) as client:
            client.flushall()

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(5)
        shutil.rmtree(self.root, ignore_errors=True)
