"""CQ §13(三), §11, §16 — the caller is really told, by SMS, through a real gateway process.

CQ §13(三): an approved extension is told to the caller with the progress so far
(阶段性工作进展和延期情况告知来电人). CQ §11: registration gives the caller the means to look
their ticket up. CQ §16: the record is true — ``caller_notified`` is written only when the
gateway accepted the message, and carries its message id; a failed delivery is on the ticket.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import Session, select

from hotline.callers.models import CallerMessage
from hotline.core.db import get_engine
from hotline.core.times import SHANGHAI
from integrations import sms
from tests.hotline import conftest as app_fixtures
from tests.hotline.bridge_support import wait_for
from tests.hotline.conftest import City
from tests.rules.sms_support import API_KEY, SmsWorld, sms_world

city = app_fixtures.city  # the demo city's fixture, for this module


@pytest.fixture
def world(city: City, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmsWorld]:
    with sms_world(monkeypatch) as w:
        yield w


def _later(hours: int = 1) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)  # past every back-off


def test_cq11_registration_sms_gives_number_and_how_to_look_it_up(world: SmsWorld) -> None:
    number = world.register()["number"]
    assert world.events(number, "caller_notified") == []  # queued, not yet accepted
    assert world.send()["sent"] == 1
    sent = world.gateway("GET", "/messages")
    assert len(sent) == 1 and sent[0]["phone_number"] == "13812345678"
    assert sent[0]["text"].startswith("【重庆12345】") and number in sent[0]["text"]
    assert "手机号后四位" in sent[0]["text"] and "办件查询" in sent[0]["text"]
    told = world.events(number, "caller_notified")
    assert len(told) == 1 and told[0]["payload"]["message_id"] == sent[0]["biz_id"]
    assert told[0]["payload"]["occasion"] == "registered"
    # The delivery receipt comes back from the gateway and is recorded.
    wait_for(lambda: world.messages(number)["items"][0]["receipt_status"] == "DELIVERED",
             what="delivery receipt")
    assert world.messages(number)["items"][0]["state"] == "delivered"


def test_cq13_3_approved_extension_tells_new_deadline_and_progress(world: SmsWorld, city: City) -> None:
    number = world.register()["number"]
    world.act("agent", number, "dispatch", lead_unit_id=city.unit("DC"))
    world.act("dongcheng", number, "sign")
    world.act("dongcheng", number, "request_extension", reason="需协调燃气公司共同施工",
              add_working_days=5)
    approved = world.act("supervisor", number, "approve_extension", reason="情况属实")
    assert not [e for e in approved["events"] if e["action"] == "caller_notified"]
    world.send()
    close_due = next(c["due"] for c in approved["clocks"] if c["name"] == "close")
    due = datetime.fromisoformat(close_due).astimezone(SHANGHAI)
    texts = [m["text"] for m in world.gateway("GET", "/messages") if m["template_code"] == "HOTLINE_EXTENDED"]
    assert len(texts) == 1
    assert f"{due.year}年{due.month}月{due.day}日" in texts[0]  # the new deadline
    assert "需协调燃气公司共同施工" in texts[0] and "办理中" in texts[0]  # the progress so far
    told = [e for e in world.events(number, "caller_notified") if e["payload"]["occasion"] == "extended"]
    assert len(told) == 1 and told[0]["payload"]["message_id"]
    assert told[0]["payload"]["new_deadline"].startswith(f"{due.year}年{due.month}月{due.day}日")
    # The approval's own history row cites the message it queued, and the telling cites the same.
    approval = world.events(number, "approve_extension")
    assert approval[0]["payload"]["caller_message_id"] == told[0]["payload"]["caller_message_id"]


def test_cq13_3_reply_is_sent_to_the_caller(world: SmsWorld, city: City) -> None:
    number = world.register()["number"]
    world.act("agent", number, "dispatch", lead_unit_id=city.unit("DC"))
    world.act("dongcheng", number, "sign")
    world.act("dongcheng", number, "reply", content="已安排市政人员补装井盖并设置警示。")
    world.send()
    replied = [m for m in world.gateway("GET", "/messages") if m["template_code"] == "HOTLINE_REPLIED"]
    assert len(replied) == 1 and "补装井盖" in replied[0]["text"]
    occasions = [e["payload"]["occasion"] for e in world.events(number, "caller_notified")]
    assert occasions == ["registered", "replied"]


def test_cq13_3_gateway_down_messages_retried_and_delivered_exactly_once(world: SmsWorld) -> None:
    world.mode(down=True)
    numbers = [world.register(phone=f"1390000{i:04d}")["number"] for i in range(5)]
    first = world.send()
    assert first["retry"] == 5 and first["sent"] == 0
    for number in numbers:  # nothing claimed while the gateway did not take it
        assert world.events(number, "caller_notified") == []
        assert world.messages(number)["items"][0]["state"] == "pending"
    world.stop_gateway()  # and a gateway that is not even running
    assert world.send(_later())["retry"] == 5
    world.start_gateway()  # a fresh process: healthy
    assert world.send(_later(2))["sent"] == 5
    assert world.send(_later(3)) == {"sent": 0, "retry": 0, "dead": 0, "deferred": 0}
    sent = world.gateway("GET", "/messages")
    assert sorted(m["phone_number"] for m in sent) == sorted(f"1390000{i:04d}" for i in range(5))
    assert world.gateway("GET", "/control/stats")["duplicates"] == 0
    for number in numbers:
        told = world.events(number, "caller_notified")
        assert len(told) == 1  # exactly once on the record too
        item = world.messages(number)["items"][0]
        assert item["attempts"] == 3 and item["message_id"] == told[0]["payload"]["message_id"]


def test_cq13_3_resend_after_a_lost_answer_reaches_the_handset_once(world: SmsWorld) -> None:
    """The gateway's answer is lost (the relay died before recording it): the retry carries the
    same out_id, the gateway answers with the first message id, the caller gets one SMS."""
    number = world.register()["number"]
    out_id = world.messages(number)["items"][0]["id"]
    assert out_id  # the row exists; send it once "by hand" as a relay that then died would have
    gw = sms.GatewayConfig(base_url=world.sms_url, secret=API_KEY)
    with Session(get_engine()) as s:
        row = s.exec(select(CallerMessage)).one()
        request = sms.SmsRequest(phone_number="13812345678", sign_name="重庆12345",
                                 template_code=row.template_id, template_param=row.params,
                                 out_id=row.out_id)
    with httpx.Client() as client:
        lost = sms.send_sms(gw, request, client=client, now=datetime.now(UTC))
    assert lost.status is sms.SmsStatus.accepted
    assert world.send()["sent"] == 1
    assert len(world.gateway("GET", "/messages")) == 1
    assert world.gateway("GET", "/control/stats")["duplicates"] == 1
    told = world.events(number, "caller_notified")
    assert len(told) == 1 and told[0]["payload"]["message_id"] == lost.biz_id


def test_cq16_failed_delivery_receipt_is_visible_on_the_ticket(world: SmsWorld) -> None:
    world.mode(fail_receipts=True)
    number = world.register()["number"]
    world.send()
    wait_for(lambda: world.messages(number)["undelivered"] == 1, what="failed receipt")
    item = world.messages(number)["items"][0]
    assert item["state"] == "failed" and item["receipt_status"] == "FAILED"
    assert "UNDELIV" in item["receipt_error"]
    failed = world.events(number, "caller_not_notified")
    assert len(failed) == 1 and "未送达" in failed[0]["reason"]
    assert failed[0]["payload"]["message_id"] == item["message_id"]
    alerts = world.call("GET", "/inbox", user="supervisor")["items"]
    assert [a["kind"] for a in alerts if number in a["title"]] == ["caller_sms"]  # call them instead


def test_cq16_gateway_refusal_is_recorded_not_claimed(world: SmsWorld) -> None:
    world.mode(reject=True)
    number = world.register()["number"]
    assert world.send()["dead"] == 1
    assert world.events(number, "caller_notified") == []
    item = world.messages(number)["items"][0]
    assert item["state"] == "dead" and "BLACK_KEY" in item["reason"]
    assert len(world.events(number, "caller_not_notified")) == 1
    alerts = world.call("GET", "/inbox", user="supervisor")["items"]
    assert [a["kind"] for a in alerts if number in a["title"]] == ["caller_sms"]


def test_cq11_no_sms_to_withheld_or_landline_numbers(world: SmsWorld) -> None:
    landline = world.register(phone="023-63001234")["number"]
    withheld = world.register(phone="12345")["number"]
    assert world.send()["sent"] == 0
    assert world.gateway("GET", "/messages") == []
    for number, kind in ((landline, "landline"), (withheld, "withheld")):
        item = world.messages(number)["items"][0]
        assert item["state"] == "suppressed" and item["reason"] == kind
        not_told = world.events(number, "caller_not_notified")
        assert len(not_told) == 1 and not_told[0]["payload"]["number_kind"] == kind
        assert world.events(number, "caller_notified") == []


def test_cq16_receipts_need_the_gateway_signature(world: SmsWorld) -> None:
    body = (b'{"receipts": [{"biz_id": "x", "phone_number": "1", "status": "FAILED",'
            b' "reported_at": "2026-01-01T00:00:00Z"}]}')
    r = httpx.post(world.app_url + "/api/v1/callers/sms/receipts", content=body,
                   headers={"Content-Type": "application/json"}, timeout=10)
    assert r.status_code == 401


def test_cq13_3_quiet_hours_hold_messages_until_they_end(city: City, monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime.now(SHANGHAI)
    start, end = now - timedelta(hours=1), now + timedelta(hours=2)
    window = f"{start:%H}:00-{end:%H}:00"
    with sms_world(monkeypatch, env={"HOTLINE_SMS_QUIET_HOURS": window}) as world:
        number = world.register()["number"]
        item = world.messages(number)["items"][0]
        waits = datetime.fromisoformat(item["next_attempt_at"]).astimezone(SHANGHAI)
        assert (waits.hour, waits.minute) == (end.hour, 0)
        assert world.send()["sent"] == 0
        assert world.gateway("GET", "/messages") == []
        assert world.send(waits.astimezone(UTC) + timedelta(minutes=1))["sent"] == 1


def test_cq11_registration_sms_goes_out_on_its_own(city: City, monkeypatch: pytest.MonkeyPatch) -> None:
    """As deployed (embedded mode): the commit that queues the message kicks the outbox; no
    timer (interval 0) and no test hand drives it."""
    env = {"HOTLINE_EMBEDDED_JOBS": "true", "HOTLINE_SMS_INTERVAL_SECONDS": "0"}
    with sms_world(monkeypatch, env=env) as world:
        number = world.register()["number"]
        wait_for(lambda: len(world.events(number, "caller_notified")) == 1, what="the kicked SMS")
        sent = world.gateway("GET", "/messages")
        told = world.events(number, "caller_notified")
        assert len(sent) == 1 and sent[0]["biz_id"] == told[0]["payload"]["message_id"]
