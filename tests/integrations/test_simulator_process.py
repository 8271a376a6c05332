"""The simulated 110 as a real process, spoken to over HTTP with the real client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from integrations import (
    Envelope,
    LinkState,
    LinkStatus,
    MessageKind,
    PeerConfig,
    SendStatus,
    apply_feedback,
    send,
    verify,
)
from tests.integrations.conftest import (
    SIM_SECRET,
    Receiver,
    Sim,
    free_port,
    transfer_envelope,
    wait_until,
)

POLICE = "有人在小区门口打架斗殴，已有人受伤"
NOT_POLICE = "小区门口的路灯坏了好几天，晚上很黑"


def _callbacks(receiver: Receiver, sim: Sim, count: int) -> list[Envelope]:
    """Wait for ``count`` callbacks; check each one's signature; parse them in arrival order."""
    got = wait_until(lambda: (r := receiver.snapshot()) and len(r) >= count and r, timeout=10)
    envelopes = []
    for request in got:
        assert request.path == "/hooks/peer"
        verified = verify(sim.peer.verifying_secret(), request.headers, request.body, datetime.now(UTC))
        envelope = sim.peer.decode(request.body)
        assert verified.peer == "110" == envelope.sender
        assert verified.idempotency_key == str(envelope.message_id)
        envelopes.append(envelope)
    return envelopes


def _fold(envelopes: list[Envelope]) -> LinkState:
    state = LinkState()
    for envelope in envelopes:
        state = apply_feedback(state, envelope)
    return state


def test_signed_delivery_is_acknowledged_with_the_simulators_id(sim: Sim) -> None:
    envelope = transfer_envelope(POLICE)
    result = send(sim.peer, envelope, client=sim.http)
    assert result.status is SendStatus.delivered, result
    assert result.http_status == 202
    assert result.peer_id and result.peer_id.startswith("J310115")
    assert result.ack is not None and result.ack.message_id == envelope.message_id
    alarms = sim.get("/alarms")
    assert [a["alarm_number"] for a in alarms] == [result.peer_id]
    assert alarms[0]["correlation_id"] == "20250616-000042" and alarms[0]["police_matter"] is True


def test_duplicate_delivery_is_acknowledged_once_with_the_same_ack(sim: Sim) -> None:
    envelope = transfer_envelope(POLICE)
    first = send(sim.peer, envelope, client=sim.http)
    again = send(sim.peer, envelope, client=sim.http)
    assert first.status is SendStatus.delivered
    assert again.status is SendStatus.duplicate and again.http_status == 200
    assert again.ack == first.ack  # same id, same received_at
    assert len(sim.get("/alarms")) == 1
    stats = sim.get("/control/stats")
    assert stats["received"] == 1 and stats["duplicates"] == 1


def test_bad_and_stale_signatures_get_401(sim: Sim) -> None:
    wrong = sim.peer.evolve(secret="not-the-secret")
    assert (r := send(wrong, transfer_envelope(POLICE), client=sim.http)).status is SendStatus.rejected
    assert r.http_status == 401 and "BadSignatureError" in (r.error or "")
    stale = send(sim.peer, transfer_envelope(POLICE), client=sim.http,
                 now=datetime.now(UTC) - timedelta(minutes=6))
    assert stale.status is SendStatus.rejected and stale.http_status == 401
    assert "StaleTimestampError" in (stale.error or "")
    future = send(sim.peer, transfer_envelope(POLICE), client=sim.http,
                  now=datetime.now(UTC) + timedelta(minutes=6))
    assert future.http_status == 401 and "FutureTimestampError" in (future.error or "")
    unsigned = sim.http.post(sim.url + "/api/v1/inbound", content=b"{}")
    assert unsigned.status_code == 401
    assert sim.get("/alarms") == []
    assert sim.get("/control/stats")["rejected_signature"] == 4


def test_invalid_message_is_rejected_with_its_errors(sim: Sim) -> None:
    from integrations import sign

    body = b'{"kind":"ticket_transfer","sender":"12345"}'
    headers = sign(sim.peer.signing_secret(), body, datetime.now(UTC), peer="12345", idempotency_key="x")
    response = sim.http.post(sim.url + "/api/v1/inbound", content=body, headers=headers)
    assert response.status_code == 422
    assert any(e.startswith("message_id:") for e in response.json()["errors"])


def test_down_slow_and_http500_modes_give_the_right_send_results(sim: Sim) -> None:
    envelope = transfer_envelope(NOT_POLICE)

    sim.control("/control/mode", {"down": True})
    down = send(sim.peer, envelope, client=sim.http)
    assert down.status is SendStatus.retryable and down.http_status == 503
    assert down.retry_after == timedelta(seconds=1)

    sim.control("/control/mode", {"http500": True})
    failed = send(sim.peer, envelope, client=sim.http)
    assert failed.status is SendStatus.retryable and failed.http_status == 500

    sim.control("/control/mode", {"slow_ms": 800})
    impatient = sim.peer.evolve(timeout_s=0.2)
    slow = send(impatient, envelope, client=sim.http)
    assert slow.status is SendStatus.retryable and slow.http_status is None
    assert "timeout" in (slow.error or "")
    # The slow answer was lost but the delivery went through: the retry is a duplicate with the
    # same 接警单号 — which is why every send carries an Idempotency-Key.
    wait_until(lambda: sim.get("/control/stats")["received"] == 1, timeout=5)
    sim.control("/control/mode", {})
    retry = send(sim.peer, envelope, client=sim.http)
    assert retry.status is SendStatus.duplicate and retry.peer_id == sim.get("/alarms")[0]["alarm_number"]


