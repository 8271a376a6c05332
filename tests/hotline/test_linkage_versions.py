"""Schema version 2 end to end (issue 18, "complete 110 records"), through the real `hotline
sim110` process: 12345 configured to speak v2 with 110 sends the v2 fields of a hand-over, and
what the simulator reports back in v2 (officer, case number, closure code …) is stored and shown
on the ticket; a return visit goes back to 110 as 回访结果; a reclaimed hand-over is withdrawn
(撤单); and at v1 (the default) none of it goes over the wire."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

import integrations
from hotline.linkage.models import LinkedMatter, OutboxMessage
from hotline.notifications.models import Notification
from hotline.units.models import Unit, User
from tests.hotline.bridge_support import Bridge, running_bridge, wait_for
from tests.hotline.conftest import Api, City
from tests.ops.test_outage import HANDOVER, _login, run_relay

FROM_110 = "change-me-110-to-12345"  # what 110 signs with (example file)
POLICE_MATTER = "有人持刀在小区门口打架，已经有人受伤"


@pytest.fixture
def bridge_v2(city: City, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Bridge]:
    with running_bridge(monkeypatch, tmp_path, env={"HOTLINE_PEER__110__SCHEMA_VERSION": "2"}) as b:
        yield b


@pytest.fixture
def bridge_v1(city: City, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Bridge]:
    with running_bridge(monkeypatch, tmp_path) as b:  # the example file: 110 at version 1
        yield b


def page(api: Api, number: str) -> str:
    for name, value in _login(api, "supervisor").items():
        api.client.cookies.set(name, value)
    try:
        return api.client.get(f"/t/{number}").text
    finally:
        api.client.cookies.clear()


def feedback_records(api: Api, number: str) -> dict[str, dict[str, Any]]:
    events = api.get("supervisor", number)["events"]
    return {e["payload"]["kind"]: e["payload"]["record"] for e in events
            if e["action"] == "peer_feedback"}


def full_name(engine: Engine, username: str) -> str:
    with Session(engine) as s:
        user = s.exec(select(User).where(User.username == username)).one()
        return user.full_name


def test_v2_fields_reach_110_and_its_v2_feedback_is_kept_and_shown(
        api: Api, engine: Engine, bridge_v2: Bridge) -> None:
    bridge_v2.start_sim(step_delay_ms=20)
    number = api.create(content=POLICE_MATTER, decision=HANDOVER)["number"]
    run_relay(engine, datetime.now(UTC))
    wait_for(lambda: bool(bridge_v2.sim("GET", "/alarms")), what="the hand-over at 110")
    (alarm,) = bridge_v2.sim("GET", "/alarms")
    assert alarm["schema_version"] == 2
    assert alarm["record"]["received_by"] == full_name(engine, "agent")  # 受理人, a v2 field
    assert "报警内容" not in alarm["record"]  # 110's 警单 names stay in the 警单

    wait_for(lambda: "closed" in feedback_records(api, number), what="110's 结警 callback")
    records = feedback_records(api, number)
    closed = records["closed"]
    assert closed["closure_code"] == "10" and closed["officer"] == "王建国"
    assert closed["case_number"].startswith("A") and records["dispatched"]["unit_code"] == "310115550000"
    html = page(api, number)
    for label, value in (("结案/结警代码", "10"), ("案件编号", closed["case_number"]),
                         ("处警民警/承办人", "王建国"), ("警号/工号", "031528")):
        assert label in html and value in html, label


def test_a_v1_peer_gets_no_v2_field_and_sends_none(api: Api, engine: Engine, bridge_v1: Bridge) -> None:
    bridge_v1.start_sim(step_delay_ms=20)
    number = api.create(content=POLICE_MATTER, decision=HANDOVER)["number"]
    run_relay(engine, datetime.now(UTC))
    wait_for(lambda: bool(bridge_v1.sim("GET", "/alarms")), what="the hand-over at 110")
    (alarm,) = bridge_v1.sim("GET", "/alarms")
    assert alarm["schema_version"] == 1 and "received_by" not in alarm["record"]
    wait_for(lambda: "closed" in feedback_records(api, number), what="110's 结警 callback")
    assert "closure_code" not in feedback_records(api, number)["closed"]
    # 撤单 is a v2 kind: taking back a matter 110 still has is told by phone, and the
    # supervisors hear so (nothing is queued that 110 would refuse)
    bridge_v1.stop_sim()
    second = api.create(content=POLICE_MATTER, decision=HANDOVER)["number"]
    api.act("agent", second, "reclaim", reason="来电人改称已自行解决，热线收回")
    with Session(engine) as s:
        link = s.exec(select(LinkedMatter).where(LinkedMatter.our_ref == second)).one()
        assert link.status == "cancelled"
        kinds = s.exec(select(OutboxMessage.kind).where(OutboxMessage.ticket_id == link.ticket_id)).all()
        assert list(kinds) == ["ticket_transfer"]
        notes = s.exec(select(Notification.title).where(Notification.ticket_id == link.ticket_id)).all()
    assert any("撤单需电话告知" in t for t in notes), notes


def test_a_reclaimed_hand_over_is_withdrawn_at_110(api: Api, engine: Engine, bridge_v2: Bridge) -> None:
    bridge_v2.start_sim(step_delay_ms=3000)  # slow: 110 still has it when we take it back
    number = api.create(content=POLICE_MATTER, decision=HANDOVER)["number"]
    run_relay(engine, datetime.now(UTC))
    wait_for(lambda: bool(bridge_v2.sim("GET", "/alarms")), what="the hand-over at 110")
    done = api.act("agent", number, "reclaim", reason="来电人改称已自行解决，热线收回")
    assert done["status"] == "registered"
    run_relay(engine, datetime.now(UTC))
    wait_for(lambda: bridge_v2.sim("GET", "/alarms")[0]["cancelled"], what="撤单 at 110")
    (alarm,) = bridge_v2.sim("GET", "/alarms")
    assert alarm["follow_ups"][0]["kind"] == "cancel"
    assert "自行解决" in alarm["follow_ups"][0]["record"]["reason"]


def test_a_return_visit_goes_back_to_110(api: Api, engine: Engine, bridge_v2: Bridge) -> None:
    bridge_v2.start_sim()
    pushed = bridge_v2.sim("POST", "/control/push", json={
        "text": "小区物业擅自提高物业费，电梯坏了半个月没人修", "address": "西城区西关街道锦绣华庭",
        "kind": "police_order"})
    assert pushed["status"] == "delivered", pushed
    number = pushed["peer_id"]
    ticket = api.get("supervisor", number)
    record = next(e for e in ticket["events"] if e["action"] == "peer_record")["payload"]["record"]
    assert record["received_by"] == "接警员 李敏" and record["incident_time"]  # v2, kept
    assert "接警员/受理人" in page(api, number) and "案发时间" in page(api, number)
    if ticket["status"] == "registered":
        ticket = api.act("agent", number, "dispatch", lead_unit_id=bridge_unit(engine, "ZJW"))
    handler = unit_user(engine, ticket["holder_unit"]["id"])
    api.act(handler, number, "sign")
    api.act(handler, number, "reply", content="已约谈物业公司，电梯已修复。")
    api.act("agent", number, "visit", rating="satisfied", resolved=True, comment="修好了")
    run_relay(engine, datetime.now(UTC))

    def visit_result() -> dict[str, Any] | None:
        return next((f for f in bridge_v2.sim("GET", "/pushes")["feedback"]
                     if f["kind"] == "visit_result"), None)

    wait_for(lambda: visit_result() is not None, what="回访结果 at 110")
    got = visit_result()
    assert got is not None and got["schema_version"] == 2
    assert got["record"]["satisfaction"] == "satisfied" and got["record"]["solved"] is True


def bridge_unit(engine: Engine, code: str) -> int:
    with Session(engine) as s:
        return s.exec(select(Unit).where(Unit.code == code)).one().id


def unit_user(engine: Engine, unit_id: int) -> str:
    """Someone of the unit that holds the ticket (routing chose it), to sign and reply."""
    with Session(engine) as s:
        users = s.exec(select(User).where(User.unit_id == unit_id)
                       .where(col(User.role).in_(["unit_handler", "unit_manager"]))).all()
        assert users, s.get(Unit, unit_id)
        return sorted(users, key=lambda u: u.role != "unit_handler")[0].username


def test_a_merged_call_is_passed_on_as_supplementary_information(
        api: Api, engine: Engine, bridge_v2: Bridge) -> None:
    """A unit brings 110 in on a ticket it keeps working; a second caller about the same matter
    is merged into it: what they said goes to 110 as 补充信息, with the ticket's deadline known."""
    bridge_v2.start_sim(step_delay_ms=20000)  # 110 keeps the matter open meanwhile
    number = api.create()["number"]
    api.act("agent", number, "dispatch", lead_unit_id=bridge_unit(engine, "DC-DH"))
    api.act("donghua", number, "sign")
    api.act("donghua", number, "bring_in_peer", service="110", reason="现场发现有人持械，需民警到场")
    run_relay(engine, datetime.now(UTC))
    wait_for(lambda: bool(bridge_v2.sim("GET", "/alarms")), what="the matter at 110")
    (alarm,) = bridge_v2.sim("GET", "/alarms")
    assert alarm["record"]["deadline"]  # 12345's 办理时限 (v2): the ticket's close deadline
    second = api.create(content="桂花苑门口烧烤店的人拿着刀在吵架，很吓人")["number"]
    merged = api.act("agent", second, "merge", target_number=number, reason="同一事项")
    assert merged["status"] == "merged"
    run_relay(engine, datetime.now(UTC))
    wait_for(lambda: bool(bridge_v2.sim("GET", "/alarms")[0]["follow_ups"]), what="补充信息 at 110")
    (follow_up,) = bridge_v2.sim("GET", "/alarms")[0]["follow_ups"]
    assert follow_up["kind"] == "supplement" and "拿着刀" in follow_up["record"]["content"]
    assert second in follow_up["record"]["content"]


