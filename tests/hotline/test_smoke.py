from __future__ import annotations

from tests.hotline.conftest import Api, City


def test_register_and_dispatch(api: Api, city: City) -> None:
    t = api.create()
    assert t["status"] == "registered"
    d = api.act("agent", t["number"], "dispatch", lead_unit_id=city.unit("DC-DH"))
    assert d["status"] == "dispatched"
    assert {c["name"] for c in d["clocks"]} == {"transfer", "close"}
