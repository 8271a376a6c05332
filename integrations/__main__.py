"""``python -m integrations schemas --out DIR``: export the message JSON Schemas."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from integrations.schemas import write_schemas


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m integrations", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    schemas = sub.add_parser("schemas", help="write the JSON Schemas of the wire messages")
    schemas.add_argument("--out", type=Path, required=True, help="directory to write into")
    args = parser.parse_args(argv)
    if args.command == "schemas":
        for path in write_schemas(args.out):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
