"""The production process layout of docker-compose.yml, as real processes on free ports: a private
PostgreSQL (initdb in a temp dir, never the machine's shared server), a private redis-server,
`hotline serve` with the compose settings, `hotline worker`, `hotline cron` and `hotline sim110`.

The harness plays Docker's part too: compose restarts a container that died
(`restart: unless-stopped`), so `Stack.supervise()` restarts any of our processes that exited.
A fault is then injected exactly as it happens in production: a SIGKILL, a server stopped.

Used by bench/cityday.py and tests/hotline/test_cityday_faults.py.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
HOTLINE = str(Path(sys.executable).with_name("hotline"))
PEERS_EXAMPLE = REPO / "integrations" / "peers.example.toml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], bool], timeout: float, what: str, every: float = 0.25) -> float:
    """Wait on a condition (never on the clock alone); returns the seconds it took."""
    t0 = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - t0
        except Exception:
            pass
        if time.monotonic() - t0 > timeout:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for d in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (d / name).exists():
            return str(d / name)
    raise FileNotFoundError(f"{name} (PostgreSQL server binaries) not found")


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root; CI and the dev machines run as root.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class PrivatePostgres:
    """A throwaway PostgreSQL cluster in a temp dir on a free port."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "pg"
        self.port = free_port()
        self.dir.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(root, "postgres")
            shutil.chown(self.dir, "postgres")
        subprocess.run(_as_postgres([_pg_bin("initdb"), "-D", str(self.dir), "-A", "trust", "-U",
                                     "postgres", "-E", "UTF8", "--no-locale"]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        opts = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c max_connections=200 "
                "-c random_page_cost=1.1 -c shared_buffers=64MB")
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(self.dir), "-o", opts, "-l",
                                     str(self.dir / "server.log"), "-w", "-t", "120", "start"]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(self.dir), "-m", mode, "-w",
                                     "-t", "120", "stop"]),
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


