"""JSON Schema export of the wire messages, so a peer's developers can validate against the
agreed format without reading Python (SH 二(二)1 "规范工单和警单标准……等数据格式")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from integrations.messages import PAYLOAD_MODELS, SCHEMA_VERSION, Ack, Envelope


def json_schemas() -> dict[str, dict[str, Any]]:
    """Name → JSON Schema (draft 2020-12) for the envelope, the ack and each payload kind."""
    envelope = Envelope.model_json_schema()
    # pydantic can only say "payload is one of eight"; tell readers which goes with which kind.
    envelope["allOf"] = [
        {
            "if": {"properties": {"kind": {"const": kind.value}}, "required": ["kind"]},
            "then": {"properties": {"payload": {"$ref": f"#/$defs/{model.__name__}"}}},
        }
        for kind, model in PAYLOAD_MODELS.items()
    ]
    out: dict[str, dict[str, Any]] = {
        "envelope": envelope,
        "ack": Ack.model_json_schema(),
    }
    for kind, model in PAYLOAD_MODELS.items():
        out[kind.value] = model.model_json_schema()
    for name, schema in out.items():
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"urn:hotline:integrations:v{SCHEMA_VERSION}:{name}"
    return out


def _renamed(schema: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    out = dict(schema)
    if isinstance(out.get("properties"), dict):
        out["properties"] = {names.get(k, k): v for k, v in out["properties"].items()}
    if isinstance(out.get("required"), list):
        out["required"] = [names.get(k, k) for k in out["required"]]
    return out


def wire_schemas(mapping: Any) -> dict[str, dict[str, Any]]:
    """The schemas as one peer sees them on the wire: its field names (per message kind over the
    general ones) and its kind names — what a peer's developers validate against."""
    out = {}
    for name, schema in json_schemas().items():
        per_kind = mapping.by_kind.get(name, {})
        names = {**mapping.fields, **per_kind}
        wire = _renamed(schema, names)
        if name in mapping.kinds:
            wire["title"] = f"{schema.get('title', name)} ({mapping.kinds[name]})"
        out[mapping.kinds.get(name, name)] = wire
    return out


def write_schemas(out_dir: Path, mapping: Any | None = None) -> list[Path]:
    """Write one ``<name>.v<version>.schema.json`` per schema; return the paths written. With a
    peer's ``MessageMapping``, the names are that peer's (``wire_schemas``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in (wire_schemas(mapping) if mapping is not None else json_schemas()).items():
        path = out_dir / f"{name}.v{SCHEMA_VERSION}.schema.json"
        path.write_text(json.dumps(schema, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written
