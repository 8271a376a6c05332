"""Peer platforms (110, 119, 120, 122, utility hotlines) and how to talk to each.

SH 二(一)5 extends the linkage from 110 to "119、120 等紧急热线和水电气等公共事业服务热线", so
one connector serves them all; what differs per peer is data: where it listens, the shared
secrets, timeouts, how hard to retry, and the names it uses on the wire (110 systems say
接警单号 where we say ``alarm_number``). The rename map is applied on serialisation and undone
on parsing, so the rest of the code only ever sees our own field names.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from integrations.messages import (
    KIND_SINCE,
    PAYLOAD_MODELS,
    SCHEMA_VERSION,
    Ack,
    Envelope,
    MessageError,
    MessageKind,
    PeerCode,
    describe_errors,
    parse_envelope,
)

EXAMPLE_PEERS_PATH = Path(__file__).with_name("peers.example.toml")
ENV_PREFIX = "HOTLINE_PEER__"
ENV_FILE = "HOTLINE_PEERS_FILE"


@cache
def known_field_names() -> frozenset[str]:
    """Every field name that appears in our messages: the only keys a mapping may rename."""
    names: set[str] = set()
    models: list[type[BaseModel]] = [Envelope, Ack, *PAYLOAD_MODELS.values()]
    for model in models:
        names.update(model.model_fields)
    return frozenset(names)


def _rename_keys(value: Any, names: Mapping[str, str], foreign: Mapping[str, str] | None = None) -> Any:
    """Rename dict keys throughout a JSON tree; a key in ``foreign`` (a name that must not be on
    this wire) is an error, so a peer sending our names instead of its own is refused."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if foreign and k in foreign:
                raise MessageError([f"{k}: not a field of the peer's format (it calls it {foreign[k]!r})"])
            out[names.get(k, k)] = _rename_keys(v, names, foreign)
        return out
    if isinstance(value, list):
        return [_rename_keys(v, names, foreign) for v in value]
    return value


