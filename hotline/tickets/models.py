"""Tickets (工单), their unit assignments and their append-only history (CQ §16).

The ticket row is the current view; ``ticket_events`` is the record. Clock due times are
denormalised onto the ticket (recomputed by ``sla`` on every command) so that the overdue and
at-risk lists are an index range scan even with millions of tickets.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

from hotline.core.columns import EnumText, UTCDateTime
from hotline.intake.request_types import RequestType


class Status(StrEnum):
    """Where a ticket is in the workflow (the table in ``hotline.tickets.workflow``)."""

    registered = "registered"
    answered = "answered"
    transferred = "transferred"
    not_accepted = "not_accepted"
    emergency = "emergency"
    dispatched = "dispatched"
    in_progress = "in_progress"
    returned = "returned"
    replied = "replied"
    verifying = "verifying"
    rework = "rework"
    visited = "visited"
    closed = "closed"
    merged = "merged"
    archived = "archived"


STATUS_LABELS: dict[str, str] = {
    "registered": "已登记",
    "answered": "已直接解答",
    "transferred": "已转接",
    "not_accepted": "不予受理",
    "emergency": "已移交应急",
    "dispatched": "待签收",
    "in_progress": "办理中",
    "returned": "退单待处理",
    "replied": "已答复待回访",
    "verifying": "差评核实中",
    "rework": "重办中",
    "visited": "已回访待办结",
    "closed": "已办结",
    "merged": "已合并",
    "archived": "已归档",
}

#: What the caller reads on the public progress page: stages, not the hotline's internal states
#: (a return between units, a community's pending sign-for, a verification are all "办理中").
PUBLIC_STATUS_LABELS: dict[str, str] = {
    "registered": "已受理", "answered": "已答复", "transferred": "已转接", "not_accepted": "不予受理",
    "emergency": "已移交应急部门", "dispatched": "办理中", "in_progress": "办理中",
    "returned": "办理中", "replied": "已答复", "verifying": "已答复，正在核实",
    "rework": "重新办理中", "visited": "已回访", "closed": "已办结", "merged": "已合并办理",
    "archived": "已办结",
}

#: States in which a unit is working the ticket: its clocks run.
OPEN_STATES = frozenset({Status.dispatched, Status.in_progress, Status.returned, Status.rework})
#: States from which nothing but archiving happens.
FINAL_STATES = frozenset({Status.answered, Status.transferred, Status.not_accepted, Status.emergency,
                          Status.closed, Status.merged})


class Channel(StrEnum):
    """How a request reached the hotline, as an agent records it.

    A matter a peer platform transfers in (110, 119, 120, 122, a utility line) carries that
    peer's code as its channel instead, so its line is known end to end (``channel_label``).
    """

    phone = "phone"
    web = "web"
    app = "app"
    wechat = "wechat"
    transfer_110 = "110"
    national = "national"  # 国家政务服务平台


CHANNEL_LABELS = {
    "phone": "电话", "web": "网站", "app": "APP", "wechat": "微信",
    "110": "110转办", "national": "国家平台",
}


def channel_label(channel: str) -> str:
    """电话 / 网站 … for our own channels, “119转办” for a peer's code."""
    return CHANNEL_LABELS.get(channel) or f"{channel}转办"


_AGENT_ONLY = frozenset({Channel.phone, Channel.web, Channel.app, Channel.wechat, Channel.national})


def is_peer_channel(channel: str) -> bool:
    """Reached us from a peer platform (110, 119, a utility line…), not from a caller directly."""
    return channel not in _AGENT_ONLY



class Urgency(StrEnum):
    normal = "normal"
    urgent = "urgent"
    very_urgent = "very_urgent"


class AssignmentRole(StrEnum):
    lead = "lead"  # 牵头承办单位
    co = "co"  # 协同承办单位
    handler = "handler"  # a unit the ticket was forwarded to (具体承办单位)


class ExtensionState(StrEnum):
    pending = "pending"
    approved = "approved"
    denied = "denied"
    lapsed = "lapsed"  # the ticket moved on (replied, forwarded, returned…) before a decision


class OrderState(StrEnum):
    open = "open"
    answered = "answered"
    resolved = "resolved"  # the ticket was answered or closed
    void = "void"  # the ticket went elsewhere (re-dispatched, merged)


class Rating(StrEnum):
    satisfied = "satisfied"
    basically_satisfied = "basically_satisfied"
    dissatisfied = "dissatisfied"


RATING_LABELS = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}


