"""RQ job functions. Each one is idempotent: RQ may run a job twice, or not at all.

Jobs use the process's engine; in a job's forked child, ``core.db`` has dropped the pooled
connections inherited from the worker (a fork hook), so a child never shares its parent's.
"""

from __future__ import annotations

import functools
import logging
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from classifier import save_model, train_model
from hotline.callers import outbox as caller_outbox
from hotline.core.db import get_engine
from hotline.core.settings import get_settings
from hotline.core.times import utcnow
from hotline.intake import advice
from hotline.intake.models import DispatchRecord
from hotline.kb.upkeep import expire_and_flag
from hotline.linkage import reconcile, relay
from hotline.notifications.notify import hotline_supervisors, notify
from hotline.notifications.webhook import deliver_webhooks
from hotline.supervision import hotspots, report_snapshots
from hotline.supervision.anomalies import detect, snapshot_unit_stats
from hotline.supervision.scan import scan
from hotline.tickets import due_times, history
from hotline.tickets.models import OPEN_STATES, Status, Ticket
from hotline.workers.models import JobRun

BATCH = 500
log = logging.getLogger("hotline.jobs")
P = ParamSpec("P")
R = TypeVar("R")


def _summary(outcome: object) -> dict[str, Any]:
    """What a job did, small enough for one log line and one row: scalars kept, lists counted."""
    if not isinstance(outcome, dict):
        return {"result": outcome if isinstance(outcome, int | float | str | None) else str(outcome)}
    out: dict[str, Any] = {}
    for key, value in outcome.items():
        if isinstance(value, list | tuple | set):
            out[key] = len(value)
        elif isinstance(value, dict):
            out[key] = {str(k): v for k, v in value.items() if isinstance(v, int | float | str)}
        elif isinstance(value, int | float | str) or value is None:
            out[key] = value
    return out


def _note(name: str, started: datetime, seconds: float, outcome: dict[str, Any] | None,
          error: str | None) -> None:
    """Record the run in ``job_runs`` (for /readyz and /metrics); never fails the job."""
    try:
        with _session() as session:
            row = session.get(JobRun, name) or JobRun(name=name, last_started_at=started)
            row.last_started_at, row.last_finished_at = started, utcnow()
            row.last_seconds, row.runs = seconds, row.runs + 1
            if error is None:
                row.last_ok_at, row.last_outcome, row.last_error = row.last_finished_at, outcome or {}, None
            else:
                row.failures, row.last_error = row.failures + 1, error[:500]
            session.add(row)
            session.commit()
    except Exception as exc:  # two first runs racing, or a database hiccup: the next run records
        log.warning("job run not recorded job=%s error=%s", name, type(exc).__name__)


def recorded(func: Callable[P, R]) -> Callable[P, R]:
    """Log a job's outcome (not RQ's "Job OK") and keep its last run for health and metrics."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        name = func.__name__ + ("_full" if kwargs.get("full") else "")
        started, t0 = utcnow(), time.perf_counter()
        try:
            outcome = func(*args, **kwargs)
        except Exception as exc:
            seconds = time.perf_counter() - t0
            _note(name, started, seconds, None, f"{type(exc).__name__}: {exc}")
            log.exception("job failed job=%s seconds=%.3f", name, seconds)
            raise
        seconds = time.perf_counter() - t0
        summary = _summary(outcome)
        _note(name, started, seconds, summary, None)
        log.info("job done job=%s seconds=%.3f outcome=%s", name, seconds, summary)
        return outcome

    return run


def _session() -> Session:
    return Session(get_engine(), expire_on_commit=False)


@recorded
def refresh_open_clocks(now: datetime | None = None, *, only_provisional: bool = False) -> int:
    """Recompute the stored clock columns of every open ticket from its history.

    Run after operators load a holiday table (provisional deadlines become exact) or change a
    policy. It writes what the history implies, so running it twice changes nothing more.
    Returns the number of tickets whose stored due times changed.
    """
    now = now or utcnow()
    changed = 0
    last_id = 0
    while True:
        with _session() as session:
            stmt = (select(Ticket).where(col(Ticket.status).in_(OPEN_STATES))
                    .where(col(Ticket.id) > last_id).order_by(col(Ticket.id)).limit(BATCH))
            if only_provisional:
                stmt = stmt.where(col(Ticket.sla_provisional))
            batch = list(session.exec(stmt).all())
            if not batch:
                return changed
            for ticket in batch:
                before = (ticket.close_due_at, ticket.next_due_at, ticket.next_at_risk_at,
                          ticket.sla_provisional)
                due_times.refresh(ticket, history.load(session, ticket.id), now)
                after = (ticket.close_due_at, ticket.next_due_at, ticket.next_at_risk_at,
                         ticket.sla_provisional)
                if after != before:
                    changed += 1
                    ticket.version += 1  # a user holding the old version gets a clean 409
                    session.add(ticket)
            try:
                session.commit()
            except StaleDataError:
                # A command changed one of these tickets meanwhile; it recomputed its clocks
                # itself. Redo this batch from fresh rows rather than abort the whole run.
                session.rollback()
                continue
            last_id = batch[-1].id


@recorded
def sla_scan(full: bool = False, now: datetime | None = None) -> dict[str, object]:
    """The SLA scan as a job: one transaction; safe to run twice or to kill half way."""
    now = now or utcnow()
    for attempt in range(3):
        # A user's command may append to a ticket's history at the same moment (unique seq): the
        # whole scan rolls back and runs again — it is idempotent, so nothing is lost or doubled.
        try:
            with _session() as session:
                result = scan(session, now, full=full)
                session.commit()
            break
        except IntegrityError:
            if attempt == 2:
                raise
    return {"scan_id": result.scan_id, "candidates": result.candidates, "fired": result.fired,
            "notifications": result.notifications}


@recorded
def deliver_notifications(now: datetime | None = None) -> dict[str, int]:
    """Push pending notifications to the configured webhook (at least once, keyed)."""
    with _session() as session:
        counts = deliver_webhooks(session, now or utcnow())
        session.commit()
    return counts


@recorded
def watch_anomalies(now: datetime | None = None) -> int:
    """Snapshot today's unit figures, then raise new anomaly alerts (each once a day)."""
    now = now or utcnow()
    with _session() as session:
        snapshot_unit_stats(session, now)
        created = detect(session, now)
        session.commit()
    return len(created)