class MessageMapping(BaseModel):
    """Our kind and field names → the peer's; must be one-to-one so it can be undone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kinds: dict[str, str] = Field(default_factory=dict, description="our kind → the peer's")
    fields: dict[str, str] = Field(default_factory=dict, description="our field name → the peer's")
    by_kind: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="our kind → {our payload field → the peer's}: names that hold for one message "
                    "kind only (110 says 报警内容 in a 警单, not in a 12345 工单); over ``fields``")

    @field_validator("by_kind")
    @classmethod
    def _known_kind_fields(cls, v: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for kind, names in v.items():
            if kind not in {k.value for k in MessageKind}:
                raise ValueError(f"by_kind: unknown message kind {kind!r}")
            model = PAYLOAD_MODELS[MessageKind(kind)]
            unknown = sorted(set(names) - set(model.model_fields))
            if unknown:
                raise ValueError(f"by_kind.{kind}: {unknown} are not fields of a {kind} payload")
            values = list(names.values())
            if len(set(values)) != len(values):
                raise ValueError(f"by_kind.{kind}: several of ours map to one name")
        return v

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(v) - {k.value for k in MessageKind})
        if unknown:
            raise ValueError(f"unknown message kinds {unknown}")
        return v

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(v) - known_field_names())
        if unknown:
            raise ValueError(f"unknown field names {unknown} (typo?)")
        return v

    @model_validator(mode="after")
    def _one_to_one(self) -> Self:
        for label, mapping, ours in (
            ("kinds", self.kinds, {k.value for k in MessageKind}),
            ("fields", self.fields, known_field_names()),
        ):
            values = list(mapping.values())
            dupes = sorted({x for x in values if values.count(x) > 1})
            if dupes:
                raise ValueError(f"{label}: several of ours map to {dupes}")
            # A peer name equal to one of our names that stays unmapped could not be undone.
            clash = sorted(x for x in values if x in ours and x not in mapping)
            if clash:
                raise ValueError(f"{label}: peer names {clash} collide with our unmapped names")
        return self

    def encode(self, document: dict[str, Any]) -> dict[str, Any]:
        """Our JSON document (``Envelope.model_dump(mode="json")``) → the peer's wire form."""
        per_kind = self.by_kind.get(str(document.get("kind")), {})
        if per_kind and isinstance(document.get("payload"), dict):
            document = {**document, "payload": {per_kind.get(k, k): v
                                                for k, v in document["payload"].items()}}
        out = _rename_keys(document, self.fields)
        kind_key = self.fields.get("kind", "kind")
        if kind_key in out:
            out[kind_key] = self.kinds.get(out[kind_key], out[kind_key])
        return out

    def decode(self, document: dict[str, Any]) -> dict[str, Any]:
        """The peer's wire form → our field and kind names (the inverse of ``encode``)."""
        kind_key = self.fields.get("kind", "kind")
        if kind_key in document:
            kind = document[kind_key]
            if kind in self.kinds and kind not in self.kinds.values():
                raise MessageError([f"kind: {kind!r} is not the peer's name (it says {self.kinds[kind]!r})"])
            back = {v: k for k, v in self.kinds.items()}
            document = {**document, kind_key: back.get(kind, kind)}
        foreign = {k: v for k, v in self.fields.items() if k not in self.fields.values()}
        out = _rename_keys(document, {v: k for k, v in self.fields.items()}, foreign)
        per_kind = self.by_kind.get(str(out.get("kind")), {})
        if per_kind and isinstance(out.get("payload"), dict):
            back = {v: k for k, v in per_kind.items()}
            out = {**out, "payload": {back.get(k, k): v for k, v in out["payload"].items()}}
        return out

    def dump(self, envelope: Envelope, version: int | None = None) -> bytes:
        """The exact bytes to sign and send: the envelope at the peer's schema ``version``
        (default: the envelope's own) in the peer's names, compact UTF-8 JSON; raises
        ``VersionError`` for a kind newer than ``version``."""
        doc = self.encode(envelope.document(version))
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()

    def parse(self, body: bytes | str) -> Envelope:
        """The peer's bytes → our envelope; raises ``MessageError`` with one line per problem."""
        try:
            doc = json.loads(body)
        except ValueError as exc:
            raise MessageError([f"(message): not JSON: {exc}"]) from None
        if not isinstance(doc, dict):
            raise MessageError(["(message): expected a JSON object"])
        return parse_envelope(self.decode(doc))


class PeerConfig(BaseModel):
    """One peer platform as seen from our side.

    ``secret`` signs what we send; ``inbound_secret`` verifies what the peer sends us (each side
    signs with its own secret, so a leaked copy on one side cannot forge the other's messages);
    when it is not set the one secret serves both ways.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: PeerCode
    name: str = Field(min_length=1, max_length=64)
    base_url: str = Field(pattern=r"^https?://[^\s/]+(/\S*)?$")
    inbound_path: str = Field(default="/api/v1/inbound", pattern=r"^(/\S*)?$")
    secret: SecretStr
    inbound_secret: SecretStr | None = None
    timeout_s: float = Field(default=10.0, gt=0, le=300, description="read/write/pool timeout")
    connect_timeout_s: float = Field(default=3.0, gt=0, le=60)
    max_attempts: int = Field(default=8, ge=1, le=100, description="after this many tries: dead")
    schema_version: int = Field(
        default=1, ge=1, le=SCHEMA_VERSION,
        description="the message schema version the peer speaks: what we send it is written at "
                    "this version (newer fields left out, newer kinds held back); 1 unless the "
                    "peer has agreed to more")
    message_mapping: MessageMapping = Field(default_factory=MessageMapping)

    @field_validator("secret", "inbound_secret")
    @classmethod
    def _not_blank(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value().strip():
            raise ValueError("secret must not be blank")
        return v

    @property
    def url(self) -> str:
        """Where envelopes for this peer are POSTed."""
        return self.base_url.rstrip("/") + self.inbound_path if self.inbound_path else self.base_url

    def evolve(self, **changes: Any) -> PeerConfig:
        """A validated copy with some fields changed (``model_copy`` would skip validation)."""
        return PeerConfig.model_validate({**dict(self), **changes})

    def signing_secret(self) -> str:
        return self.secret.get_secret_value()

    def verifying_secret(self) -> str:
        return (self.inbound_secret or self.secret).get_secret_value()

    def speaks(self, kind: MessageKind | str) -> bool:
        """Can this peer receive a message of ``kind`` at its schema version?"""
        return KIND_SINCE[MessageKind(kind)] <= self.schema_version

    def encode(self, envelope: Envelope) -> bytes:
        """The exact bytes to sign and send to this peer, at its schema version; raises
        ``VersionError`` for a kind the peer's version does not have."""
        return self.message_mapping.dump(envelope, self.schema_version)

    def decode(self, body: bytes | str) -> Envelope:
        """Parse bytes this peer sent; raises ``MessageError`` when invalid."""
        return self.message_mapping.parse(body)


