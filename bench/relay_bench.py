"""Messages per second through the outbox relay to the simulated 110 (a real process over HTTP).

Run by hand:  .venv/bin/python bench/relay_bench.py [--messages 2000] [--db sqlite|postgres]

Queues `--messages` emergency hand-overs (outbox rows written as the application writes them),
starts the simulator, then times `linkage.relay` draining the outbox: signing, HTTP, ack, and
the bookkeeping commit per batch. Prints one table.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SCHEMA = "bench_relay"
from _pgbench import fresh_schema  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    args = ap.parse_args()
    port = free_port()
    example = REPO / "integrations" / "peers.example.toml"
    os.environ.update(HOTLINE_PEERS_FILE=str(example), HOTLINE_DEMO_MODE="true",
                      HOTLINE_EMBEDDED_JOBS="false", HOTLINE_PEER__110__BASE_URL=f"http://127.0.0.1:{port}")
    if args.db == "postgres":
        fresh_schema(SCHEMA).dispose()
    else:
        os.environ["HOTLINE_DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/relay.db"
    from sqlmodel import Session, func, select

    from hotline import wiring
    from hotline.core.db import get_engine
    from hotline.core.migrate import upgrade
    from hotline.linkage.models import OutboxMessage
    from hotline.linkage.peers import peers
    from hotline.linkage.relay import relay
    from hotline.seed import seed_units_and_users
    from hotline.tickets.commands import create_ticket
    from hotline.tickets.payloads import EmergencyHandover
    from hotline.tickets.schemas import TicketCreate
    from hotline.units.actor import actor_for
    from hotline.units.models import User

    wiring.install()
    engine = get_engine()
    if args.db == "sqlite":
        upgrade(engine)
        with Session(engine) as s:
            seed_units_and_users(s)
            s.commit()
    with Session(engine) as s:
        agent = actor_for(s, s.exec(select(User).where(User.username == "agent")).one())
        for _ in range(args.messages):
            create_ticket(s, agent, TicketCreate(
                caller_phone="13912345678", request_type="求助", content="有人持刀打架，已有人受伤",
                decision=EmergencyHandover(service="110", reason="警情，立即移交")))
        s.commit()
    peer = peers()["110"]
    mapping = Path(tempfile.mkdtemp()) / "mapping.json"
    mapping.write_text(peer.message_mapping.model_dump_json(), encoding="utf-8")
    sim = subprocess.Popen(
        [sys.executable, "-m", "integrations.simulator", "--port", str(port), "--secret",
         peer.verifying_secret(), "--peer-secret", peer.signing_secret(), "--mapping", str(mapping),
         "--step-delay-ms", "600000"], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).is_success:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        t0 = time.perf_counter()
        with httpx.Client() as client:
            while True:
                with Session(engine) as s:
                    result = relay(s, datetime.now(UTC), client=client, limit=200)
                    s.commit()
                if result.delivered + result.retry + result.dead == 0:
                    break
        wall = time.perf_counter() - t0
        with Session(engine) as s:
            delivered = s.exec(select(func.count()).select_from(OutboxMessage)
                               .where(OutboxMessage.state == "delivered")).one()
        received = httpx.get(f"http://127.0.0.1:{port}/control/stats").json()["received"]
    finally:
        sim.terminate()
        sim.wait(timeout=10)
    print(f"# relay bench {datetime.now().date()} · nproc={os.cpu_count()} · {args.db}")
    print("| measure | value |\n|---|---|")
    print(f"| messages delivered / received by the simulator | {delivered} / {received} |")
    print(f"| relay wall time | {wall:.2f} s |")
    print(f"| throughput | {delivered / wall:.0f} messages/s |")


if __name__ == "__main__":
    main()
