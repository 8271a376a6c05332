"""The routing learning loop: every dispatch stores what was suggested and what was chosen;
a return (退单) by the chosen lead counts against that routing."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from hotline.intake import advice as intake
from hotline.intake.models import DispatchRecord
from hotline.tickets.models import Ticket

log = logging.getLogger("hotline.routing")


def suggestion_for(session: Session, ticket: Ticket) -> dict[str, Any] | None:
    """Routing's suggestion for a ticket; a routing failure never blocks a manual dispatch."""
    try:
        return intake.suggest(session, ticket.content, ticket.address, ticket.request_type)
    except Exception:
        log.exception("routing suggestion failed for %s", ticket.number)
        return None


def suggested_units(session: Session, suggestion: dict[str, Any] | None) -> tuple[int | None, list[int]]:
    """(lead id, co-unit ids) of a suggestion, mapped from unit codes to this database's ids."""
    if not suggestion or not suggestion.get("lead"):
        return None, []
    codes = [suggestion["lead"]["code"], *[c["code"] for c in suggestion.get("co_units", [])]]
    ids = intake.unit_ids_by_code(session, codes)
    lead = ids.get(codes[0])
    return lead, [ids[c] for c in codes[1:] if c in ids and ids[c] != lead]


def record_dispatch(session: Session, ticket: Ticket, suggestion: dict[str, Any] | None,
                    chosen_lead: int, chosen_co: list[int], used: bool, now: datetime) -> None:
    lead_code = ((suggestion or {}).get("lead") or {}).get("code")
    codes = [c["code"] for c in (suggestion or {}).get("candidates", [])][:3]
    ids = intake.unit_ids_by_code(session, [*codes, *([lead_code] if lead_code else [])])
    lead = ids.get(lead_code) if lead_code else None
    cats = (suggestion or {}).get("categories") or []
    session.add(DispatchRecord(
        ticket_id=ticket.id, at=now, decision=(suggestion or {}).get("decision"),  # type: ignore[arg-type]
        suggested_lead_id=lead, suggested_unit_ids=[ids[c] for c in codes if c in ids],
        suggested_category=cats[0]["label"] if cats else None, chosen_lead_id=chosen_lead,
        chosen_co_ids=chosen_co, chosen_category=ticket.category, used_suggestion=used,
        reason=(suggestion or {}).get("reason"),
        detail={"territory": ((suggestion or {}).get("territory") or {}).get("label")},
    ))


def mark_returned(session: Session, ticket: Ticket, from_unit: int) -> None:
    record = session.exec(
        select(DispatchRecord).where(DispatchRecord.ticket_id == ticket.id)
        .where(DispatchRecord.chosen_lead_id == from_unit)
        .order_by(col(DispatchRecord.id).desc())
    ).first()
    if record is not None and not record.returned:
        record.returned = True
        session.add(record)
