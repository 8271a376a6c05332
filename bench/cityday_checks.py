"""The city day's end-of-day checks: the database held to what the clients were told, by an
independent recomputation (not by reading the columns the application maintains).

- every 2xx-acknowledged command is in the database exactly once (an unanswered one at most once);
- each ticket's status is the fold of its history;
- every stored deadline is what ``sla`` answers for the ticket's recorded facts;
- the overdue list the API serves is the list recomputed from those deadlines;
- every 110 hand-over, both ways, arrived exactly once (the simulator is asked);
- no 5xx answers.

Each check returns a list of problems (empty = it holds), so a benchmark can print them all and
a test can assert on them. Used by bench/cityday.py and tests/hotline/test_cityday_faults.py.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import Engine

import sla
from hotline.core.sla_setup import get_calendar, get_policy
from hotline.tickets.workflow import BY_ACTION

MARKER = re.compile(r"〔([0-9a-f]{12})〕")


def read_log(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def unknown(status: int) -> bool:
    """No answer, or a 5xx: the command may or may not have been committed."""
    return status == 0 or status >= 500


@dataclass
class Ev:
    seq: int
    action: str
    from_status: str | None
    to_status: str | None
    payload: dict[str, Any]
    at: datetime


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else (value or {})


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def load(engine: Engine) -> tuple[dict[int, dict[str, Any]], dict[int, list[Ev]]]:
    """Every ticket row and its history, read straight from the tables."""
    with engine.connect() as conn:
        tickets = {r["id"]: dict(r) for r in conn.execute(text(
            "SELECT id, number, content, status, request_type, category, legal_basis, "
            "transfer_due_at, return_due_at, close_due_at, next_due_at FROM tickets")).mappings()}
        events: dict[int, list[Ev]] = defaultdict(list)
        for r in conn.execute(text("SELECT ticket_id, seq, action, from_status, to_status, payload, at "
                                   "FROM ticket_events ORDER BY ticket_id, seq")).mappings():
            events[r["ticket_id"]].append(Ev(r["seq"], r["action"], r["from_status"], r["to_status"],
                                             _json(r["payload"]), _aware(r["at"])))  # type: ignore[arg-type]
    return tickets, events


def check_acknowledged(log: Iterable[dict[str, Any]], tickets: dict[int, dict[str, Any]],
                       events: dict[int, list[Ev]]) -> list[str]:
    """Acknowledged registrations and commands: each in the database exactly once."""
    problems: list[str] = []
    by_marker: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for t in tickets.values():
        for m in MARKER.findall(t["content"] or ""):
            by_marker[m].append(t)
    by_number = {t["number"]: tid for tid, t in tickets.items()}
    acked: dict[str, Counter[str]] = defaultdict(Counter)
    maybe: dict[str, Counter[str]] = defaultdict(Counter)
    rows = list(log)
    for row in rows:
        if row["t"] == "register":
            found = by_marker.get(MARKER.search(row["marker"]).group(1), [])  # type: ignore[union-attr]
            if row["status"] == 201:
                if len(found) != 1 or found[0]["number"] != row["number"]:
                    problems.append(f"registration {row['number']} acknowledged, found {len(found)}×")
                else:
                    decision = {"answered": "answer_directly", "dispatched": "dispatch",
                                "handover": "emergency_handover"}[row["kind"]]
                    acked[row["number"]][decision] += 1  # its decision is a command too
            elif unknown(row["status"]):
                if len(found) > 1:
                    problems.append(f"unanswered registration {row['marker']} stored {len(found)}×")
                for t in found:  # it did commit: its decision is there once
                    maybe[t["number"]][{"answered": "answer_directly", "dispatched": "dispatch",
                                        "handover": "emergency_handover"}[row["kind"]]] += 1
            elif found:
                problems.append(f"refused registration {row['marker']} stored {len(found)}×")
        elif row["t"] == "command":
            if 200 <= row["status"] < 300:
                acked[row["number"]][row["action"]] += 1
            elif unknown(row["status"]):
                maybe[row["number"]][row["action"]] += 1
    for number in set(acked) | set(maybe):
        tid = by_number.get(number)
        if tid is None:
            problems.append(f"ticket {number} acknowledged but missing")
            continue
        stored = Counter(e.action for e in events.get(tid, []))
        for action in set(acked[number]) | set(maybe[number]):
            low, high = acked[number][action], acked[number][action] + maybe[number][action]
            if not low <= stored[action] <= high:
                problems.append(f"{number} {action}: stored {stored[action]}×, acknowledged {low}×, "
                                f"unanswered {high - low}×")
    return problems


def check_status_fold(tickets: dict[int, dict[str, Any]], events: dict[int, list[Ev]]) -> list[str]:
    """Each ticket's status is where its history leads, and the history is a chain."""
    problems: list[str] = []
    for tid, t in tickets.items():
        state: str | None = None
        for e in events.get(tid, []):
            if e.to_status is None:
                continue
            if state is not None and e.from_status not in (None, state):
                problems.append(f"{t['number']} seq {e.seq} {e.action}: from {e.from_status}, "
                                f"but the history was at {state}")
            state = e.to_status
        if state != t["status"]:
            problems.append(f"{t['number']}: status {t['status']}, its history folds to {state}")
    return problems


