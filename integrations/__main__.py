"""``python -m integrations schemas --out DIR [--peers FILE]``: export the message JSON Schemas.

Without ``--peers``: every schema version, our field names (``<name>.v<version>.schema.json``).
With ``--peers``: per peer, the wire shape it sees — its field and kind names, at the schema
version it declares (``schema_version`` in its entry, 1 when not given) — in ``DIR/<code>/``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError

from integrations.messages import SUPPORTED_VERSIONS, describe_errors
from integrations.peers import MessageMapping, PeerConfigError, _file_entries
from integrations.schemas import write_schemas


def load_peers_raw(path: Path) -> dict[str, tuple[MessageMapping, int]]:
    """Each peer's message mapping and schema version from a peers file (secrets not needed to
    export shapes)."""
    out = {}
    for code, entry in _file_entries(path).items():
        version = entry.get("schema_version", 1)
        if version not in SUPPORTED_VERSIONS:
            raise PeerConfigError(f"{path}: peer {code!r}: schema_version {version!r} is not one "
                                  f"of {list(SUPPORTED_VERSIONS)}")
        try:
            mapping = MessageMapping.model_validate(entry.get("message_mapping") or {})
        except ValidationError as exc:
            raise PeerConfigError(f"{path}: peer {code!r}: " + "; ".join(describe_errors(exc))) from None
        out[code] = (mapping, int(version))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m integrations", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    schemas = sub.add_parser("schemas", help="write the JSON Schemas of the wire messages")
    schemas.add_argument("--out", type=Path, required=True, help="directory to write into")
    schemas.add_argument("--peers", type=Path, help="peers file: write each peer's wire shape "
                         "(its field and kind names, at its schema_version) into OUT/<code>/")
    args = parser.parse_args(argv)
    if args.command == "schemas":
        if args.peers is not None:
            try:
                peers = load_peers_raw(args.peers)
            except PeerConfigError as exc:
                print(exc, file=sys.stderr)
                return 2
            for code, (mapping, version) in peers.items():
                for path in write_schemas(args.out / code, mapping, version):
                    print(path)
            return 0
        for version in SUPPORTED_VERSIONS:
            for path in write_schemas(args.out, version=version):
                print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
