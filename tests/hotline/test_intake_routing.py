"""Routing wired into the application: suggestions, dispatch by suggestion, the learning loop."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from hotline.cli import app
from hotline.core import settings
from hotline.intake import advice as intake
from hotline.intake.models import DispatchRecord
from sla import SHANGHAI
from tests.hotline.conftest import Api, City


@pytest.fixture(scope="session")
def demo_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from classifier.demo import ensure_default_model

    root = tmp_path_factory.mktemp("models")
    ensure_default_model(root)
    return root


@pytest.fixture
def with_model(demo_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("HOTLINE_MODEL_DIR", str(demo_model_dir))
    settings.get_settings.cache_clear()
    intake.reload()
    yield demo_model_dir
    settings.get_settings.cache_clear()
    intake.reload()


def suggest(client: TestClient, headers: Any, **body: Any) -> dict[str, Any]:
    r = client.post("/api/v1/intake/suggest", json=body, headers=headers("agent"))
    assert r.status_code == 200, r.text
    return r.json()


def test_suggest_by_territory_and_matter(with_model: Path, client: TestClient, headers: Any,
                                         city: City) -> None:
    s = suggest(client, headers, text="楼下烧烤店每天晚上吵到凌晨两点，油烟也很大",
                address="东城区桂花苑小区3栋", request_type="投诉")
    assert s["decision"] == "dispatch"
    assert s["categories"] and s["categories"][0]["label"].startswith("环境保护")
    assert s["lead"]["code"] in ("DC-DH", "DC-DH-GH")  # 属地: the street (or its community)
    assert "东华街道" in s["reason"]
    assert s["safety"]["kind"] == "none"


def test_emergency_and_not_accepted_come_first(with_model: Path, client: TestClient,
                                               headers: Any, city: City) -> None:
    fire = suggest(client, headers, text="我家楼下着火了，浓烟很大，有人被困在三楼！",
                   address="西城区锦绣华庭")
    assert fire["decision"] == "emergency" and fire["emergency_service"] == "119"
    assert fire["safety"]["triggers"]
    court = suggest(client, headers, text="我和物业的纠纷已经向法院起诉了，想让你们催法院快点判",
                    request_type="投诉")
    assert court["decision"] == "not_accepted"
    assert court["not_accepted_reason_code"] == "litigation"


def test_dispatch_without_unit_uses_suggestion_and_returns_count(
        with_model: Path, api: Api, city: City, client: TestClient, headers: Any,
        engine: Engine) -> None:
    t = api.create(content="月湖小区门口人行道上长期停满车辆，老人推车只能走机动车道",
                   address="南湖区月湖小区南门", request_type="投诉")
    d = api.act("agent", t["number"], "dispatch")
    lead = d["lead_unit"]
    assert lead is not None and lead["kind"] in ("street", "community")
    assert "南苑" in lead["name"] or "月湖" in lead["name"]
    events = [e for e in d["events"] if e["action"] == "dispatch"]
    assert events[0]["payload"]["by_suggestion"] is True
    # A second ticket dispatched by hand to another unit, which returns it: misrouted.
    t2 = api.create(content="西山农贸市场熟食没有标签，卫生很差", address="西城区西山街道",
                    request_type="举报")
    api.act("agent", t2["number"], "dispatch", lead_unit_id=city.unit("DC-DH"))
    api.act("donghua", t2["number"], "return", reason="不属本街道辖区")
    with Session(engine) as s:
        records = s.exec(select(DispatchRecord).order_by(DispatchRecord.id)).all()
        assert [r.used_suggestion for r in records] == [True, False]
        assert [r.returned for r in records] == [False, True]
        assert records[0].chosen_lead_id == records[0].suggested_lead_id
    start = (datetime.now(SHANGHAI) - timedelta(days=1)).isoformat()
    end = (datetime.now(SHANGHAI) + timedelta(days=1)).isoformat()
    r = client.get("/api/v1/routing/report", params={"start": start, "end": end},
                   headers=headers("supervisor")).json()
    assert r["dispatches"] == 2 and r["returned"] == 1
    assert r["top1"] >= 1 and r["top1_rate"] is not None
    assert r["per_unit"]["东华街道办事处"] == {"dispatched": 1, "returned": 1}
    out = CliRunner().invoke(app, ["routing", "report", "--from",
                                   (datetime.now(SHANGHAI) - timedelta(days=1)).date().isoformat()])
    assert out.exit_code == 0, out.output
    assert "top-1" in out.output and "东华街道办事处" in out.output


def test_catalogue_is_admin_editable(client: TestClient, headers: Any, city: City) -> None:
    current = client.get("/api/v1/routing/catalogue", headers=headers("agent"))
    assert current.status_code == 200 and "category" in current.text.splitlines()[0]
    bad = client.put("/api/v1/routing/catalogue",
                     content="category,level,target\n环境保护,street,unit:NOPE\n",
                     headers={**headers("admin"), "content-type": "text/csv"})
    assert bad.status_code == 422 and "NOPE" in bad.json()["detail"]
    path_like = client.put("/api/v1/routing/catalogue", content="/etc/passwd",
                           headers={**headers("admin"), "content-type": "text/csv"})
    assert path_like.status_code == 422  # never read as a file path
    lines = current.text.splitlines()
    edited = "\n".join([*lines, "城市管理/占道经营,,street,unit:CGJ,,,测试改派"]) + "\n"
    ok = client.put("/api/v1/routing/catalogue", content=edited,
                    headers={**headers("admin"), "content-type": "text/csv"})
    assert ok.status_code == 200, ok.text
    assert client.get("/api/v1/routing/catalogue", headers=headers("agent")).text == edited
    assert client.put("/api/v1/routing/catalogue", content=edited,
                      headers={**headers("supervisor"), "content-type": "text/csv"}).status_code == 403


def test_retrain_from_confirmed_dispatches(with_model: Path, api: Api, city: City,
                                           tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = {
        "环境保护/噪声污染": "工地夜间施工噪声太大扰民，晚上睡不着觉",
        "城市管理/占道经营": "流动摊贩占道经营堵住人行道，垃圾乱扔",
    }
    for category, text in texts.items():
        for i in range(5):
            n = api.create(content=f"{text}（第{i + 1}次反映）", category=category)["number"]
            api.act("agent", n, "dispatch", lead_unit_id=city.unit("DC-DH"))
            api.act("donghua", n, "sign")
            api.act("donghua", n, "reply", content="已处理")
    monkeypatch.setenv("HOTLINE_MODEL_DIR", str(tmp_path / "registry"))
    settings.get_settings.cache_clear()
    out = CliRunner().invoke(app, ["classifier", "retrain"])
    assert out.exit_code == 0, out.output
    assert "10 条样本" in out.output and "2 个类别" in out.output
    assert len(list((tmp_path / "registry").iterdir())) == 1
    few = CliRunner().invoke(app, ["classifier", "retrain", "--min-examples", "50"])
    assert few.exit_code == 2 and "不足" in few.output
