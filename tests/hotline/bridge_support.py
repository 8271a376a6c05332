"""A real 12345 server (uvicorn in a thread, the app as `hotline serve` builds it) and a peer
simulator as a real process, for the linkage end-to-end tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

import integrations
from hotline.core import settings
from hotline.linkage import peers as linkage_peers
from tests.conftest import REPO

EXAMPLE = Path(integrations.__file__).resolve().parent / "peers.example.toml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def app_in_thread(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Iterator[int]:
    """The application under uvicorn on a free port, in a thread of this process, with these
    settings set for its lifetime: for tests that need a real socket (what a client sees of
    connections, partial bodies)."""
    from hotline.app import create_app

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings.get_settings.cache_clear()
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port,
                                        log_level="warning", lifespan="on"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    wait_for(lambda: srv.started, what="hotline server")
    try:
        yield port
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        for name in env:
            monkeypatch.delenv(name)
        settings.get_settings.cache_clear()


@dataclass
class Bridge:
    app_url: str
    sim_url: str
    sim_port: int
    peer: str
    start_sim: Callable[..., None]
    stop_sim: Callable[[], None]

    def sim(self, method: str, path: str, **kw: Any) -> Any:
        r = httpx.request(method, self.sim_url + path, timeout=10, **kw)
        r.raise_for_status()
        return r.json()


@contextmanager
def running_bridge(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *, peer: str = "110",
                   env: dict[str, str] | None = None) -> Iterator[Bridge]:
    """12345 on a free port with the example peers, ``peer`` pointed at a simulator's port."""
    from hotline.app import create_app

    sim_port, app_port = free_port(), free_port()
    monkeypatch.setenv("HOTLINE_PEERS_FILE", str(EXAMPLE))
    monkeypatch.setenv(f"HOTLINE_PEER__{peer}__BASE_URL", f"http://127.0.0.1:{sim_port}")
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    settings.get_settings.cache_clear()
    linkage_peers.reload()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=app_port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, what="12345 server")
    procs: list[subprocess.Popen[bytes]] = []

    def start_sim(step_delay_ms: int = 30) -> None:
        # `hotline sim110` as an operator runs it: it reads the same peers configuration (this
        # process's environment) and answers as `peer`.
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("hotline")), "sim110", "--port", str(sim_port),
             "--peer", peer, "--hotline-url", f"http://127.0.0.1:{app_port}",
             "--step-delay-ms", str(step_delay_ms), "--seed", "7"],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(proc)

        def up() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{sim_port}/healthz", timeout=1).is_success
            except httpx.HTTPError:
                return False

        wait_for(up, what="simulator")

    def stop_sim() -> None:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)
        procs.clear()

    try:
        yield Bridge(f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{sim_port}", sim_port, peer,
                     start_sim, stop_sim)
    finally:
        stop_sim()
        server.should_exit = True
        thread.join(timeout=10)
        settings.get_settings.cache_clear()
        linkage_peers.reload()
