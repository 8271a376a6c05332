"""Wire messages: strict validation with readable errors, and their JSON Schemas."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import datetime

import pytest

from integrations import (
    PAYLOAD_MODELS,
    SCHEMA_VERSION,
    Ack,
    Envelope,
    MessageError,
    MessageKind,
    PoliceOrder,
    json_schemas,
    parse_envelope,
)
from tests.integrations.conftest import REPO, T0, police_order, ticket_transfer, transfer_envelope


def _doc(**over: object) -> dict[str, object]:
    return {**transfer_envelope().model_dump(mode="json"), **over}


def test_envelope_round_trips_through_json() -> None:
    envelope = transfer_envelope()
    again = parse_envelope(envelope.model_dump_json())
    assert again == envelope
    # built at the newest schema version (2 since issue 18); v1 is what a v1 peer is sent
    assert again.schema_version == SCHEMA_VERSION == 2 and again.kind is MessageKind.ticket_transfer


def test_police_order_carries_the_110_record_fields() -> None:
    order = police_order()
    envelope = Envelope.new("police_order", sender="110", correlation_id=order.alarm_number, payload=order)
    parsed = parse_envelope(envelope.model_dump_json())
    assert isinstance(parsed.payload, PoliceOrder)
    assert parsed.payload.jurisdiction_code == "310115000000" and parsed.payload.level == 4


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"kind": "nonsense"}, "kind: Input should be"),
        ({"schema_version": 3}, "schema_version: Input should be 1 or 2"),
        ({"message_id": "not-a-uuid"}, "message_id:"),
        ({"sent_at": "2025-06-16T09:30:00"}, "sent_at: Input should have timezone info"),
        ({"sender": "12 345"}, "sender: String should match pattern"),
        ({"surprise": 1}, "surprise: Extra inputs are not permitted"),
        ({"kind": "accepted"}, "payload.peer_id: Field required"),
    ],
)
def test_envelope_errors_name_the_field(change: dict[str, object], expected: str) -> None:
    with pytest.raises(MessageError) as exc:
        parse_envelope(_doc(**change))
    assert any(e.startswith(expected) for e in exc.value.errors), exc.value.errors


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"caller_phone": "call me"}, "payload.caller_phone: String should match pattern"),
        ({"request_type": "闲聊"}, "payload.request_type: Input should be"),
        ({"urgency": "asap"}, "payload.urgency:"),
        ({"content": "   "}, "payload.content: String should have at least 1 character"),
        ({"registered_at": "2025-06-16 09:30"}, "payload.registered_at: Input should have timezone info"),
        ({"latitude": 31.2}, "payload: Value error, latitude and longitude must be given together"),
        ({"latitude": 91, "longitude": 0}, "payload.latitude: Input should be less than or equal to 90"),
    ],
)
def test_payload_errors_are_prefixed_with_payload(change: dict[str, object], expected: str) -> None:
    doc = _doc()
    doc["payload"] = {**doc["payload"], **change}  # type: ignore[dict-item]
    with pytest.raises(MessageError) as exc:
        parse_envelope(doc)
    assert any(e.startswith(expected) for e in exc.value.errors), exc.value.errors


def test_payload_model_must_match_the_kind() -> None:
    with pytest.raises(MessageError, match="payload"):
        Envelope.new("accepted", sender="110", correlation_id="J1", payload=ticket_transfer())


def test_police_order_codes_are_checked() -> None:
    with pytest.raises(ValueError, match="category_code"):
        police_order(category_code="12")
    with pytest.raises(ValueError, match="jurisdiction_code"):
        police_order(jurisdiction_code="3101")
    with pytest.raises(ValueError, match="level"):
        police_order(level=5)


def test_messages_are_immutable() -> None:
    with pytest.raises(ValueError):
        ticket_transfer().content = "changed"  # type: ignore[misc]


def test_json_schemas_cover_every_kind_and_tie_payload_to_kind() -> None:
    schemas = json_schemas()
    assert set(schemas) == {"envelope", "ack", *(k.value for k in PAYLOAD_MODELS)}
    envelope = schemas["envelope"]
    assert envelope["$id"].endswith(":v2:envelope")  # the newest version unless asked
    assert envelope["additionalProperties"] is False
    rules = {r["if"]["properties"]["kind"]["const"]: r["then"]["properties"]["payload"]["$ref"]
             for r in envelope["allOf"]}
    assert rules["police_order"] == "#/$defs/PoliceOrder" and len(rules) == len(MessageKind)
    assert schemas["police_order"]["properties"]["alarm_number"]["description"] == "接警单号"


def test_json_schema_accepts_our_messages_and_refuses_a_mismatched_payload() -> None:
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    validator = jsonschema_rs.validator_for(json_schemas()["envelope"])
    good = transfer_envelope().model_dump(mode="json")
    assert validator.is_valid(good)
    bad = {**good, "kind": "police_order"}  # a ticket payload under the police-order kind
    assert not validator.is_valid(bad)
    ack = Ack(message_id=uuid.uuid4(), peer_id="J1", received_at=T0).model_dump(mode="json")
    assert jsonschema_rs.validator_for(json_schemas()["ack"]).is_valid(ack)


def test_schemas_cli_writes_one_file_per_schema(tmp_path: object) -> None:
    out = tmp_path / "schemas"  # type: ignore[operator]
    subprocess.run([sys.executable, "-m", "integrations", "schemas", "--out", str(out)],
                   cwd=REPO, check=True, capture_output=True)
    files = sorted(p.name for p in out.iterdir())
    # every schema version, side by side (v2 added four kinds in issue 18)
    assert "envelope.v1.schema.json" in files and "envelope.v2.schema.json" in files
    assert len(files) == len(json_schemas(1)) + len(json_schemas(2))
    assert json.loads((out / "police_order.v1.schema.json").read_text())["title"] == "PoliceOrder"


def test_envelope_new_defaults_to_now_in_utc() -> None:
    envelope = transfer_envelope()
    assert envelope.sent_at.tzinfo is not None
    assert abs((datetime.now(envelope.sent_at.tzinfo) - envelope.sent_at).total_seconds()) < 5