def test_an_urge_from_110_is_on_the_ticket_and_told_to_the_supervisors(
        api: Api, engine: Engine, bridge_v2: Bridge) -> None:
    bridge_v2.start_sim()
    pushed = bridge_v2.sim("POST", "/control/push", json={"text": "小区路灯坏了好几天，晚上很黑",
                                                          "address": "东城区东华街道桂花苑"})
    assert pushed["status"] == "delivered", pushed
    number, alarm_number = pushed["peer_id"], pushed["alarm_number"]
    peer = integrations.PeerConfig(code="12345", name="12345", base_url=bridge_v2.app_url,
                                   inbound_path="/api/v1/integrations/110/inbound",
                                   secret=FROM_110, schema_version=2)
    urge = integrations.Envelope.new("urge", sender="110", correlation_id=alarm_number, payload={
        "seq": 1, "occurred_at": datetime.now(UTC), "urge_level": "督办",
        "reason": "群众再次报警称路灯仍未修复"})
    with httpx.Client() as client:
        result = integrations.send(peer, urge, client=client)
    assert result.status is integrations.SendStatus.delivered and result.peer_id == number
    assert result.ack is not None and result.ack.schema_version == 2
    record = feedback_records(api, number)["urge"]
    assert record["urge_level"] == "督办" and "仍未修复" in record["reason"]
    assert "催办/督办" in page(api, number)
    with Session(engine) as s:
        titles = s.exec(select(Notification.title)).all()
    assert any(f"【110督办】工单 {number}" in t for t in titles), titles


