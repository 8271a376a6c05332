"""Random action sequences against the workflow table (hypothesis RuleBasedStateMachine).

Properties, on SQLite and PostgreSQL:
- an action the table allows for this user now is accepted, and lands in the state it names;
- an action it refuses is refused (403/409 kinds) and changes nothing: same version, same history;
- every status ever reached is a target of some table edge, and every recorded step is an edge.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from hotline.core.errors import DomainError, Forbidden
from hotline.core.times import utcnow
from hotline.tickets.commands import apply, create_ticket, facts_for
from hotline.tickets.models import Ticket, TicketEvent
from hotline.tickets.schemas import TicketCreate
from hotline.tickets.workflow import BY_ACTION, TRANSITIONS, Status, allowed_actions, judge
from hotline.units.actor import actor_for
from hotline.units.models import Unit, User
from tests.hotline.conftest import City

EDGES = {(src, dst) for t in TRANSITIONS for src in t.sources
         for dst in (t.targets() if (t.target or t.branch_on) else {src})}
ENDINGS = {"answer_directly", "warm_transfer", "not_accept", "emergency_handover", "merge",
           "archive", "close_without_visit", "explain_close"}
REACHABLE = {dst for _, dst in EDGES} | {Status.registered}


def payload_for(action: str, ticket: Ticket, session: Session, data: st.DataObject,
                other_number: str) -> Any:
    """A well-formed payload for ``action`` on ``ticket`` as it stands."""
    model = BY_ACTION[action].payload
    # Only units somebody in the walk works for, so dispatched tickets can move on.
    staffed = set(session.exec(select(User.unit_id).where(col(User.username).in_(
        WorkflowMachine.usernames))).all())
    units = [u for u in session.exec(select(Unit).where(Unit.kind != "hotline")).all()
             if u.id in staffed]
    if action == "dispatch":
        lead = data.draw(st.sampled_from([u.id for u in units]))
        return model(lead_unit_id=lead)
    if action == "forward":
        holder = session.get(Unit, ticket.holder_unit_id) if ticket.holder_unit_id else None
        below = [u.id for u in units if holder and u.path.startswith(holder.path) and u.id != holder.id]
        if not below:
            return None
        return model(to_unit_id=data.draw(st.sampled_from(below)))
    if action == "visit":
        ratings = ["dissatisfied", "satisfied", "basically_satisfied"]
        return model(rating=ratings[data.draw(st.integers(0, 2)) % 3])
    if action == "merge":
        return model(target_number=other_number)
    if action == "request_extension":
        return model(reason="需要协调", add_working_days=data.draw(st.integers(1, 10)))
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name in ("action", "version") or not info.is_required():
            continue
        if name == "service":
            fields[name] = "110"
        elif name == "reason_code":
            fields[name] = "litigation"
        elif name == "caller_consent":
            fields[name] = True
        else:
            fields[name] = "测试内容"
    return model(**fields)


class WorkflowMachine(RuleBasedStateMachine):
    engine: Engine
    usernames: list[str]
    all_seen: ClassVar[set[str]] = set()

    @initialize()
    def new_ticket(self) -> None:
        with Session(self.engine, expire_on_commit=False) as s:
            agent = actor_for(s, s.exec(select(User).where(User.username == "agent")).one())
            body = {"caller_phone": "13900001111", "request_type": "投诉", "content": "测试诉求"}
            self.number = create_ticket(s, agent, TicketCreate(**body)).number
            self.other = create_ticket(s, agent, TicketCreate(**body)).number
            s.commit()
        self.seen_states = {Status.registered.value}

    def _try(self, username: str, action: str, data: st.DataObject) -> None:
        with Session(self.engine, expire_on_commit=False) as s:
            user = s.exec(select(User).where(User.username == username)).one()
            actor = actor_for(s, user)
            ticket = s.exec(select(Ticket).where(Ticket.number == self.number)).one()
            verdict = judge(action, facts_for(s, actor, ticket, utcnow()))
            payload = payload_for(action, ticket, s, data, self.other)
            if payload is None:
                return
            before = (ticket.status, ticket.version)
            events_before = s.exec(select(func.count()).select_from(TicketEvent)
                                   .where(TicketEvent.ticket_id == ticket.id)).one()
            try:
                apply(s, actor, ticket, payload)
                s.commit()
                accepted = True
            except DomainError as exc:
                s.rollback()
                accepted = False
                if verdict.allowed:
                    raise AssertionError(f"{username} {action} allowed by table but refused: "
                                         f"{exc.detail}") from exc
                if verdict.refusal in ("role", "scope"):
                    assert isinstance(exc, Forbidden)
        with Session(self.engine) as s:
            t = s.exec(select(Ticket).where(Ticket.number == self.number)).one()
            events = s.exec(select(func.count()).select_from(TicketEvent)
                            .where(TicketEvent.ticket_id == t.id)).one()
            if accepted:
                assert verdict.allowed, f"{username} {action} refused by table but accepted"
                expected = BY_ACTION[action].next_state(before[0], payload)
                assert t.status == expected
                assert t.version == before[1] + 1
                assert events > events_before
            else:
                assert (t.status, t.version) == before
                assert events == events_before
            self.seen_states.add(t.status)
            WorkflowMachine.all_seen.add(t.status)

    @rule(data=st.data())
    def any_user_any_action(self, data: st.DataObject) -> None:
        username = data.draw(st.sampled_from(self.usernames))
        action = data.draw(st.sampled_from(sorted(BY_ACTION)))
        self._try(username, action, data)

    @rule(data=st.data(), steps=st.integers(1, 4))
    def legal_actions(self, data: st.DataObject, steps: int) -> None:
        """A few actions the table allows now, one after another, so walks go deep."""
        for _ in range(steps):
            self._legal_step(data)

    def _legal_step(self, data: st.DataObject) -> None:
        options: list[tuple[str, str]] = []
        with Session(self.engine) as s:
            ticket = s.exec(select(Ticket).where(Ticket.number == self.number)).one()
            for name in self.usernames:
                actor = actor_for(s, s.exec(select(User).where(User.username == name)).one())
                options += [(name, t.action) for t in allowed_actions(facts_for(s, actor, ticket,
                                                                                 utcnow()))]
        # Mostly keep the ticket alive so walks reach rework, visits and closing; sometimes end it.
        alive = [o for o in options if o[1] not in ENDINGS]
        if alive and data.draw(st.integers(0, 9)) > 0:
            options = alive
        if options:
            username, action = data.draw(st.sampled_from(options))
            self._try(username, action, data)

    @invariant()
    def only_table_states(self) -> None:
        assert self.seen_states <= {s.value for s in REACHABLE}

    @invariant()
    def history_follows_edges(self) -> None:
        with Session(self.engine) as s:
            t = s.exec(select(Ticket).where(Ticket.number == self.number)).one()
            for e in s.exec(select(TicketEvent).where(TicketEvent.ticket_id == t.id)):
                if e.action in BY_ACTION:
                    assert (e.from_status, e.to_status) in EDGES, (e.action, e.from_status, e.to_status)


@pytest.mark.slow
def test_workflow_state_machine(engine: Engine, city: City) -> None:
    WorkflowMachine.engine = engine
    WorkflowMachine.usernames = ["agent", "supervisor", "dongcheng", "dongcheng_mgr", "donghua",
                                 "donghua_mgr", "guihua", "zjw", "zjw_mgr", "sthj"]
    WorkflowMachine.all_seen = set()
    run_state_machine_as_test(
        WorkflowMachine,
        settings=settings(max_examples=40, stateful_step_count=30, deadline=None, derandomize=True,
                          suppress_health_check=list(HealthCheck)),
    )
    # The walks went deep: not a vacuous pass that never left "registered".
    assert {"dispatched", "in_progress", "returned", "replied", "verifying", "rework", "visited",
            "closed", "answered", "merged"} <= WorkflowMachine.all_seen, sorted(WorkflowMachine.all_seen)
