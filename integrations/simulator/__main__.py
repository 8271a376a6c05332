"""``python -m integrations.simulator --port 9110 --callback-url URL --secret S --peer-secret S2``.

Secrets may come from ``HOTLINE_SIM110_SECRET`` / ``HOTLINE_SIM110_PEER_SECRET`` instead of
flags, so they do not show in the process list.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tomllib
from pathlib import Path

from integrations.messages import SUPPORTED_VERSIONS
from integrations.peers import MessageMapping
from integrations.simulator import SimulatorSettings, serve


def _mapping(path: str | None) -> MessageMapping:
    if not path:
        return MessageMapping()
    raw = Path(path).read_bytes()
    doc = json.loads(raw) if path.endswith(".json") else tomllib.loads(raw.decode("utf-8"))
    return MessageMapping.model_validate(doc)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m integrations.simulator", description="Simulated 110 platform")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=9110)
    p.add_argument("--callback-url", help="12345's inbound webhook for status callbacks")
    p.add_argument("--push-url", help="12345's inbound webhook for pushed matters (default: callback URL)")
    p.add_argument("--secret", default=os.environ.get("HOTLINE_SIM110_SECRET"),
                   help="the simulator's own signing secret (callbacks, pushes)")
    p.add_argument("--peer-secret", default=os.environ.get("HOTLINE_SIM110_PEER_SECRET"),
                   help="12345's secret, to verify its deliveries")
    p.add_argument("--code", default="110", help="our peer code (sender of callbacks)")
    p.add_argument("--peer-code", default="12345", help="the only sender we accept")
    p.add_argument("--step-delay-ms", type=int, default=500, help="time between timeline callbacks")
    p.add_argument("--tolerance-s", type=int, default=300, help="signature timestamp tolerance")
    p.add_argument("--seed", type=int, help="seed for the out-of-order shuffle")
    p.add_argument("--mapping", help="JSON/TOML file with {kinds, fields} renames (110's wire names)")
    p.add_argument("--schema-version", type=int, choices=SUPPORTED_VERSIONS, default=1,
                   help="message schema version this 110 speaks (2: 接警员, 警号, 案件编号, 结警代码 …)")
    p.add_argument("--log-level", default="warning")
    args = p.parse_args(argv)
    if not args.secret or not args.peer_secret:
        p.error("--secret and --peer-secret are required (or HOTLINE_SIM110_SECRET / _PEER_SECRET)")
    settings = SimulatorSettings(
        code=args.code, peer_code=args.peer_code, secret=args.secret, peer_secret=args.peer_secret,
        callback_url=args.callback_url, push_url=args.push_url, step_delay_ms=args.step_delay_ms,
        tolerance_s=args.tolerance_s, seed=args.seed, mapping=_mapping(args.mapping),
        schema_version=args.schema_version,
    )
    serve(args.port, host=args.host, settings=settings, log_level=args.log_level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
