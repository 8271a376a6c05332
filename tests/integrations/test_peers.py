"""Peer configuration: files, environment, and the field-rename map on the wire."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from integrations import (
    EXAMPLE_PEERS_PATH,
    Envelope,
    MessageMapping,
    PeerConfig,
    PeerConfigError,
    load_peers,
    load_peers_from_env,
)
from tests.integrations.conftest import police_order

MAPPING_110 = MessageMapping(
    kinds={"police_order": "JJD"},
    fields={"alarm_number": "接警单号", "caller_phone": "报警电话", "jurisdiction_code": "管辖单位代码"},
)


def _order_envelope() -> Envelope:
    order = police_order()
    return Envelope.new("police_order", sender="110", correlation_id=order.alarm_number, payload=order)


def test_example_file_lists_110_119_120_122_and_utilities() -> None:
    peers = load_peers(EXAMPLE_PEERS_PATH)
    assert {"110", "119", "120", "122", "96116", "95598", "gas"} <= set(peers)
    p110 = peers["110"]
    assert p110.url == "http://127.0.0.1:9110/api/v1/inbound"
    # 110's names hold in its 警单 only (issue 18: a 12345 工单 must not carry 报警内容)
    assert p110.message_mapping.by_kind["police_order"]["alarm_number"] == "接警单号"
    assert "content" not in p110.message_mapping.fields
    assert p110.signing_secret() != p110.verifying_secret()
    assert peers["119"].verifying_secret() == peers["119"].signing_secret()
    assert "change-me" not in repr(p110)  # secrets never show in logs


def test_json_file(tmp_path: Path) -> None:
    path = tmp_path / "peers.json"
    path.write_text(json.dumps({"peers": {"120": {"name": "急救", "base_url": "https://120.example",
                                                   "secret": "s3", "max_attempts": 3}}}))
    peer = load_peers(path)["120"]
    assert peer.code == "120" and peer.max_attempts == 3 and peer.timeout_s == 10


def test_bad_file_names_the_peer(tmp_path: Path) -> None:
    path = tmp_path / "peers.toml"
    path.write_text('[peers.110]\nname = "x"\nbase_url = "ftp://nope"\nsecret = "s"\n')
    with pytest.raises(PeerConfigError, match=r"peer '110'.*base_url"):
        load_peers(path)


def test_environment_overrides_the_file() -> None:
    env = {
        "HOTLINE_PEERS_FILE": str(EXAMPLE_PEERS_PATH),
        "HOTLINE_PEER__110__SECRET": "from-env",
        "HOTLINE_PEER__110__TIMEOUT_S": "2.5",
        "HOTLINE_PEER__GAS__BASE_URL": "http://gas.internal:8080",
        "HOTLINE_PEER__122__MESSAGE_MAPPING": json.dumps({"fields": {"content": "事故描述"}}),
        "UNRELATED": "x",
    }
    peers = load_peers_from_env(env)
    assert peers["110"].signing_secret() == "from-env" and peers["110"].timeout_s == 2.5
    assert peers["110"].message_mapping.by_kind["police_order"]["alarm_number"] == "接警单号"  # kept
    assert peers["gas"].base_url == "http://gas.internal:8080"
    assert peers["122"].message_mapping.fields == {"content": "事故描述"}


def test_environment_alone() -> None:
    peers = load_peers_from_env({"HOTLINE_PEER__95598__NAME": "供电", "HOTLINE_PEER__95598__BASE_URL":
                                 "http://power", "HOTLINE_PEER__95598__SECRET": "k"})
    assert peers["95598"].url == "http://power/api/v1/inbound"
    with pytest.raises(PeerConfigError, match="secret"):
        load_peers_from_env({"HOTLINE_PEER__95598__NAME": "供电", "HOTLINE_PEER__95598__BASE_URL": "http://p"})


def test_mapping_renames_on_the_wire_and_back() -> None:
    peer = PeerConfig(code="110", name="110", base_url="http://x", secret="s", message_mapping=MAPPING_110)
    envelope = _order_envelope()
    wire = json.loads(peer.encode(envelope))
    assert wire["kind"] == "JJD"
    assert wire["payload"]["接警单号"] == "J31011520250616000123" and "alarm_number" not in wire["payload"]
    assert wire["payload"]["管辖单位代码"] == "310115000000"
    # the peer is at schema version 1 (the default): what comes back is the v1 form
    assert peer.decode(peer.encode(envelope)) == envelope.for_version(1)


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"fields": {"alarm_numbr": "接警单号"}}, "unknown field names"),
        ({"kinds": {"police": "JJD"}}, "unknown message kinds"),
        ({"fields": {"content": "内容", "note": "内容"}}, "several of ours map to"),
        ({"fields": {"content": "note"}}, "collide with our unmapped names"),
    ],
)
def test_mapping_must_be_reversible(mapping: dict[str, dict[str, str]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MessageMapping.model_validate(mapping)


def test_swapping_two_names_is_reversible() -> None:
    mapping = MessageMapping(fields={"content": "note", "note": "content"})
    doc = {"content": "a", "note": "b"}
    assert mapping.decode(mapping.encode(doc)) == doc


def test_evolve_validates() -> None:
    peer = PeerConfig(code="110", name="110", base_url="http://x", secret="s")
    assert peer.evolve(timeout_s=1).timeout_s == 1
    with pytest.raises(ValueError):
        peer.evolve(timeout_s=-1)


def test_a_peer_sending_our_names_instead_of_its_own_is_refused() -> None:
    from integrations import MessageError

    plain = PeerConfig(code="110", name="110", base_url="http://x", secret="s")
    mapped = plain.evolve(message_mapping=MAPPING_110)
    with pytest.raises(MessageError, match="JJD"):
        mapped.decode(plain.encode(_order_envelope()))


def test_simulator_cli_reads_a_mapping_file(tmp_path: Path) -> None:
    from integrations.simulator.__main__ import _mapping

    path = tmp_path / "m.json"
    path.write_text(json.dumps(MAPPING_110.model_dump(), ensure_ascii=False), encoding="utf-8")
    assert _mapping(str(path)) == MAPPING_110
    assert _mapping(None) == MessageMapping()


def test_our_field_names_on_a_mapped_wire_are_refused() -> None:
    from integrations import MessageError

    mapped = PeerConfig(code="110", name="110", base_url="http://x", secret="s", message_mapping=MAPPING_110)
    doc = json.loads(mapped.encode(_order_envelope()))
    doc["payload"]["alarm_number"] = doc["payload"].pop("接警单号")
    with pytest.raises(MessageError, match="接警单号"):
        mapped.decode(json.dumps(doc))