def test_connection_refused_is_retryable() -> None:
    peer = PeerConfig(code="110", name="nobody", base_url=f"http://127.0.0.1:{free_port()}",
                      secret="s", connect_timeout_s=0.5, timeout_s=0.5)
    with httpx.Client() as client:
        result = send(peer, transfer_envelope(POLICE), client=client)
    assert result.status is SendStatus.retryable and result.http_status is None
    assert "network" in (result.error or "")


def test_police_matter_gets_the_whole_signed_timeline(sim: Sim, receiver: Receiver) -> None:
    result = send(sim.peer, transfer_envelope(POLICE), client=sim.http)
    envelopes = _callbacks(receiver, sim, 5)
    assert [e.kind for e in envelopes] == [
        MessageKind.accepted, MessageKind.dispatched, MessageKind.on_site, MessageKind.result,
        MessageKind.closed,
    ]
    assert [e.payload.seq for e in envelopes] == [1, 2, 3, 4, 5]  # type: ignore[union-attr]
    assert all(e.payload.ref == "20250616-000042" for e in envelopes)  # type: ignore[union-attr]
    assert all(e.correlation_id == result.peer_id for e in envelopes)
    state = _fold(envelopes)
    assert state.status is LinkStatus.closed and state.peer_id == result.peer_id and state.missing == []


def test_non_police_matter_is_rejected_as_not_ours(sim: Sim, receiver: Receiver) -> None:
    send(sim.peer, transfer_envelope(NOT_POLICE), client=sim.http)
    (envelope,) = _callbacks(receiver, sim, 1)
    assert envelope.kind is MessageKind.rejected
    assert "非警务" in envelope.payload.reason  # type: ignore[union-attr]
    assert _fold([envelope]).status is LinkStatus.rejected


def test_out_of_order_callbacks_converge(sim: Sim, receiver: Receiver) -> None:
    sim.control("/control/mode", {"out_of_order": True})
    send(sim.peer, transfer_envelope(POLICE), client=sim.http)
    envelopes = _callbacks(receiver, sim, 5)
    seqs = [e.payload.seq for e in envelopes]  # type: ignore[union-attr]
    assert sorted(seqs) == [1, 2, 3, 4, 5] and seqs != [1, 2, 3, 4, 5]
    assert _fold(envelopes).status is LinkStatus.closed


def test_duplicate_callbacks_converge(sim: Sim, receiver: Receiver) -> None:
    sim.control("/control/mode", {"duplicate_deliveries": True, "out_of_order": True})
    send(sim.peer, transfer_envelope(POLICE), client=sim.http)
    envelopes = _callbacks(receiver, sim, 10)
    assert len({e.message_id for e in envelopes}) == 5  # each callback twice, same message id
    state = _fold(envelopes)
    assert state.status is LinkStatus.closed and state.seen == frozenset(range(1, 6))
    assert wait_until(lambda: sim.get("/control/stats")["callbacks_sent"] == 10)


def test_push_of_a_non_police_matter_arrives_signed(sim: Sim, receiver: Receiver) -> None:
    response = sim.http.post(sim.url + "/control/push",
                             json={"text": "咨询一下新生儿医保怎么办理", "address": "静安区"})
    assert response.status_code == 200, response.text
    pushed = response.json()
    assert pushed["status"] == "delivered" and pushed["peer_id"] == "20250616-000777"
    (envelope,) = _callbacks(receiver, sim, 1)
    assert envelope.kind is MessageKind.ticket_transfer
    assert envelope.correlation_id == pushed["alarm_number"]
    payload = envelope.payload
    assert payload.request_type == "咨询" and payload.content == "咨询一下新生儿医保怎么办理"  # type: ignore[union-attr]
    assert sim.get("/pushes")["pushes"][0]["message_id"] == str(envelope.message_id)


def test_push_as_police_order(sim: Sim, receiver: Receiver) -> None:
    response = sim.http.post(sim.url + "/control/push",
                             json={"text": "投诉楼下饭店油烟", "kind": "police_order"})
    assert response.status_code == 200, response.text
    (envelope,) = _callbacks(receiver, sim, 1)
    assert envelope.kind is MessageKind.police_order
    assert envelope.payload.alarm_number == response.json()["alarm_number"]  # type: ignore[union-attr]
    assert verify(SIM_SECRET, receiver.snapshot()[0].headers, receiver.snapshot()[0].body, datetime.now(UTC))
