"""CQ §14: return visits — how each was made, which count for satisfaction, and closing without
one only after recorded failed attempts. Over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from tests.hotline.conftest import Api, City


def _replied(api: Api, city: City, **fields: Any) -> str:
    number = api.create(**fields)["number"]
    api.act("agent", number, "dispatch", lead_unit_id=city.unit("DC-DH"))
    api.act("donghua", number, "sign")
    api.act("donghua", number, "reply", content="已处理完毕")
    return number


def test_cq14_visit_method_recorded_and_satisfaction_follows_the_category(
        api: Api, city: City) -> None:
    mediation = _replied(api, city, category="矛盾纠纷/邻里纠纷行政调解")
    ordinary = _replied(api, city, category="城乡建设/物业管理")
    # The visitor cannot decide whether a visit counts: that checkbox is gone.
    api.act("agent", ordinary, "visit", expect=422, rating="satisfied",
            counts_for_satisfaction=False)
    api.act("agent", ordinary, "visit", expect=422, rating="satisfied", method="carrier_pigeon")
    d = api.act("agent", mediation, "visit", rating="dissatisfied", method="web")
    visit = d["visits"][-1]
    assert visit["method"] == "web" and visit["counts_for_satisfaction"] is False
    assert d["events"][-1]["payload"]["excluded_by_category"] == "调解"
    o = api.act("agent", ordinary, "visit", rating="satisfied")
    assert o["visits"][-1]["method"] == "phone"  # the default, recorded
    assert o["visits"][-1]["counts_for_satisfaction"] is True


def test_cq14_close_without_visit_needs_recorded_failed_attempts(api: Api, city: City) -> None:
    number = _replied(api, city)
    refused = api.act("supervisor", number, "close_without_visit", expect=409,
                      reason="三次回访未接通")
    assert "回访未果" in refused["detail"]
    seqs = []
    for outcome in ("no_answer", "busy", "no_answer"):
        d = api.act("agent", number, "visit_attempt", method="phone", outcome=outcome)
        assert d["status"] == "replied" and d["events"][-1]["payload"]["outcome"] == outcome
        seqs.append(d["events"][-1]["seq"])
    closed = api.act("supervisor", number, "close_without_visit", reason="三次回访未接通")
    assert closed["status"] == "closed"
    assert closed["events"][-1]["payload"]["visit_attempt_seqs"] == seqs