class PeerConfigError(ValueError):
    """A peers file or environment that does not describe valid peers; says which one."""


def _build(entries: Mapping[str, Mapping[str, Any]], source: str) -> dict[str, PeerConfig]:
    from pydantic import ValidationError

    peers: dict[str, PeerConfig] = {}
    for key, entry in entries.items():
        data = {"code": key, **entry}
        try:
            peer = PeerConfig.model_validate(data)
        except ValidationError as exc:
            raise PeerConfigError(f"{source}: peer {key!r}: " + "; ".join(describe_errors(exc))) from None
        if peer.code in peers:
            raise PeerConfigError(f"{source}: peer {peer.code!r} given twice")
        peers[peer.code] = peer
    return peers


def _file_entries(path: Path | str) -> dict[str, dict[str, Any]]:
    """The raw ``peers`` tables of a file, not validated yet (the environment may complete them)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PeerConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        doc = json.loads(raw) if path.suffix.lower() == ".json" else tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise PeerConfigError(f"{path}: not valid {'JSON' if path.suffix.lower() == '.json' else 'TOML'}: "
                              f"{exc}") from None
    entries = doc.get("peers") if isinstance(doc, dict) else None
    if not isinstance(entries, dict) or not all(isinstance(v, dict) for v in entries.values()):
        raise PeerConfigError(f"{path}: expected a 'peers' table keyed by peer code")
    return {str(code): dict(entry) for code, entry in entries.items()}


def load_peers(path: Path | str) -> dict[str, PeerConfig]:
    """Peers from a TOML (``[peers.110]`` tables) or JSON (``{"peers": {"110": {...}}}``) file."""
    return _build(_file_entries(path), str(path))


def load_peers_from_env(environ: Mapping[str, str] | None = None) -> dict[str, PeerConfig]:
    """Peers from the environment: ``HOTLINE_PEERS_FILE`` first, then per-field overrides.

    ``HOTLINE_PEER__110__BASE_URL=http://…`` sets one field of peer ``110`` (double
    underscores because codes and field names contain single ones); ``…__MESSAGE_MAPPING`` takes
    JSON. Containers get secrets from the environment without writing them to a file.
    """
    environ = os.environ if environ is None else environ
    entries: dict[str, dict[str, Any]] = {}
    source = "environment"
    if environ.get(ENV_FILE):
        # Validated only after the environment's fields are merged in: a file may leave out the
        # secret that ``HOTLINE_PEER__110__SECRET`` gives (secrets stay out of files).
        entries = _file_entries(environ[ENV_FILE])
        source = f"{environ[ENV_FILE]} + environment"
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        code, sep, field = name[len(ENV_PREFIX):].partition("__")
        if not sep or not code or not field:
            raise PeerConfigError(f"{name}: expected {ENV_PREFIX}<CODE>__<FIELD>")
        field = field.lower()
        parsed: Any = value
        if field == "message_mapping":
            try:
                parsed = json.loads(value)
            except ValueError as exc:
                raise PeerConfigError(f"{name}: not JSON: {exc}") from None
        entries.setdefault(code.lower(), {})[field] = parsed
    return _build(entries, source)
