"""The busy city day's users, for Locust (run by bench/cityday.py; not on its own).

One user class, a hotline desk with everybody's logins, whose every task is one piece of real
work: an agent registers a call (≈60 % answered at intake, ≈40 % dispatched, a few handed to
110); a unit signs, forwards, returns, asks for more time and replies; supervisors decide
extensions, order rework, read the board and export it; agents do the return visits; 110 hands
non-police matters over. Each dispatched ticket follows a plan (a life story) one step at a time,
and only one user holds a ticket at any moment, so the ticket's version is known and every
command sends it (a retried command can never apply twice).

Every command's outcome is appended to ``CITYDAY_LOG`` (JSON lines): acknowledged (2xx), refused
(4xx) or unknown (no answer, 5xx). The checks (bench/cityday_checks.py) hold the database to it.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import gevent
from gevent.lock import Semaphore
from locust import constant_throughput, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment

API = os.environ.get("CITYDAY_API", "http://127.0.0.1:8000")
SIM = os.environ.get("CITYDAY_SIM", "http://127.0.0.1:9110")
LOG_PATH = os.environ.get("CITYDAY_LOG", "cityday-log.jsonl")
MAX_REQUESTS = int(os.environ.get("CITYDAY_REQUESTS", "2000"))
RATE = float(os.environ.get("CITYDAY_RATE_PER_USER", "1.0"))  # tasks per second per user
SEED = int(os.environ.get("CITYDAY_SEED", "1"))

# Streets that lead tickets, their community below, and the district manager above.
STREETS = [  # (lead unit code, its handler, community handler, community code, district manager)
    ("DC-DH", "donghua", "guihua", "DC-DH-GH", "dongcheng_mgr"),
    ("XC-XG", "xiguan", "qingshi", "XC-XG-QS", "xicheng_mgr"),
    ("NH-NY", "nanyuan", "yuehu", "NH-NY-YH", "nanhu_mgr"),
]
USERS = ["agent", "agent2", "supervisor", *sorted({name for s in STREETS for name in (s[1], s[2], s[4])})]
CALLS = [  # (request type, text, address)
    ("投诉", "小区楼下烧烤店油烟和噪声扰民到凌晨两点，多次反映无果。", "桂花苑小区"),
    ("求助", "小区门口路灯坏了一周，晚上出行很不方便，请尽快维修。", "柳营路"),
    ("投诉", "楼上住户装修每天早上七点开始电钻施工，严重影响休息。", "青石小区"),
    ("求助", "家里老人独居，自来水管爆裂漫水，联系不上物业。", "月湖花园"),
    ("举报", "街边餐馆把泔水直接倒进雨水井，气味很大。", "西关大街"),
    ("咨询", "请问灵活就业人员怎么续交社保，需要带什么材料？", None),
]
ANSWERS = ["已告知办理流程和所需材料，来电人表示清楚。", "已解答相关政策，来电人无其他诉求。"]

_log_lock = Semaphore()
_log = open(LOG_PATH, "a", encoding="utf-8")  # noqa: SIM115 - closed at quit
rng = random.Random(SEED)


def record(**row: Any) -> None:
    with _log_lock:
        _log.write(json.dumps(row, ensure_ascii=False) + "\n")
        _log.flush()


@dataclass
class Work:
    """A dispatched ticket and the rest of its life story."""

    number: str
    version: int
    steps: deque[tuple[str, dict[str, Any]]]
    street: int
    tries: int = 0
    history: list[str] = field(default_factory=list)


QUEUE: deque[Work] = deque()
TOKENS: dict[str, str] = {}
UNITS: dict[str, int] = {}
_login_lock = Semaphore()
_sent = [0]


def _plan(street: int, other: int, stall: bool) -> list[tuple[str, dict[str, Any]]]:
    """A life story, as (user, action payload) steps after the dispatch."""
    _, lead, sub, sub_code, _mgr = STREETS[street]
    close = [("agent", {"action": "visit", "rating": "satisfied", "resolved": True}),
             ("agent", {"action": "close"})]
    reply = {"action": "reply", "content": "已到现场核实处理，问题已解决，已电话告知来电人。"}
    if stall:  # a short deadline and a unit that only signs: the overdue list has work
        return [(lead, {"action": "sign"})]
    story = rng.choices(["plain", "forward", "return", "extension", "rework", "sub_return"],
                        [40, 15, 10, 15, 12, 8])[0]
    if story == "plain":
        return [(lead, {"action": "sign"}), (lead, reply), *close]
    if story == "forward":
        return [(lead, {"action": "sign"}), (lead, {"action": "forward", "to_unit_id": sub_code}),
                (sub, {"action": "sign"}), (sub, reply),
                ("agent", {"action": "visit", "rating": "basically_satisfied"}),
                ("agent", {"action": "close"})]
    if story == "return":
        other_lead = STREETS[other]
        return [(lead, {"action": "return", "reason": "不属于本街道辖区，请重新派发。"}),
                ("agent", {"action": "dispatch", "lead_unit_id": other_lead[0]}),
                (other_lead[1], {"action": "sign"}), (other_lead[1], reply), *close]
    if story == "extension":
        decision = rng.choice([("approve_extension", {"reason": "情况属实，同意延期。"}),
                               ("deny_extension", {"reason": "可在时限内办结，不同意延期。"})])
        return [(lead, {"action": "sign"}),
                (lead, {"action": "request_extension", "reason": "需协调多个部门联合执法。",
                        "add_working_days": 3}),
                ("supervisor", {"action": decision[0], **decision[1]}), (lead, reply), *close]
    if story == "rework":
        return [(lead, {"action": "sign"}), (lead, reply),
                ("agent", {"action": "visit", "rating": "dissatisfied", "resolved": False}),
                ("supervisor", {"action": "rework", "reason": "核实后问题仍未解决，重办。"}),
                (lead, {"action": "reply", "content": "重新上门处理，已彻底解决。"}), *close]
    return [(lead, {"action": "forward", "to_unit_id": sub_code}),
            (sub, {"action": "return", "reason": "不属于本社区，退回街道。"}),
            (lead, {"action": "forward", "to_unit_id": sub_code}), (sub, {"action": "sign"}),
            (sub, reply), *close]


#: (endpoint name, HTTP status) → count, written next to the log at the end (0 = no answer).
STATUSES: dict[str, dict[str, int]] = {}


@events.request.add_listener
def _count(name: str, response: Any = None, **_: Any) -> None:
    code = str(getattr(response, "status_code", 0) or 0)
    per = STATUSES.setdefault(name, {})
    per[code] = per.get(code, 0) + 1
    _sent[0] += 1
    if _sent[0] >= MAX_REQUESTS and _env[0] is not None and _env[0].runner is not None:
        runner = _env[0].runner
        gevent.spawn(runner.quit)
        _env[0] = None  # quit once


_env: list[Environment | None] = [None]


@events.init.add_listener
def _init(environment: Environment, **_: Any) -> None:
    _env[0] = environment


@events.quitting.add_listener
def _close(**_: Any) -> None:
    _log.flush()
    with open(LOG_PATH + ".statuses.json", "w", encoding="utf-8") as f:
        json.dump(STATUSES, f, ensure_ascii=False, indent=1)


class CityDesk(FastHttpUser):
    host = API
    network_timeout = 60.0
    connection_timeout = 10.0

    # Paced: each user starts a task every 1/RATE s whatever the answers' latency, so the day
    # offers the rate asked for (a slower server queues, it does not slow the callers down).
    wait_time = constant_throughput(RATE)

    def on_start(self) -> None:
        with _login_lock:
            while len(TOKENS) < len(USERS):
                for name in USERS:
                    if name in TOKENS:
                        continue
                    r = self.client.post("/api/v1/auth/token", data={"username": name,
                                                                       "password": "demo"},
                                         name="POST /auth/token")
                    if r.status_code == 200:
                        TOKENS[name] = r.json()["access_token"]
                    else:
                        gevent.sleep(1)
            if not UNITS:
                r = self.client.get("/api/v1/units", headers=self._auth("supervisor"),
                                    name="GET /units")
                if r.status_code == 200:
                    rows = r.json()
                    rows = rows.get("items", rows) if isinstance(rows, dict) else rows
                    UNITS.update({u["code"]: u["id"] for u in rows})

    def _auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKENS[user]}"}

    # --- the work -------------------------------------------------------------------------

    @task
    def act(self) -> None:
        r = rng.random()
        if r < 0.04:
            self.client.get("/api/v1/supervision/board", headers=self._auth("supervisor"),
                            name="GET /supervision/board")
        elif r < 0.05:
            self.client.get("/api/v1/supervision/board.csv", headers=self._auth("supervisor"),
                            name="GET /supervision/board.csv")
        elif r < 0.07:
            street = rng.choice(STREETS)
            self.client.get("/api/v1/tickets", params={"page_size": 20},
                            headers=self._auth(street[1]), name="GET /tickets (unit inbox)")
        elif r < 0.08:
            street = rng.choice(STREETS)
            self.client.get("/api/v1/tickets", params={"overdue": "true", "page_size": 50},
                            headers=self._auth(street[4]), name="GET /tickets?overdue (district)")
        elif r < 0.09:
            self.client.get("/api/v1/tickets", params={"overdue": "true", "page_size": 50},
                            headers=self._auth("supervisor"), name="GET /tickets?overdue (city)")
        elif r < 0.10:
            self.push_from_110()
        elif QUEUE and (len(QUEUE) > 40 or r < 0.55):
            self.advance(QUEUE.popleft())
        else:
            self.register()

    def register(self) -> None:
        marker = f"〔{uuid.uuid4().hex[:12]}〕"
        rtype, text, address = rng.choice(CALLS)
        r = rng.random()
        street, other = rng.sample(range(len(STREETS)), 2)
        stall = False
        if r < 0.60:
            decision: dict[str, Any] = {"action": "answer_directly", "answer": rng.choice(ANSWERS)}
            kind = "answered"
        elif r < 0.98:
            stall = rng.random() < 0.05
            decision = {"action": "dispatch", "lead_unit_id": UNITS[STREETS[street][0]]}
            if stall:
                due = datetime.now(UTC) + timedelta(seconds=rng.uniform(30, 90))
                decision["due_at"] = due.isoformat()
            kind = "dispatched"
        else:
            decision = {"action": "emergency_handover", "service": "110",
                        "reason": "来电称有人持刀威胁，属警情，移交110。"}
            text, kind = "有人在小区门口持刀威胁路人，情况紧急。", "handover"
        body = {"caller_phone": f"139{rng.randrange(10**8):08d}", "request_type": rtype,
                "content": text + marker, "address": address, "decision": decision}
        with self.client.post("/api/v1/tickets", json=body, headers=self._auth(rng.choice(
                ["agent", "agent2"])), name=f"POST /tickets ({kind})", catch_response=True) as resp:
            status = resp.status_code or 0
            number = None
            if status == 201:
                data = resp.json()
                number = data["number"]
                if kind == "dispatched":
                    steps = deque((u, self._resolve(p)) for u, p in _plan(street, other, stall))
                    QUEUE.append(Work(number, int(data["version"]), steps, street))
            elif 400 <= status < 500:
                resp.failure(f"{status}: {resp.text[:200]}")
        record(t="register", marker=marker, kind=kind, status=status, number=number)

    def _resolve(self, payload: dict[str, Any]) -> dict[str, Any]:
        out = dict(payload)
        for key in ("to_unit_id", "lead_unit_id"):
            if isinstance(out.get(key), str):
                out[key] = UNITS[out[key]]
        return out

    def advance(self, work: Work) -> None:
        user, payload = work.steps[0]
        action = payload["action"]
        body = {**payload, "version": work.version}
        with self.client.post(f"/api/v1/tickets/{work.number}/transitions", json=body,
                              headers=self._auth(user), name=f"POST /transitions [{action}]",
                              catch_response=True) as resp:
            status = resp.status_code or 0
            if 200 <= status < 300:
                work.version = int(resp.json()["version"])
            elif 400 <= status < 500:
                resp.failure(f"{status}: {resp.text[:200]}")
        record(t="command", number=work.number, action=action, status=status, user=user)
        if 200 <= status < 300:
            work.steps.popleft()
        elif status == 0 or status >= 500:
            # Outcome unknown: read the ticket back and see whether the command took effect.
            if not self._resync(work, user, action):
                work.tries += 1
                if work.tries > 20:
                    record(t="abandoned", number=work.number, action=action)
                    return
        else:
            record(t="abandoned", number=work.number, action=action)
            return  # refused: this ticket's story ends here (the checks still hold it)
        if work.steps:
            QUEUE.append(work)

    def _resync(self, work: Work, user: str, action: str) -> bool:
        """After an unknown outcome: True when the ticket moved on (the command applied)."""
        with self.client.get(f"/api/v1/tickets/{work.number}", headers=self._auth("supervisor"),
                             name="GET /tickets/{number} (resync)", catch_response=True) as resp:
            if resp.status_code != 200:
                resp.success()  # the server is still down: try the step again later
                return False
            data = resp.json()
        if int(data["version"]) > work.version:
            work.version = int(data["version"])
            work.steps.popleft()
            record(t="resynced", number=work.number, action=action)
            return True
        return False

    def push_from_110(self) -> None:
        text = rng.choice(["小区垃圾清运不及时，堆了好几天。", "路边共享单车乱停放堵住盲道。",
                           "噪声扰民，邻居深夜唱歌。"])
        with self.client.post(f"{SIM}/control/push", json={"text": text},
                              name="110 → 12345 hand-over (via sim110)",
                              catch_response=True) as resp:
            if resp.status_code == 502:
                resp.success()  # 110 could not deliver (our API down): 110 keeps it, not a loss