@dataclass
class Proc:
    """One long-running process of the layout, restarted by ``Stack.supervise`` when it dies."""

    name: str
    cmd: list[str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    paused: bool = False  # a fault holds it down (e.g. a stopped server): do not restart it
    started_at: float = 0.0

    def start(self, env: dict[str, str]) -> None:
        self.started_at = time.monotonic()
        out = open(self.log, "ab")  # noqa: SIM115 - the child owns it from here on
        self.popen = subprocess.Popen(self.cmd, env=env, cwd=REPO, stdout=out,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        out.close()

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.popen is not None and self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)

    def end(self) -> None:
        if self.popen is None:
            return
        self.kill(signal.SIGTERM)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill(signal.SIGKILL)
            self.popen.wait(timeout=20)


@dataclass
class Stack:
    """Everything of one city day; ``env`` is what every hotline process runs with."""

    root: Path
    pg: PrivatePostgres
    redis_port: int
    api_port: int
    sim_port: int
    env: dict[str, str]
    procs: dict[str, Proc] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _watch: threading.Thread | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def sim_url(self) -> str:
        return f"http://127.0.0.1:{self.sim_port}"

    @property
    def db_url(self) -> str:
        return self.pg.url

    # --- the processes ------------------------------------------------------------------

    def api_children(self) -> list[int]:
        """The uvicorn worker processes of `hotline serve --workers N` (its children)."""
        proc = self.procs["api"].popen
        if proc is None:
            return []
        try:
            text = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text()
        except OSError:
            return []
        kids = [int(p) for p in text.split()]
        # uvicorn spawns its workers (multiprocessing "spawn"); a resource tracker is no worker.
        return [k for k in kids if "spawn_main" in _cmdline(k)] or kids

    def api_up(self) -> bool:
        try:
            return httpx.get(self.api_url + "/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def redis_up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.redis_port), timeout=2) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def sim_up(self) -> bool:
        try:
            return httpx.get(self.sim_url + "/healthz", timeout=3).status_code == 200
        except httpx.HTTPError:
            return False

    def start_proc(self, name: str) -> None:
        self.procs[name].start(self.env)

    def supervise(self, every: float = 1.0) -> None:
        """Docker's `restart: unless-stopped`: restart whatever died, in the background."""

        def loop() -> None:
            while not self._stop.wait(every):
                for p in list(self.procs.values()):
                    # Like Docker, a process that keeps dying is restarted with a pause between.
                    if not p.paused and not p.alive() and time.monotonic() - p.started_at > 3:
                        p.restarts += 1
                        p.start(self.env)

        self._watch = threading.Thread(target=loop, name="supervise", daemon=True)
        self._watch.start()

    def close(self) -> None:
        self._stop.set()
        if self._watch:
            self._watch.join(timeout=10)
        for name in ("api", "worker", "cron", "sim110", "redis"):
            if name in self.procs:
                self.procs[name].end()
        self.pg.stop("fast")
        shutil.rmtree(self.pg.dir, ignore_errors=True)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def start_stack(*, web_workers: int = 2, workdir: Path | None = None,
                extra_env: dict[str, str] | None = None) -> Stack:
    """Start the whole layout; returns when the API, 110 and the jobs are up. Close it with
    ``Stack.close()`` (the caller's ``finally``)."""
    root = Path(tempfile.mkdtemp(prefix="cityday-", dir=workdir))
    os.chmod(root, 0o755)
    pg = PrivatePostgres(root)
    pg.start()
    redis_port, api_port, sim_port = free_port(), free_port(), free_port()
    logs = root / "logs"
    logs.mkdir()
    env = {
        **os.environ,
        "HOTLINE_DATABASE_URL": pg.url,
        "HOTLINE_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "HOTLINE_DEMO_MODE": "true",
        "HOTLINE_EMBEDDED_JOBS": "false",
        "HOTLINE_WEB_WORKERS": str(web_workers),
        # docker-compose.yml's api service, per API process (docs/CONFIGURATION.md).
        "HOTLINE_MAX_CONCURRENT_REQUESTS": "16",
        "HOTLINE_MAX_QUEUED_REQUESTS": "1000",
        "HOTLINE_PEERS_FILE": str(PEERS_EXAMPLE),
        "HOTLINE_PEER__110__BASE_URL": f"http://127.0.0.1:{sim_port}",
        "HOTLINE_HOST": "127.0.0.1",
        "HOTLINE_PORT": str(api_port),
        "HOTLINE_MODEL_DIR": str(root / "models"),
        "HOTLINE_LOG_LEVEL": "warning",
        "HOTLINE_SCAN_INTERVAL_SECONDS": "20",
        "HOTLINE_RELAY_INTERVAL_SECONDS": "5",
        **(extra_env or {}),
    }
    env.pop("HOTLINE_DATABASE_SCHEMA", None)
    stack = Stack(root, pg, redis_port, api_port, sim_port, env)
    stack.procs = {
        "redis": Proc("redis", ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                                "--dir", str(root), "--appendonly", "yes", "--save", ""],
                      logs / "redis.log"),
        "api": Proc("api", [HOTLINE, "serve", "--port", str(api_port), "--workers",
                            str(web_workers)], logs / "api.log"),
        "worker": Proc("worker", [HOTLINE, "worker"], logs / "worker.log"),
        "cron": Proc("cron", [HOTLINE, "cron"], logs / "cron.log"),
        "sim110": Proc("sim110", [HOTLINE, "sim110", "--port", str(sim_port), "--hotline-url",
                                  f"http://127.0.0.1:{api_port}", "--step-delay-ms", "200",
                                  "--seed", "7"], logs / "sim110.log"),
    }
    try:
        stack.start_proc("redis")
        wait_for(stack.redis_up, 60, "redis-server")
        subprocess.run([HOTLINE, "db", "upgrade"], env=env, cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        _seed(pg.url)
        for name in ("api", "worker", "cron", "sim110"):
            stack.start_proc(name)
        wait_for(stack.api_up, 180, "hotline serve")
        wait_for(stack.sim_up, 60, "hotline sim110")
        stack.supervise()
    except BaseException:
        stack.close()
        raise
    return stack


def _seed(url: str) -> None:
    """The demo city's units and users (password demo), no tickets: the day makes its own."""
    from sqlmodel import Session

    from hotline.core.db import make_engine
    from hotline.core.settings import Settings
    from hotline.seed import seed_units_and_users

    engine = make_engine(Settings(database_url=url))
    with Session(engine) as s:
        seed_units_and_users(s)
        s.commit()
    engine.dispose()
