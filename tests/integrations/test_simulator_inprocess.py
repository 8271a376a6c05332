"""Simulator behaviour that needs no second process: 110's wire names, feedback on pushes,
the control endpoints' validation. ``TestClient`` is an ``httpx.Client``, so the real ``send``
is used here too."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from integrations import Envelope, MessageKind, MessageMapping, PeerConfig, SendStatus, send
from integrations.simulator import SimulatorSettings, create_app
from tests.integrations.conftest import transfer_envelope

pytestmark = pytest.mark.filterwarnings("ignore:You should not use the 'timeout' argument")

MAPPING = MessageMapping(
    kinds={"ticket_transfer": "GD"}, fields={"ticket_number": "工单编号", "peer_id": "接警单号"}
)


@pytest.fixture
def client() -> Iterator[TestClient]:
    settings = SimulatorSettings(secret="sim", peer_secret="hot", mapping=MAPPING, step_delay_ms=0)
    with TestClient(create_app(settings), base_url="http://sim110") as c:
        yield c


def _peer(mapping: MessageMapping = MAPPING) -> PeerConfig:
    return PeerConfig(code="110", name="110", base_url="http://sim110", secret="hot", inbound_secret="sim",
                      message_mapping=mapping)


def test_peer_wire_names_are_understood_both_ways(client: TestClient) -> None:
    result = send(_peer(), transfer_envelope(), client=client)
    assert result.status is SendStatus.delivered and result.peer_id  # ack decoded from 接警单号
    assert client.get("/alarms").json()[0]["correlation_id"] == "20250616-000042"


def test_our_plain_names_are_refused_by_a_peer_that_expects_its_own(client: TestClient) -> None:
    result = send(_peer(MessageMapping()), transfer_envelope(), client=client)
    assert result.status is SendStatus.rejected and result.http_status == 422


def test_wrong_sender_is_refused(client: TestClient) -> None:
    envelope = Envelope.new("ticket_transfer", sender="119", correlation_id="T1",
                            payload=transfer_envelope().payload)
    assert send(_peer(), envelope, client=client).http_status == 403


def test_feedback_about_a_push_is_recorded_and_deduplicated(client: TestClient) -> None:
    feedback = Envelope.new(MessageKind.accepted, sender="12345", correlation_id="20250616-000001",
                            payload={"ref": "J31011520250616000001", "seq": 1,
                                     "occurred_at": "2025-06-16T01:31:00Z", "peer_id": "20250616-000001"})
    first = send(_peer(), feedback, client=client)
    again = send(_peer(), feedback, client=client)
    assert first.status is SendStatus.delivered and again.status is SendStatus.duplicate
    # each entry also carries the schema version and every field as received (issue 18)
    assert [{k: f[k] for k in ("kind", "ref", "seq", "correlation_id")}
            for f in client.get("/pushes").json()["feedback"]] == [
        {"kind": "accepted", "ref": "J31011520250616000001", "seq": 1, "correlation_id": "20250616-000001"}
    ]
    assert client.get("/alarms").json() == []


def test_control_endpoints_validate(client: TestClient) -> None:
    assert client.post("/control/mode", json={"slow_ms": -1}).status_code == 422
    assert client.post("/control/mode", json={"explode": True}).status_code == 422
    assert client.post("/control/mode", json={"down": True}).json()["down"] is True
    assert client.get("/control/mode").json()["down"] is True
    assert client.post("/control/push", json={"text": "x"}).status_code == 409  # no push URL
    stats = client.get("/control/stats").json()
    assert stats["mode"]["down"] is True and stats["alarms"] == 0