def test_area_codes_come_from_a_unit_tree_coded_with_them(engine: Engine) -> None:
    """区县/街道 codes go out only where the unit tree carries administrative codes; the demo
    tree's free-form codes (DC-DH …) send none rather than a message 110 would refuse."""
    from hotline.linkage.outbound import _area_codes
    from hotline.tickets.models import Ticket
    from hotline.units.models import UnitKind

    with Session(engine) as s:
        district = Unit(code="310115", name="浦东新区人民政府", kind=UnitKind.district_gov)
        s.add(district)
        s.flush()
        district.path = f"/{district.id}/"
        street = Unit(code="310115004", name="陆家嘴街道", kind=UnitKind.street, parent_id=district.id)
        s.add(street)
        s.flush()
        street.path = f"{district.path}{street.id}/"
        free = Unit(code="PD-X", name="无代码街道", kind=UnitKind.street)
        s.add(free)
        s.flush()
        free.path = f"/{free.id}/"
        assert _area_codes(s, Ticket(holder_unit_id=street.id)) == {
            "district_code": "310115", "street_code": "310115004"}
        assert _area_codes(s, Ticket(lead_unit_id=district.id)) == {"district_code": "310115"}
        assert _area_codes(s, Ticket(holder_unit_id=free.id)) == {}
        assert _area_codes(s, Ticket()) == {}
        s.rollback()
