"""CQ §9: matters the hotline does not accept are refused with their basis told to the caller.

One vocabulary of reasons (``vocabulary.not_accepted``) serves the detector, routing and the
workflow: the code intake suggests is the code the workflow takes, and people read the reason
in Chinese, never the code.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.rules import intake_support as support
from tests.rules.intake_support import Api, sign_in
from vocabulary import NOT_ACCEPTED_LABELS, NotAcceptedReason

api, city, client, headers = support.api, support.city, support.client, support.headers

#: One call per reason the detector recognises, with the code the workflow must accept.
CALLS = [
    ("我要申请政府信息公开，公开我们村的征地补偿标准文件", "info_disclosure"),
    ("我手上有一份涉密文件，是国家秘密，想交给你们", "state_secret"),
    ("我已经向法院起诉了，想问判决什么时候下来", "litigation"),
    ("劳动仲裁已经立案了，想问仲裁委什么时候开庭", "arbitration"),
    ("帮我查一下我前妻的手机号和住址", "privacy"),
]


def test_cq9_suggested_reason_code_is_accepted_by_the_workflow(api: Api) -> None:
    for text, code in CALLS:
        advice = api.client.post("/api/v1/intake/suggest", json={"text": text},
                                 headers=api.headers("agent")).json()
        assert advice["decision"] == "not_accepted", (text, advice["decision"])
        suggested = advice["not_accepted_reason_code"]
        assert suggested == code and suggested in NotAcceptedReason.__members__.values()
        assert advice["not_accepted_reason"] == NOT_ACCEPTED_LABELS[code]  # Chinese beside the code
        # The suggested code, passed on as it came, is what the workflow takes.
        r = api.client.post("/api/v1/tickets", headers=api.headers("agent"), json={
            "caller_phone": "13812345678", "request_type": "咨询", "content": text,
            "decision": {"action": "not_accept", "reason_code": suggested,
                         "reason": advice["not_accepted_reason"],
                         "referral": advice.get("referral")}})
        assert r.status_code == 201, r.text
        assert r.json()["status"] == "not_accepted"


def test_cq9_unknown_reason_code_is_a_4xx_not_a_crash(api: Api) -> None:
    n = api.create(content="我已经向法院起诉了，想问判决什么时候下来")["number"]
    for code in ("information_disclosure", "secret"):  # the old spellings, now gone
        r = api.client.post(f"/api/v1/tickets/{n}/transitions", headers=api.headers("agent"),
                            json={"action": "not_accept", "reason_code": code, "reason": "x"})
        assert r.status_code == 422 and r.json()["title"] == "提交的内容不符合要求"


@pytest.mark.parametrize("text, code", CALLS[:2])
def test_cq9_console_shows_the_reason_in_chinese(api: Api, client: TestClient, text: str,
                                                 code: str) -> None:
    sign_in(client, "agent")
    page = client.get("/console/assist", params={"content": text, "caller_phone": ""})
    assert page.status_code == 200
    assert "不予受理" in page.text and NOT_ACCEPTED_LABELS[code] in page.text
    assert code not in page.text  # the code never reaches the agent's eyes
    # …and on the ticket page, the basis recorded at intake.
    n = api.create(content=text, decision={"action": "not_accept", "reason_code": code,
                                           "reason": "依规定不予受理"})["number"]
    ticket = client.get(f"/t/{n}")
    assert f"不予受理依据：{NOT_ACCEPTED_LABELS[code]}" in ticket.text
