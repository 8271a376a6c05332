"""Fixtures for the operations tests: a private redis-server that a test may stop."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hotline.bridge_support import free_port
from tests.hotline.conftest import Api, City, api, city, client, headers  # noqa: F401


@dataclass
class PrivateRedis:
    url: str
    proc: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A throwaway redis-server on a free port (never the shared one), stopped at the end."""
    from redis import Redis
    from redis.exceptions import RedisError

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 30
    while True:
        try:
            Redis.from_url(url).ping()
            break
        except RedisError:
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail("private redis-server did not start")
            time.sleep(0.05)
    redis = PrivateRedis(url, proc)
    yield redis
    redis.stop()
