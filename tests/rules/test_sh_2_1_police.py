"""SH 二(一)2 and 4 (the Shanghai 12345–110 linkage opinions), with CQ §10.

二(一)2: a matter in 110's remit — a crime, a missing child, a fight about to start, a complaint
about police conduct — is transferred to 110, not dispatched; intake suggests the transfer and
shows the words it went by. 二(一)4: a unit that finds, while working a ticket, that a dispute
is escalating or a crime is involved brings in 110 (or 119/120/122) itself.
"""

from __future__ import annotations

import pytest

from tests.rules import intake_support as support
from tests.rules.intake_support import Api, City

api, city, client, headers = support.api, support.city, support.client, support.headers
example_peers = support.example_peers

POLICE_CALLS = [
    ("我的电动车刚刚在楼下被人偷走了", "偷"),
    ("接到一个自称公安局的电话，让我把钱转到安全账户，我已经转了五万", "安全账户"),
    ("小区地下室有一群人在聚众赌博，每天晚上都有", "赌博"),
    ("楼下出租屋里好像有人吸毒，经常有锡纸和针管", "吸毒"),
    ("我家孩子放学到现在还没回家，电话也打不通", "没回家"),
    ("烧烤摊两桌人吵起来了，有人去拿啤酒瓶了，马上要打起来", "打起来"),
    ("我要投诉派出所的民警，报案他们不给立案还骂人", "民警"),
]


@pytest.mark.parametrize("text, word", POLICE_CALLS)
def test_sh_2_1_2_police_matter_suggests_transfer_to_110_with_triggers(api: Api, text: str,
                                                                        word: str) -> None:
    advice = api.client.post("/api/v1/intake/suggest", json={"text": text},
                             headers=api.headers("agent")).json()
    assert advice["decision"] == "emergency" and advice["emergency_service"] == "110", advice
    triggers = advice["safety"]["triggers"]
    assert any(word in t for t in triggers), triggers
    assert all(t in text for t in triggers)  # the words shown are the caller's own
    assert "110" in advice["reason"] and any(t in advice["reason"] for t in triggers)


def test_sh_2_1_2_police_matter_is_not_dispatched(api: Api) -> None:
    n = api.create(content=POLICE_CALLS[0][0], request_type="求助")["number"]
    r = api.client.post(f"/api/v1/tickets/{n}/transitions", json={"action": "dispatch"},
                        headers=api.headers("agent"))
    assert r.status_code == 409 and r.json()["handover"]["service"] == "110"
    api.act("agent", n, "emergency_handover", service="110", reason=r.json()["handover"]["reason"])
    assert api.get("agent", n)["status"] == "emergency"


def test_sh_2_1_ordinary_calls_that_mention_danger_stay_with_12345(api: Api) -> None:
    for text in ("建议小区加装监控，防止电动车被盗", "去年我们楼着过一次火，想问问消防设施什么时候更新",
                 "楼下烧烤店油烟很大，熏得我们不敢开窗"):
        advice = api.client.post("/api/v1/intake/suggest", json={"text": text},
                                 headers=api.headers("agent")).json()
        assert advice["decision"] != "emergency", (text, advice["safety"])


def test_sh_2_1_4_handling_unit_brings_in_110(api: Api, city: City, example_peers: None) -> None:
    n = api.create(content="两户邻居因为占用楼道的事情吵了一个月，请社区调解")["number"]
    api.act("agent", n, "dispatch", lead_unit_id=city.unit("DC-DH"))
    # Only the unit that holds the ticket may bring a peer in (not yet: the hotline cannot).
    api.act("agent", n, "bring_in_peer", expect=403, service="110", reason="x")
    api.act("donghua", n, "sign")
    assert "bring_in_peer" in api.get("donghua", n)["allowed_actions"]
    d = api.act("donghua", n, "bring_in_peer", service="110",
                reason="调解现场双方推搡，矛盾激化，需要民警到场")
    assert d["status"] == "in_progress"  # the unit keeps working the ticket
    act = next(e for e in d["events"] if e["action"] == "bring_in_peer")
    assert act["payload"]["service"] == "110" and act["payload"]["queued_to_peer"] is True
    assert act["payload"]["reported_to_supervisors"] is True
    links = api.client.get("/api/v1/integrations/links", headers=api.headers("supervisor")).json()
    assert [(i["peer"], i["direction"]) for i in links["items"] if i["ticket"] == n] == [("110", "out")]
    inbox = api.client.get("/api/v1/inbox", headers=api.headers("supervisor")).json()["items"]
    assert any(i["kind"] == "emergency" and n in i["title"] for i in inbox)
    # Brought in once; asking again while 110 is on it is recorded, but no second matter is sent.
    again = api.act("donghua", n, "bring_in_peer", service="110", reason="再次联动")
    act = [e for e in again["events"] if e["action"] == "bring_in_peer"][-1]
    assert act["payload"]["already_with_peer"] is True and act["payload"]["queued_to_peer"] is False
    links = api.client.get("/api/v1/integrations/links", headers=api.headers("supervisor")).json()
    assert len([i for i in links["items"] if i["ticket"] == n and i["peer"] == "110"]) == 1
    # 119 can be brought in beside it, and the unit still replies to the caller itself.
    api.act("donghua", n, "bring_in_peer", service="119", reason="现场有人点燃杂物")
    api.act("donghua", n, "reply", content="已联合民警调解，双方达成协议")