class Ticket(SQLModel, table=True):
    __tablename__ = "tickets"
    __table_args__ = (
        # The overdue lists count and page by (next_due_at, id): an index-only count, no sort.
        Index("ix_tickets_next_due_id", "next_due_at", "id"),
        Index("ix_tickets_next_at_risk", "next_at_risk_at"),
        Index("ix_tickets_status_created", "status", "created_at"),
        # Time-span reads over every status: the board's 30-day charts, the hotspots and the
        # anomaly detector ((status, created_at) cannot serve a range without a status).
        Index("ix_tickets_created", "created_at"),
    )

    id: int = Field(default=None, primary_key=True)
    number: str = Field(sa_column=Column(String(20), unique=True, nullable=False))
    channel: str = Field(max_length=16)
    caller_name: str | None = Field(default=None, max_length=64)
    caller_phone: str = Field(max_length=32, index=True)
    request_type: RequestType = Field(sa_column=Column(String(8), nullable=False))
    category: str | None = Field(default=None, max_length=200)
    content: str = Field(sa_column=Column(Text, nullable=False))
    address: str | None = Field(default=None, max_length=300)
    urgency: Urgency = Field(default=Urgency.normal,
                             sa_column=Column(EnumText(Urgency, 16), nullable=False))
    status: Status = Field(sa_column=Column(EnumText(Status, 20), nullable=False))
    lead_unit_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    # The unit that holds the ticket now: the concrete handler after forwarding, or the parent
    # a return went back to. Actions are checked against it.
    holder_unit_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    # The chain of units from the hotline down to the holder ([hotline, lead, sub-unit…]):
    # a return (退单) goes one step up it, "逐级向上提交" (CQ §13(一)).
    route: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    dispatched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    replied_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Deadline inputs given at dispatch (CQ §13(二)(四)).
    custom_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    legal_basis: str | None = Field(default=None, max_length=64)
    # Clocks, as last computed by sla (see services.clocks).
    transfer_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    return_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    close_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_at_risk_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_clock: str | None = Field(default=None, max_length=16)  # which clock is due first
    #: Still overdue at this moment → escalate to the next level (policy escalation delay).
    next_escalate_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: When the scan next has something to do for this ticket (incremental scan index).
    scan_next_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    sla_provisional: bool = False
    # Outcome fields.
    reply_content: str | None = Field(default=None, sa_column=Column(Text))
    decision: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    merged_into_id: int | None = Field(default=None, foreign_key="tickets.id")
    rework_count: int = 0
    #: A caller who withheld their number looks the ticket up with this code instead of the
    #: last four digits (CQ §11); the number itself is stored empty, never as "12345".
    lookup_code: str | None = Field(default=None, max_length=12, index=True)
    version: int = Field(default=1)

    # Optimistic concurrency: every UPDATE says "AND version = :seen"; a lost race is a 409.
    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        # The service bumps the version once per command (not once per flush).
        return {"version_id_col": cls.__table__.c.version,  # type: ignore[attr-defined]
                "version_id_generator": False}


class TicketUnit(SQLModel, table=True):
    """Every unit that has (had) a part in a ticket; scoping reads it."""

    __tablename__ = "ticket_units"
    __table_args__ = (
        UniqueConstraint("ticket_id", "unit_id", "role"),
        # Subtree scoping's per-ticket probe, index-only (migration 0005_i13).
        Index("ix_ticket_units_active_ticket_unit", "ticket_id", "unit_id",
              postgresql_where=text("active"), sqlite_where=text("active")),
    )

    id: int = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    unit_id: int = Field(foreign_key="units.id", index=True)
    role: AssignmentRole = Field(sa_column=Column(EnumText(AssignmentRole, 10), nullable=False))
    active: bool = True
    assigned_at: datetime = Field(sa_type=UTCDateTime)
    #: A co-unit's own part (CQ §13(二)): its deadline for input, and when it signed for it.
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    signed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TicketEvent(SQLModel, table=True):
    """One row per command, written in the same transaction as the ticket change; never updated."""

    __tablename__ = "ticket_events"
    __table_args__ = (UniqueConstraint("ticket_id", "seq"),)

    id: int = Field(default=None, primary_key=True)
    # Served by the unique (ticket_id, seq) index: a second index on ticket_id alone would be
    # one more write on every event for no read.
    ticket_id: int = Field(foreign_key="tickets.id")
    seq: int
    action: str = Field(max_length=32)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str | None = Field(default=None, max_length=20)
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    actor_unit_id: int | None = Field(default=None, foreign_key="units.id")
    reason: str | None = Field(default=None, sa_column=Column(Text))
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    at: datetime = Field(sa_type=UTCDateTime)
    # Who acted, as they were called then: renaming a user or unit does not rewrite the record.
    actor_name: str | None = Field(default=None, max_length=64)
    actor_unit_name: str | None = Field(default=None, max_length=128)
    # The tamper-evident chain (tickets/chain.py): HMAC of this row and the previous row's hash.
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64)


class EventChainHead(SQLModel, table=True):
    """The last link of each ticket's event chain, so a deleted last event is noticed too."""

    __tablename__ = "event_chain_heads"

    ticket_id: int = Field(foreign_key="tickets.id", primary_key=True,
                           sa_column_kwargs={"autoincrement": False})
    seq: int
    hash: str = Field(max_length=64)


