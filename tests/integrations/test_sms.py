"""The SMS contract's pure parts: which numbers take an SMS, quiet hours, templates, answers."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from integrations import sms

SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(("phone", "kind"), [
    ("13812345678", "mobile"), ("+86 138 1234 5678", "mobile"), ("8613812345678", "mobile"),
    ("023-63001234", "landline"), ("02363001234", "landline"), ("023-63001234-801", "landline"),
    ("12345", "withheld"), ("95598", "withheld"), ("", "withheld"), ("anonymous", "withheld"),
    ("00000000000", "withheld"),
])
def test_numbers_are_classified(phone: str, kind: str) -> None:
    assert sms.classify_number(phone) == kind


def test_quiet_hours_wrap_midnight() -> None:
    start, end = time(21), time(8)
    assert sms.quiet_until(datetime(2026, 12, 3, 20, 59, tzinfo=SH), start, end) is None
    assert sms.quiet_until(datetime(2026, 12, 3, 21, 0, tzinfo=SH), start, end) == \
        datetime(2026, 12, 4, 8, 0, tzinfo=SH)
    assert sms.quiet_until(datetime(2026, 12, 4, 2, 30, tzinfo=SH), start, end) == \
        datetime(2026, 12, 4, 8, 0, tzinfo=SH)
    assert sms.quiet_until(datetime(2026, 12, 4, 8, 0, tzinfo=SH), start, end) is None
    assert sms.quiet_until(datetime(2026, 12, 4, 13, 0, tzinfo=SH), time(12), time(14)) == \
        datetime(2026, 12, 4, 14, 0, tzinfo=SH)
    assert sms.quiet_until(datetime(2026, 12, 4, 3, 0, tzinfo=SH), time(0), time(0)) is None
    with pytest.raises(ValueError):
        sms.parse_clock("25:00")


def test_templates_render_in_chinese_with_the_signature() -> None:
    text = sms.render("HOTLINE_REGISTERED", {"number": "20261203-000001", "lookup": "12345网站"}, "重庆12345")
    assert text.startswith("【重庆12345】") and "20261203-000001" in text
    with pytest.raises(KeyError):
        sms.render("HOTLINE_EXTENDED", {"number": "x"}, "重庆12345")
    assert sms.template_params("HOTLINE_MERGED") == {"number", "target"}
    assert len(sms.clip("很" * 100)) == sms.PARAM_MAX


def _answer(status: int, body: object, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(), headers=headers)


def test_answers_become_one_decision() -> None:
    ok = sms.classify_answer(_answer(200, {"code": "OK", "biz_id": "B1"}))
    assert ok.status is sms.SmsStatus.accepted and ok.biz_id == "B1"
    assert sms.classify_answer(_answer(503, {}, **{"Retry-After": "3"})).retry_after == timedelta(seconds=3)
    assert sms.classify_answer(_answer(200, {"code": "isv.BUSINESS_LIMIT_CONTROL"})).status == "retryable"
    refused = sms.classify_answer(_answer(200, {"code": "isv.MOBILE_NUMBER_ILLEGAL", "message": "号码不对"}))
    assert refused.status is sms.SmsStatus.rejected and "号码不对" in (refused.error or "")
    assert sms.classify_answer(_answer(401, {"title": "签名校验失败"})).status == "rejected"
