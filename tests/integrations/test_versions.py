"""Message schema versions (issue 18, "complete 110 records"): version 2 adds optional fields and
four kinds; a receiver accepts 1 and 2, a peer is sent exactly what its declared version knows,
an unknown version is refused, and 110's own field names hold in the kind they belong to."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from integrations import (
    EXAMPLE_PEERS_PATH,
    FIELD_LABELS,
    KIND_SINCE,
    PAYLOAD_MODELS,
    Envelope,
    LinkState,
    LinkStatus,
    MessageError,
    MessageKind,
    PeerConfig,
    PeerConfigError,
    SendStatus,
    VersionError,
    apply_feedback,
    json_schemas,
    load_peers,
    load_peers_from_env,
    merge_status,
    parse_envelope,
    send,
)
from integrations.messages import field_since
from integrations.simulator import SimulatorSettings, create_app
from tests.integrations.conftest import REPO, T0, police_order, ticket_transfer

pytestmark = pytest.mark.filterwarnings("ignore:You should not use the 'timeout' argument")

#: Every v2 field of the transfers, filled.
V2_TRANSFER = {"received_by": "话务员 张敏", "incident_time": T0 - timedelta(minutes=20)}
V2_TICKET = {**V2_TRANSFER, "district_code": "310115", "street_code": "310115004",
             "category_code": "A01.02", "deadline": T0 + timedelta(days=5)}
V2_WHO = {"officer": "王建国", "officer_code": "031528", "unit_code": "310115550000",
          "case_number": "A31011520250616000123"}
FEEDBACK_BASE = {"ref": "20250616-000042", "seq": 1, "occurred_at": T0}
FOLLOW_UP_BASE = {"peer_ref": "J31011520250616000123", "seq": 1, "occurred_at": T0}

#: One full payload per kind, every optional v2 field given.
FULL: dict[MessageKind, Any] = {
    MessageKind.police_order: police_order(**V2_TRANSFER, request_type="投诉"),
    MessageKind.ticket_transfer: ticket_transfer(**V2_TICKET),
    MessageKind.accepted: {**FEEDBACK_BASE, "peer_id": "J1", **V2_WHO},
    MessageKind.dispatched: {**FEEDBACK_BASE, "unit": "陆家嘴派出所", **V2_WHO},
    MessageKind.on_site: {**FEEDBACK_BASE, "unit": "陆家嘴派出所", **V2_WHO},
    MessageKind.result: {**FEEDBACK_BASE, "result": "已调解", "result_category": "调解", **V2_WHO},
    MessageKind.closed: {**FEEDBACK_BASE, "result_category": "调解", "closure_code": "10", **V2_WHO},
    MessageKind.rejected: {**FEEDBACK_BASE, "reason": "非警务事项", **V2_WHO},
    MessageKind.visit_result: {**FEEDBACK_BASE, "satisfaction": "basically_satisfied", "solved": True,
                               "comment": "处理及时", **V2_WHO},
    MessageKind.urge: {**FOLLOW_UP_BASE, "urge_level": "督办", "reason": "已超期未反馈",
                       "due_at": T0 + timedelta(hours=2)},
    MessageKind.cancel: {**FOLLOW_UP_BASE, "reason": "来电人已自行解决，撤回"},
    MessageKind.supplement: {**FOLLOW_UP_BASE, "content": "又有居民来电反映同一情况",
                             "address": "浦东新区世纪大道100号", "caller_phone": "13900000001"},
}


def _envelope(kind: MessageKind, version: int = 2) -> Envelope:
    return Envelope.new(kind, sender="12345", correlation_id="20250616-000042", payload=FULL[kind],
                        sent_at=T0, schema_version=version)


def _v2_fields(kind: MessageKind) -> set[str]:
    model = PAYLOAD_MODELS[kind]
    return {n for n in model.model_fields if field_since(model, n) == 2}


def test_the_fixture_covers_every_kind_and_every_v2_field() -> None:
    assert set(FULL) == set(MessageKind)
    for kind in MessageKind:
        doc = _envelope(kind).model_dump(mode="json")["payload"]
        assert {k for k in _v2_fields(kind) if doc.get(k) is None} == set(), kind


@pytest.mark.parametrize("kind", list(MessageKind))
def test_every_kind_round_trips_at_version_2_with_every_field(kind: MessageKind) -> None:
    envelope = _envelope(kind)
    again = parse_envelope(envelope.model_dump_json())
    assert again == envelope and again.schema_version == 2
    peer = PeerConfig(code="110", name="110", base_url="http://x", secret="s", schema_version=2)
    assert peer.decode(peer.encode(envelope)) == envelope


@pytest.mark.parametrize("kind", [k for k in MessageKind if KIND_SINCE[k] == 1])
def test_a_v1_peer_never_receives_a_v2_field(kind: MessageKind) -> None:
    peer = PeerConfig(code="110", name="110", base_url="http://x", secret="s")  # version 1: default
    wire = json.loads(peer.encode(_envelope(kind)))
    assert wire["schema_version"] == 1
    assert not set(wire["payload"]) & _v2_fields(kind), "not even as null"
    # what a v1 receiver (our published v1 schema) makes of it: valid
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    assert jsonschema_rs.validator_for(json_schemas(1)["envelope"]).is_valid(wire)
    assert parse_envelope(wire).schema_version == 1


@pytest.mark.parametrize("kind", [k for k in MessageKind if KIND_SINCE[k] == 2])
def test_a_v2_kind_is_never_sent_to_a_v1_peer(kind: MessageKind) -> None:
    peer = PeerConfig(code="110", name="110", base_url="http://x", secret="s")
    assert not peer.speaks(kind)
    with pytest.raises(VersionError, match="needs schema_version 2"):
        peer.encode(_envelope(kind))
    calls: list[httpx.Request] = []
    client = httpx.Client(transport=httpx.MockTransport(lambda r: calls.append(r) or httpx.Response(202)))
    result = send(peer, _envelope(kind), client=client)
    assert result.status is SendStatus.rejected and "not sent" in (result.error or "")
    assert calls == []  # nothing went over the wire


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"schema_version": 3}, "schema_version: Input should be 1 or 2"),
        ({"schema_version": 0}, "schema_version: Input should be 1 or 2"),
        ({"schema_version": "2"}, "schema_version: Input should be 1 or 2"),
    ],
)
def test_an_unknown_version_is_refused(change: dict[str, Any], expected: str) -> None:
    doc = {**_envelope(MessageKind.accepted).model_dump(mode="json"), **change}
    with pytest.raises(MessageError) as err:
        parse_envelope(json.dumps(doc))
    assert any(expected in line for line in err.value.errors), err.value.errors


def test_a_v1_envelope_with_v2_content_breaks_its_own_contract() -> None:
    v1 = _envelope(MessageKind.result).document(1)
    assert parse_envelope(v1).schema_version == 1
    with pytest.raises(MessageError, match=r"officer.*need a newer schema_version"):
        parse_envelope({**v1, "payload": {**v1["payload"], "officer": "王建国"}})
    urge = _envelope(MessageKind.urge).model_dump(mode="json")
    with pytest.raises(MessageError, match="kind 'urge' needs schema_version 2"):
        parse_envelope({**urge, "schema_version": 1})
    # a v1 envelope built from a model whose v2 fields are merely None is fine
    assert Envelope.new("ticket_transfer", sender="12345", correlation_id="T1", schema_version=1,
                        payload=ticket_transfer(received_by=None)).schema_version == 1


def test_a_receiver_accepts_version_1_and_2_and_acks_in_kind() -> None:
    settings = SimulatorSettings(secret="sim", peer_secret="hot", step_delay_ms=0)
    with TestClient(create_app(settings), base_url="http://sim110") as client:
        for version in (1, 2):
            peer = PeerConfig(code="110", name="110", base_url="http://sim110", secret="hot",
                              inbound_secret="sim", schema_version=version)
            envelope = Envelope.new("ticket_transfer", sender="12345", correlation_id=f"T{version}",
                                    payload=ticket_transfer(**V2_TICKET, ticket_number=f"T{version}"))
            result = send(peer, envelope, client=client)
            assert result.status is SendStatus.delivered and result.ack is not None
            assert result.ack.schema_version == version
        alarms = client.get("/alarms").json()
        assert [a["schema_version"] for a in alarms] == [1, 2]
        assert "received_by" not in alarms[0]["record"] and alarms[1]["record"]["district_code"] == "310115"


def test_follow_ups_reach_the_matter_and_a_cancel_stops_its_callbacks() -> None:
    settings = SimulatorSettings(secret="sim", peer_secret="hot", step_delay_ms=0, schema_version=2)
    peer = PeerConfig(code="110", name="110", base_url="http://sim110", secret="hot",
                      inbound_secret="sim", schema_version=2)
    with TestClient(create_app(settings), base_url="http://sim110") as client:
        transfer = Envelope.new("ticket_transfer", sender="12345", correlation_id="20250616-000042",
                                payload=ticket_transfer())
        assert send(peer, transfer, client=client).status is SendStatus.delivered
        for kind in (MessageKind.supplement, MessageKind.urge, MessageKind.cancel):
            assert send(peer, _envelope(kind), client=client).status is SendStatus.delivered
        (alarm,) = client.get("/alarms").json()
        assert [f["kind"] for f in alarm["follow_ups"]] == ["supplement", "urge", "cancel"]
        assert alarm["follow_ups"][1]["record"]["urge_level"] == "督办" and alarm["cancelled"]
        # a follow-up about a matter the peer never had is refused
        stray = Envelope.new("urge", sender="12345", correlation_id="20250616-999999",
                             payload=FULL[MessageKind.urge])
        assert send(peer, stray, client=client).http_status == 422


def test_visit_results_number_in_sequence_but_move_no_status() -> None:
    state = LinkState(status=LinkStatus.result, seen=frozenset({1, 2}))
    visit = Envelope.new("visit_result", sender="12345", correlation_id="C1",
                         payload={**FULL[MessageKind.visit_result], "seq": 3})
    after = apply_feedback(state, visit)
    assert after.status is LinkStatus.result and after.seen == {1, 2, 3} and after.milestones == {}


def test_a_withdrawn_matter_stays_withdrawn_whatever_feedback_comes_late() -> None:
    for status in LinkStatus:
        assert merge_status(LinkStatus.cancelled, status) is LinkStatus.cancelled


def test_example_110_names_hold_in_a_police_order_only() -> None:
    """Issue 18: "an outbound 12345 工单 goes out with 报警内容 mixed in among English keys"."""
    p110 = load_peers(EXAMPLE_PEERS_PATH)["110"].evolve(schema_version=2)
    transfer = json.loads(p110.encode(_envelope(MessageKind.ticket_transfer)))["payload"]
    assert "content" in transfer and "报警内容" not in transfer
    assert "category_code" in transfer and "警情类别代码" not in transfer  # the shared 工单 code
    order_env = Envelope.new("police_order", sender="110", correlation_id="J1",
                             payload=FULL[MessageKind.police_order])
    order = json.loads(p110.encode(order_env))["payload"]
    assert order["报警内容"] and order["接警单号"] and "content" not in order
    assert order["纬度"] == 31.2304  # general names still hold in every kind
    assert p110.decode(p110.encode(order_env)) == order_env
    closed = json.loads(p110.encode(_envelope(MessageKind.closed)))["payload"]
    assert closed["closure_code"] == "10" and closed["case_number"].startswith("A")


def test_schema_version_per_peer_from_file_and_environment(tmp_path: Path) -> None:
    env = {"HOTLINE_PEERS_FILE": str(EXAMPLE_PEERS_PATH), "HOTLINE_PEER__110__SCHEMA_VERSION": "2"}
    peers = load_peers_from_env(env)
    assert peers["110"].schema_version == 2 and peers["119"].schema_version == 1
    with pytest.raises(PeerConfigError, match=r"peer '110'.*schema_version"):
        load_peers_from_env({**env, "HOTLINE_PEER__110__SCHEMA_VERSION": "3"})


def test_schemas_per_version_mark_what_came_when() -> None:
    v1, v2 = json_schemas(1), json_schemas(2)
    assert set(v2) - set(v1) == {"visit_result", "urge", "cancel", "supplement"}
    assert "received_by" not in v1["ticket_transfer"]["properties"]
    assert v2["ticket_transfer"]["properties"]["deadline"]["x-since-version"] == 2
    assert v2["police_order"]["properties"]["request_type"]["x-since-version"] == 2
    assert v1["envelope"]["properties"]["schema_version"]["const"] == 1
    assert "urge" not in v1["envelope"]["$defs"]["MessageKind"]["enum"]
    assert "received_by" not in json.dumps(v1["envelope"]["$defs"]["TicketTransfer"])
    with pytest.raises(ValueError, match="schema version 3"):
        json_schemas(3)


@pytest.fixture
def peers_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "peers.toml"
    path.write_text(
        '[peers.110]\nname = "110"\nbase_url = "http://x"\nschema_version = 2\n'
        '[peers.110.message_mapping.by_kind.police_order]\ncontent = "报警内容"\n'
        '[peers.119]\nname = "119"\nbase_url = "http://y"\n', "utf-8")
    yield path


def test_schemas_cli_writes_each_peer_at_its_version(tmp_path: Path, peers_file: Path) -> None:
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "integrations", "schemas", "--out", str(out),
                        "--peers", str(peers_file)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert (out / "110" / "urge.v2.schema.json").exists()
    assert not (out / "119" / "urge.v1.schema.json").exists()
    transfer = json.loads((out / "110" / "ticket_transfer.v2.schema.json").read_text("utf-8"))
    assert "deadline" in transfer["properties"] and "报警内容" not in transfer["properties"]
    order = json.loads((out / "110" / "police_order.v2.schema.json").read_text("utf-8"))
    assert "报警内容" in order["properties"] and "request_type" in order["properties"]
    old = json.loads((out / "119" / "police_order.v1.schema.json").read_text("utf-8"))
    assert "request_type" not in old["properties"]


def test_schemas_cli_refuses_an_unknown_peer_version(tmp_path: Path) -> None:
    path = tmp_path / "peers.toml"
    path.write_text('[peers.110]\nname = "110"\nbase_url = "http://x"\nschema_version = 9\n', "utf-8")
    r = subprocess.run([sys.executable, "-m", "integrations", "schemas", "--out", str(tmp_path / "o"),
                        "--peers", str(path)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "schema_version 9" in r.stderr


def test_every_payload_field_has_a_chinese_label() -> None:
    fields = {n for model in PAYLOAD_MODELS.values() for n in model.model_fields}
    assert fields <= set(FIELD_LABELS)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in label) for label in FIELD_LABELS.values())


def test_old_outbox_rows_written_at_version_1_still_go_out() -> None:
    """A row stored before the upgrade holds a v1 envelope: a v2 peer gets it as v1."""
    stored = Envelope.new("accepted", sender="12345", correlation_id="C1", schema_version=1,
                          payload={**FEEDBACK_BASE, "peer_id": "J1"}).model_dump_json()
    peer = PeerConfig(code="110", name="110", base_url="http://x", secret="s", schema_version=2)
    wire = json.loads(peer.encode(Envelope.model_validate_json(stored)))
    assert wire["schema_version"] == 1 and uuid.UUID(wire["message_id"])