def recompute_clocks(t: dict[str, Any], evs: list[Ev], now: datetime) -> dict[str, sla.ClockStatus]:
    """``sla``'s answer for the recorded facts: each act's meaning to the clocks is the workflow
    table's ``clock`` field; the deadline inputs are the ones the act recorded."""
    timeline = []
    for e in evs:
        t_ = BY_ACTION.get(e.action)
        if t_ is None or t_.clock is None:
            continue
        p = e.payload
        days = p.get("due_working_days") or p.get("add_working_days")
        timeline.append(sla.TimelineEvent(
            kind=t_.clock, at=e.at, to_hotline=bool(p.get("to_hotline", False)),
            add=sla.Duration(int(days), "working_days") if days else None,
            new_due=datetime.fromisoformat(p["due_at"]) if p.get("due_at") else None))
    return sla.compute_clocks(timeline, policy=get_policy(), calendar=get_calendar(), now=now,
                              request_type=t["request_type"], category=t["category"],
                              legal=t["legal_basis"])


def check_deadlines(tickets: dict[int, dict[str, Any]], events: dict[int, list[Ev]],
                    now: datetime) -> tuple[list[str], dict[int, datetime | None]]:
    """Stored deadlines equal the recomputation; returns the recomputed next due per ticket."""
    problems: list[str] = []
    next_due: dict[int, datetime | None] = {}
    for tid, t in tickets.items():
        clocks = recompute_clocks(t, events.get(tid, []), now)
        for name in ("transfer", "return", "close"):
            want = clocks[name].due if name in clocks else None
            have = _aware(t[f"{name}_due_at"])
            if want != have:
                problems.append(f"{t['number']} {name} due: stored {have}, sla says {want}")
        open_clocks = sorted((c for c in clocks.values() if c.open), key=lambda c: c.due)
        next_due[tid] = open_clocks[0].due if open_clocks else None
        if next_due[tid] != _aware(t["next_due_at"]):
            problems.append(f"{t['number']} next due: stored {t['next_due_at']}, sla says {next_due[tid]}")
    return problems, next_due


def overdue_from_api(api: str, token: str) -> tuple[set[str], datetime, datetime]:
    """The supervisor's overdue list, every page, and the moments before and after reading it."""
    before = datetime.now(UTC)
    numbers: set[str] = set()
    page = 1
    with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
        while True:
            r = c.get("/api/v1/tickets", params={"overdue": "true", "page_size": 200, "page": page})
            r.raise_for_status()
            body = r.json()
            numbers |= {item["number"] for item in body["items"]}
            if page * 200 >= body["total"]:
                break
            page += 1
    return numbers, before, datetime.now(UTC)


def check_overdue(listed: set[str], before: datetime, after: datetime,
                  tickets: dict[int, dict[str, Any]], next_due: dict[int, datetime | None]) -> list[str]:
    """The list equals the recomputation: everything due before the read began is listed, and
    nothing listed was still in time when the read ended."""
    surely = {tickets[tid]["number"] for tid, due in next_due.items() if due is not None and due < before}
    possibly = {tickets[tid]["number"] for tid, due in next_due.items() if due is not None and due < after}
    problems = [f"{n} overdue by the recomputation, missing from the list" for n in sorted(surely - listed)]
    problems += [f"{n} listed as overdue, in time by the recomputation" for n in sorted(listed - possibly)]
    return problems


def check_110(sim: str, log: Iterable[dict[str, Any]], engine: Engine) -> tuple[list[str], dict[str, int]]:
    """Both directions, from the simulator's own record: each hand-over once."""
    problems: list[str] = []
    alarms = httpx.get(sim + "/alarms", timeout=60).json()
    got = Counter(a["correlation_id"] for a in alarms)
    handed = [r["number"] for r in log if r["t"] == "register" and r["kind"] == "handover"
              and r["status"] == 201]
    for number in handed:
        if got[number] != 1:
            problems.append(f"hand-over {number} reached 110 {got[number]}×")
    problems += [f"110 received {n} {c}×" for n, c in got.items() if c > 1]
    pushes = httpx.get(sim + "/pushes", timeout=60).json()["pushes"]
    with engine.connect() as conn:
        inbound = Counter(r[0] for r in conn.execute(text(
            "SELECT peer_ref FROM linked_matters WHERE peer = '110' AND direction = 'in'")))
    delivered = [p for p in pushes if p["status"] in ("delivered", "duplicate")]
    for p in delivered:
        if inbound[p["alarm_number"]] != 1:
            ref = p["alarm_number"]
            problems.append(f"110's push {ref} acknowledged, stored {inbound[ref]}×")
    sent = {p["alarm_number"] for p in pushes}
    problems += [f"matter {ref} from 110 that 110 never sent" for ref in inbound if ref not in sent]
    problems += [f"110's push {ref} stored {c}×" for ref, c in inbound.items() if c > 1]
    return problems, {"to_110": len(handed), "received_by_110": sum(got.values()),
                      "from_110_acknowledged": len(delivered), "from_110_stored": sum(inbound.values())}


def count_5xx(statuses: dict[str, dict[str, int]], only_500: bool = False) -> dict[str, int]:
    """5xx answers of our API per endpoint (the simulator's own answers are not ours); with
    ``only_500`` the crashes alone, not the designed 503 + Retry-After."""
    out = {}
    for name, per in statuses.items():
        n = sum(c for code, c in per.items() if (int(code) == 500 if only_500 else int(code) >= 500))
        if n and "sim110" not in name:
            out[name] = n
    return out
