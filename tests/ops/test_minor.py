"""Minor points of issue 18: unknown list filters are refused (422), not silently ignored."""

from __future__ import annotations

from pathlib import Path

from tests.hotline.conftest import Api


def test_unknown_list_filters_are_refused(api: Api) -> None:
    hdr = api.headers("supervisor")
    r = api.client.get("/api/v1/tickets", params={"channel": "110"}, headers=hdr)
    assert r.status_code == 422 and "channel" in r.json()["detail"], r.text
    assert api.client.get("/api/v1/tickets", params={"status": "registered", "page": 1},
                          headers=hdr).status_code == 200
    assert api.client.get("/api/v1/supervision/board", params={"nope": 1},
                          headers=hdr).status_code == 422
    assert api.client.get("/api/v1/integrations/links", params={"peer": "110"},
                          headers=hdr).status_code == 422
    assert api.client.get("/api/v1/integrations/links", params={"mismatched": "true"},
                          headers=hdr).status_code == 200


def test_field_names_per_message_kind() -> None:
    """110 calls `content` 报警内容 in its 警单 only: a 12345 工单 keeps its own names on the wire."""
    import json
    from datetime import UTC, datetime

    import integrations
    from integrations.peers import MessageMapping

    mapping = MessageMapping(by_kind={"police_order": {"content": "报警内容", "address": "案发地址"}},
                             fields={"alarm_number": "接警单号"})
    now = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    order = integrations.Envelope.new("police_order", sender="110", correlation_id="J1", sent_at=now,
                                      payload=integrations.PoliceOrder(
                                          alarm_number="J1", call_time=now, caller_phone="13812345678",
                                          address="东城区桂花苑", content="噪声扰民", category_code="010101",
                                          level=3, jurisdiction_code="110101000000"))
    transfer = integrations.Envelope.new("ticket_transfer", sender="12345", correlation_id="T1",
                                         sent_at=now, payload=integrations.TicketTransfer(
                                             ticket_number="T1", channel="phone", request_type="求助",
                                             category="治安", content="有人打架", caller_phone="13812345678",
                                             registered_at=now, transfer_reason="警情"))
    wire_order = json.loads(mapping.dump(order))["payload"]
    wire_transfer = json.loads(mapping.dump(transfer))["payload"]
    assert wire_order["报警内容"] == "噪声扰民" and "content" not in wire_order
    assert wire_order["接警单号"] == "J1"
    assert wire_transfer["content"] == "有人打架" and "报警内容" not in wire_transfer
    assert mapping.parse(mapping.dump(order)) == order
    assert mapping.parse(mapping.dump(transfer)) == transfer


def test_per_kind_mapping_refuses_unknown_fields() -> None:
    import pytest
    from pydantic import ValidationError

    from integrations.peers import MessageMapping

    with pytest.raises(ValidationError, match="not fields of a ticket_transfer"):
        MessageMapping(by_kind={"ticket_transfer": {"alarm_number": "接警单号"}})


def test_schemas_export_each_peers_wire_shape(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    peers = tmp_path / "peers.toml"
    peers.write_text('[peers.110]\nname = "110"\nbase_url = "http://x"\n'
                     '[peers.110.message_mapping.fields]\nalarm_number = "接警单号"\n'
                     '[peers.110.message_mapping.by_kind.police_order]\ncontent = "报警内容"\n', "utf-8")
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "integrations", "schemas", "--out", str(out),
                        "--peers", str(peers)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    order = json.loads((out / "110" / "police_order.v1.schema.json").read_text("utf-8"))
    transfer = json.loads((out / "110" / "ticket_transfer.v1.schema.json").read_text("utf-8"))
    assert "报警内容" in order["properties"] and "接警单号" in order["properties"]
    assert "content" in transfer["properties"] and "报警内容" not in transfer["properties"]
