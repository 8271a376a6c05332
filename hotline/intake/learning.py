"""The routing learning loop: every dispatch stores what was suggested and what was chosen;
a return (退单) by the chosen lead counts against that routing."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

import routing
from hotline.intake.advice import Advice, advise, safety_input
from hotline.intake.models import DispatchRecord

log = logging.getLogger("hotline.intake")


def advice_for(session: Session, content: str, address: str | None, request_type: str | None,
               number: str) -> Advice | None:
    """Routing's advice for a ticket; a routing failure never blocks a manual dispatch.

    A database error is not a routing failure: the transaction is lost with it, so it goes on
    up (the API answers 503 when the connection was lost). Swallowed here, it came back as a
    500 on the command's next statement (the full city day, at the PostgreSQL restart)."""
    try:
        return advise(session, content, address, request_type)
    except DBAPIError:
        raise
    except Exception:
        log.exception("routing advice failed for %s", number)
        return None


def safety_for(content: str, number: str) -> routing.SafetyInput | None:
    """The safety verdict alone, when routing's advice failed: a dispatch must still know
    whether it is about to make an emergency a work order (CQ §10)."""
    try:
        return safety_input(content)
    except Exception:
        log.exception("safety check failed for %s", number)
        return None


def record_dispatch(session: Session, *, ticket_id: int, advice: Advice | None, chosen_lead: int,
                    chosen_co: list[int], category: str | None, used: bool, now: datetime) -> None:
    session.add(DispatchRecord(
        ticket_id=ticket_id, at=now, decision=advice.decision if advice else None,
        suggested_lead_id=advice.lead_id if advice else None,
        suggested_unit_ids=list(advice.ranked_ids[:3]) if advice else [],
        suggested_category=advice.top_category if advice else None, chosen_lead_id=chosen_lead,
        chosen_co_ids=chosen_co, chosen_category=category, used_suggestion=used,
        reason=advice.reason if advice else None,
        detail={"territory": advice.territory.label if advice else None},
    ))


def mark_returned(session: Session, ticket_id: int, from_unit: int) -> None:
    record = session.exec(
        select(DispatchRecord).where(DispatchRecord.ticket_id == ticket_id)
        .where(DispatchRecord.chosen_lead_id == from_unit)
        .order_by(col(DispatchRecord.id).desc())
    ).first()
    if record is not None and not record.returned:
        record.returned = True
        session.add(record)