CONFIRMED = (Status.replied, Status.visited, Status.closed, Status.archived, Status.verifying,
             Status.rework)


def retrain_classifier(min_examples: int = 5) -> dict[str, object]:
    """Train a new category model version from confirmed dispatches (the learning loop).

    Confirmed: the ticket was answered by the unit it was dispatched to and never returned by
    it, so its category and routing were right in practice. Classes with fewer than
    ``min_examples`` tickets are left out; too little data is a clear error, not a bad model.
    """
    with Session(get_engine()) as session:
        returned = select(DispatchRecord.ticket_id).where(col(DispatchRecord.returned))
        rows = session.exec(
            select(Ticket.content, Ticket.address, Ticket.category)
            .where(col(Ticket.status).in_(CONFIRMED)).where(col(Ticket.category).is_not(None))
            .where(col(Ticket.id).not_in(returned))
        ).all()
    counts = Counter(cat for _, _, cat in rows)
    keep = [(f"{content} {address or ''}".strip(), cat) for content, address, cat in rows
            if cat is not None and counts[cat] >= min_examples]
    labels = {cat for _, cat in keep}
    if len(labels) < 2:
        raise ValueError(f"已确认派单不足：每类至少 {min_examples} 条、至少 2 个类别"
                         f"（现有 {len(rows)} 条，{len(counts)} 类）")
    model = train_model([t for t, _ in keep], [c for _, c in keep])
    path = save_model(model, get_settings().model_dir,
                      metrics={"source": "confirmed dispatches", "examples": len(keep)})
    advice.reload()
    return {"version": path.name, "examples": len(keep), "labels": len(labels)}


@recorded
def relay_outbox(now: datetime | None = None) -> dict[str, int]:
    """Send due outbox messages to the peers (at least once; the peer dedups by message id)."""
    with _session() as session:
        result = relay.relay(session, now)  # commits its own short transactions
    return {"delivered": result.delivered, "retry": result.retry, "dead": result.dead}


@recorded
def reconcile_linkage(now: datetime | None = None) -> dict[str, object]:
    """Re-send unacknowledged hand-overs and list where the two sides disagree."""
    with _session() as session:
        result = reconcile.reconcile(session, now)
        session.commit()
    return result


def send_caller_messages(now: datetime | None = None) -> dict[str, int]:
    """Send due caller SMS to the gateway (each out_id delivered once; CQ §13(三))."""
    with _session() as session:
        result = caller_outbox.send_due(session, now)  # commits its own short transactions
    return result.as_dict()


def kb_upkeep(now: datetime | None = None) -> dict[str, int]:
    """Expire knowledge entries past ``valid_until`` and flag those not reviewed for
    ``HOTLINE_KB_REVIEW_MONTHS`` (CQ §18): each one is told to its unit and to the hotline's
    supervisors once — a flagged entry is not flagged again until it is reviewed."""
    now = now or utcnow()
    with _session() as session:
        expired, flagged = expire_and_flag(session, now, get_settings().kb_review_months)
        sent = 0
        for entry, what in [*((e, "已过有效期，已停止使用") for e in expired),
                            *((e, e.stale_reason or "待复核") for e in flagged)]:
            recipients = [(entry.unit_id, ""), *hotline_supervisors(session)]
            sent += notify(session, recipients, kind="kb_stale", title=f"知识条目需更新：{entry.title}",
                           body=f"知识条目 {entry.id}「{entry.title}」{what}，请修改或复核（CQ §18）。",
                           now=now)
        session.commit()
    return {"expired": len(expired), "flagged": len(flagged), "notifications": sent}


@recorded
def refresh_reports(now: datetime | None = None) -> dict[str, object]:
    """Recompute the monthly evaluation the board and the report page show (CQ §24), so that a
    view reads a stored snapshot instead of replaying a month of tickets."""
    now = now or utcnow()
    with _session() as session:
        result = report_snapshots.refresh(session, now)
        session.commit()
    return result


@recorded
def refresh_hotspots(now: datetime | None = None) -> dict[str, int]:
    """Re-cluster the day's and the week's requests into hotspots (CQ §20) for the board, so a
    view reads them instead of clustering a fortnight of a busy city's tickets."""
    now = now or utcnow()
    with _session() as session:
        result = hotspots.refresh(session, now)
        session.commit()
    return result
