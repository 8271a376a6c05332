"""JSON Schema export of the wire messages, so a peer's developers can validate against the
agreed format without reading Python (SH 二(二)1 "规范工单和警单标准……等数据格式").

One set of schemas per schema version: version 1 is the original contract, version 2 adds
optional fields and four kinds (see ``integrations/README.md``). A field's property carries
``x-since-version`` when it is newer than 1, so a reader sees what came when.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from integrations.messages import (
    KIND_SINCE,
    PAYLOAD_MODELS,
    SCHEMA_VERSION,
    SINCE_KEY,
    SUPPORTED_VERSIONS,
    Ack,
    Envelope,
    MessageKind,
)


def _at_version(node: Any, version: int) -> Any:
    """A schema tree with every property newer than ``version`` left out (and out of
    ``required``)."""
    if isinstance(node, list):
        return [_at_version(x, version) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _at_version(v, version) for k, v in node.items()}
    props = out.get("properties")
    if isinstance(props, dict):
        newer = {k for k, v in props.items() if isinstance(v, dict) and v.get(SINCE_KEY, 1) > version}
        if newer:
            out["properties"] = {k: v for k, v in props.items() if k not in newer}
            if isinstance(out.get("required"), list):
                out["required"] = [r for r in out["required"] if r not in newer]
    return out


def json_schemas(version: int = SCHEMA_VERSION) -> dict[str, dict[str, Any]]:
    """Name → JSON Schema (draft 2020-12) for the envelope, the ack and each payload kind that
    exists at ``version``, as a peer at that version sees them."""
    if version not in SUPPORTED_VERSIONS:
        raise ValueError(f"schema version {version} is not one of {SUPPORTED_VERSIONS}")
    kinds = {k: m for k, m in PAYLOAD_MODELS.items() if KIND_SINCE[k] <= version}
    envelope = Envelope.model_json_schema()
    # pydantic can only say "payload is one of twelve"; tell readers which goes with which kind.
    envelope["allOf"] = [
        {
            "if": {"properties": {"kind": {"const": kind.value}}, "required": ["kind"]},
            "then": {"properties": {"payload": {"$ref": f"#/$defs/{model.__name__}"}}},
        }
        for kind, model in kinds.items()
    ]
    names = {m.__name__ for m in kinds.values()}
    dropped = {m.__name__ for m in PAYLOAD_MODELS.values()} - names
    defs = envelope.get("$defs", {})
    envelope["$defs"] = {k: v for k, v in defs.items() if k not in dropped}
    props = envelope["properties"]
    props["payload"]["anyOf"] = [r for r in props["payload"]["anyOf"]
                                 if r.get("$ref", "").rsplit("/", 1)[-1] not in dropped]
    kind_def = envelope["$defs"].get(MessageKind.__name__)
    if kind_def is not None:
        kind_def["enum"] = [k.value for k in kinds]
    props["schema_version"] = {**props["schema_version"], "const": version, "default": version}
    props["schema_version"].pop("enum", None)
    ack = Ack.model_json_schema()
    ack["properties"]["schema_version"] = {"const": version, "default": version,
                                           "title": "Schema Version", "type": "integer"}
    out: dict[str, dict[str, Any]] = {"envelope": envelope, "ack": ack}
    for kind, model in kinds.items():
        out[kind.value] = model.model_json_schema()
    for name, schema in list(out.items()):
        schema = _at_version(schema, version)
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"urn:hotline:integrations:v{version}:{name}"
        out[name] = schema
    return out


def _renamed(schema: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    out = dict(schema)
    if isinstance(out.get("properties"), dict):
        out["properties"] = {names.get(k, k): v for k, v in out["properties"].items()}
    if isinstance(out.get("required"), list):
        out["required"] = [names.get(k, k) for k in out["required"]]
    return out


def wire_schemas(mapping: Any, version: int = SCHEMA_VERSION) -> dict[str, dict[str, Any]]:
    """The schemas as one peer sees them on the wire at its schema ``version``: its field names
    (per message kind over the general ones) and its kind names — what a peer's developers
    validate against."""
    out = {}
    for name, schema in json_schemas(version).items():
        per_kind = mapping.by_kind.get(name, {})
        names = {**mapping.fields, **per_kind}
        wire = _renamed(schema, names)
        if name in mapping.kinds:
            wire["title"] = f"{schema.get('title', name)} ({mapping.kinds[name]})"
        out[mapping.kinds.get(name, name)] = wire
    return out


def write_schemas(out_dir: Path, mapping: Any | None = None,
                  version: int = SCHEMA_VERSION) -> list[Path]:
    """Write one ``<name>.v<version>.schema.json`` per schema; return the paths written. With a
    peer's ``MessageMapping``, the names are that peer's (``wire_schemas``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    schemas = wire_schemas(mapping, version) if mapping is not None else json_schemas(version)
    for name, schema in schemas.items():
        path = out_dir / f"{name}.v{version}.schema.json"
        path.write_text(json.dumps(schema, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written
