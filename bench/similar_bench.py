"""并单 candidates at intake on PostgreSQL: what one keystroke in the agent console costs.

Synthetic tickets (our own phrases, recombined: a place, a matter, a detail) are bulk-loaded
into a fresh schema ``similar_bench`` over the last 60 days, in every state; then the console's
own ``hotline.tickets.similar.at_intake`` (candidate query on ``(status, created_at)``, the newest
500 of the window, scored by ``textsearch.similar``) is timed for calls as an agent types them:
cold (an empty profile cache: the first keystroke after a restart) and warm (every later one).

    .venv/bin/python bench/similar_bench.py [--tickets 50000] [--queries 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from _pgbench import fresh_schema
from sqlalchemy import insert
from sqlmodel import Session, select

from hotline.core.settings import get_settings
from hotline.tickets import similar
from hotline.tickets.models import Status, Ticket
from hotline.units.actor import Actor
from hotline.units.models import Unit, User

PLACES = ("桂花苑小区", "月湖苑小区", "民生路", "建新北路", "解放碑街道", "观音桥步行街", "龙湖花园",
          "金科城", "滨江家园", "幸福村", "东华街道", "南坪新村", "杨家坪广场", "大学城中学")
MATTERS = ("路灯坏了一个多星期，晚上漆黑一片", "楼下餐馆油烟直排，衣服晾在外面都是油烟味",
           "工地夜间施工，凌晨两点还在打桩", "消防通道被三轮车长期堵住", "下水道堵塞，污水漫到人行道上",
           "垃圾堆放一周没人清理，臭气熏天", "广场舞音响太吵，晚上十点后还在放",
           "小区电梯经常停运，老人上下楼困难", "自来水水压很低，高层用不上水", "道路坑洼积水，电动车摔倒过")
DETAILS = ("请尽快处理", "已经反映过多次没有结果", "老人小孩出行很不安全", "希望相关部门管一管",
           "物业说管不了", "影响居民正常休息")
STATES = (Status.dispatched, Status.in_progress, Status.replied, Status.closed, Status.closed,
          Status.answered, Status.merged, Status.verifying)


def _text(rnd: random.Random) -> tuple[str, str]:
    place = rnd.choice(PLACES)
    return (f"{place}{rnd.randint(1, 30)}栋{rnd.choice(MATTERS)}，{rnd.choice(DETAILS)}。",
            f"{rnd.choice(['渝中区', '江北区', '南岸区'])}{place}{rnd.randint(1, 30)}栋")


def load(session: Session, n: int, now: datetime, rnd: random.Random) -> None:
    batch = []
    for i in range(n):
        content, address = _text(rnd)
        at = now - timedelta(minutes=rnd.randint(0, 60 * 24 * 60))
        batch.append({"number": f"B{i:08d}", "channel": "phone", "caller_phone": f"139{i:08d}",
                      "request_type": "投诉", "content": content, "address": address,
                      "urgency": "normal", "status": str(rnd.choice(STATES)), "route": [],
                      "created_at": at, "updated_at": at, "sla_provisional": False,
                      "rework_count": 0, "version": 1})
        if len(batch) == 5000:
            session.execute(insert(Ticket), batch)
            batch = []
    if batch:
        session.execute(insert(Ticket), batch)
    session.commit()


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    engine = fresh_schema("similar_bench")
    rnd = random.Random(16)
    now = datetime.now(UTC)
    with Session(engine) as session:
        load(session, args.tickets, now, rnd)
        user = session.exec(select(User).where(User.username == "agent")).one()
        actor = Actor(user, session.get(Unit, user.unit_id))  # type: ignore[arg-type]
        queries = [_text(rnd) for _ in range(args.queries)]
        cold: list[float] = []
        for content, address in queries[:20]:
            similar._profile.cache_clear()
            t0 = time.perf_counter()
            similar.at_intake(session, actor, content, address, None, now)
            cold.append((time.perf_counter() - t0) * 1000)
        warm: list[float] = []
        found = 0
        for content, address in queries:
            t0 = time.perf_counter()
            rows, _ = similar.at_intake(session, actor, content, address, None, now)
            warm.append((time.perf_counter() - t0) * 1000)
            found += bool(rows)
    window = get_settings().similar_window_days
    print(f"{args.tickets} tickets over 60 days, window {window} days, scan {similar.SCAN}")
    print("| case | p50 ms | p95 ms |\n|---|---|---|")
    print(f"| cold (profile cache cleared, {len(cold)} queries) | {statistics.median(cold):.1f} | "
          f"{pct(cold, 0.95):.1f} |")
    print(f"| warm ({len(warm)} queries; {found} found a match) | {statistics.median(warm):.1f} | "
          f"{pct(warm, 0.95):.1f} |")
    engine.dispose()


if __name__ == "__main__":
    main()