class IdempotencyKey(SQLModel, table=True):
    """A command sent with an ``Idempotency-Key``: claimed in the command's own transaction and
    holding its answer, so a retried or doubled request acts once and gets the same answer."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: int = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")
    key: str = Field(max_length=128)
    request_hash: str = Field(max_length=64)
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id")
    status_code: int | None = None
    response: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)


class ReturnRecord(SQLModel, table=True):
    """A 退单: who sent it back, to whom, why, and whether it was later judged improper."""

    __tablename__ = "ticket_returns"

    id: int = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    from_unit_id: int = Field(foreign_key="units.id", index=True)
    to_unit_id: int = Field(foreign_key="units.id")
    reason: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime = Field(sa_type=UTCDateTime)
    improper: bool | None = None  # None: not judged; True: 不当退单 (CQ §15)
    #: Sent back after the return window (2 working days from receipt, CQ §13(一)): shown red,
    #: counted against the returning unit.
    late: bool | None = None
    judged_by_id: int | None = Field(default=None, foreign_key="users.id")


class ExtensionRequest(SQLModel, table=True):
    """A 延期申请 (CQ §13(三)): asked before the deadline, decided by the upper-level unit."""

    __tablename__ = "extension_requests"

    id: int = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    unit_id: int = Field(foreign_key="units.id", index=True)
    requested_by_id: int = Field(foreign_key="users.id")
    reason: str = Field(sa_column=Column(Text, nullable=False))
    add_working_days: int | None = None
    requested_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: ExtensionState = Field(default=ExtensionState.pending,
                                   sa_column=Column(EnumText(ExtensionState, 10), nullable=False))
    requested_at: datetime = Field(sa_type=UTCDateTime)
    decided_by_id: int | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_reason: str | None = Field(default=None, sa_column=Column(Text))
    old_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    new_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReturnVisit(SQLModel, table=True):
    """A 回访 with its 好差评 rating (CQ §14)."""

    __tablename__ = "return_visits"

    id: int = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    round: int = 1
    rating: Rating = Field(sa_column=Column(EnumText(Rating, 24), nullable=False))
    comment: str | None = Field(default=None, sa_column=Column(Text))
    # CQ §14: mediation and law-enforcement matters are not ranked by satisfaction.
    counts_for_satisfaction: bool = True
    resolved: bool | None = None  # 解决率: the caller says the problem was solved
    unit_id: int | None = Field(default=None, foreign_key="units.id", index=True)  # who replied
    visited_by_id: int = Field(foreign_key="users.id")
    at: datetime = Field(sa_type=UTCDateTime)
    verification: str | None = Field(default=None, max_length=16)  # rework / explained
    method: str | None = Field(default=None, max_length=8)  # phone / sms / web / onsite


class SupervisionOrder(SQLModel, table=True):
    """A 督办 order with its own deadline (CQ §15)."""

    __tablename__ = "supervision_orders"

    id: int = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    unit_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    issued_by_id: int | None = Field(default=None, foreign_key="users.id")
    level: int = 1
    reason: str = Field(sa_column=Column(Text, nullable=False))
    issued_at: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime)
    status: OrderState = Field(default=OrderState.open,
                               sa_column=Column(EnumText(OrderState, 10), nullable=False))
    response: str | None = Field(default=None, sa_column=Column(Text))
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TicketCounter(SQLModel, table=True):
    """Per-day counter behind human ticket numbers (``20261121-000123``) on SQLite, where the
    one writer at a time makes a counter row free of contention (``tickets.numbering``)."""

    __tablename__ = "ticket_counters"

    day: str = Field(primary_key=True, max_length=8)
    last: int = 0


class TicketDay(SQLModel, table=True):
    """On PostgreSQL a day's numbers are ``nextval('ticket_serial') - base``: ``base`` is the
    sequence's value when the day's first registration came (``tickets.numbering``)."""

    __tablename__ = "ticket_days"

    day: str = Field(primary_key=True, max_length=8)
    base: int = Field(sa_type=BigInteger)


class PersonalDataAccess(SQLModel, table=True):
    """Every time a user is shown a caller's unmasked contact (CQ §22: traceable access)."""

    __tablename__ = "personal_data_access"

    id: int = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    purpose: str = Field(max_length=32)
    at: datetime = Field(sa_type=UTCDateTime)



class VisitMethod(StrEnum):
    """How a return visit (or a failed attempt) was made (CQ §14: 电话核实、当面访谈…)."""

    phone = "phone"
    sms = "sms"
    web = "web"
    onsite = "onsite"


VISIT_METHOD_LABELS = {"phone": "电话", "sms": "短信", "web": "网站", "onsite": "当面/现场"}


class ReviewState(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    used = "used"  # the approved text went to the caller


class ReplyReview(SQLModel, table=True):
    """A sub-unit's draft reply waiting for its parent's review (CQ §6(二) 审核办理结果)."""

    __tablename__ = "reply_reviews"

    id: int = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    unit_id: int = Field(foreign_key="units.id")  # the sub-unit that drafted it
    reviewer_unit_id: int = Field(foreign_key="units.id", index=True)
    content: str = Field(sa_column=Column(Text, nullable=False))
    status: ReviewState = Field(default=ReviewState.pending,
                                sa_column=Column(EnumText(ReviewState, 10), nullable=False))
    submitted_at: datetime = Field(sa_type=UTCDateTime)
    decided_by_id: int | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    comment: str | None = Field(default=None, sa_column=Column(Text))
