"""``python -m integrations schemas --out DIR``: export the message JSON Schemas."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from integrations.peers import MessageMapping, _file_entries
from integrations.schemas import write_schemas


def load_peers_raw(path: Path) -> dict[str, MessageMapping]:
    """Each peer's message mapping from a peers file (secrets not needed to export shapes)."""
    return {code: MessageMapping.model_validate(entry.get("message_mapping") or {})
            for code, entry in _file_entries(path).items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m integrations", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    schemas = sub.add_parser("schemas", help="write the JSON Schemas of the wire messages")
    schemas.add_argument("--out", type=Path, required=True, help="directory to write into")
    schemas.add_argument("--peers", type=Path, help="peers file: write each peer's wire shape "
                         "(its field and kind names) into OUT/<code>/")
    args = parser.parse_args(argv)
    if args.command == "schemas":
        if args.peers is not None:
            for code, peer in load_peers_raw(args.peers).items():
                for path in write_schemas(args.out / code, peer):
                    print(path)
            return 0
        for path in write_schemas(args.out):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
