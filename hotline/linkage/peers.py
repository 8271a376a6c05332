"""The peer platforms this deployment talks to (110, 119, 120, 122, utility lines)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import integrations

OUR_CODE = "12345"
EXAMPLE_PEERS = Path(integrations.__file__).resolve().parent / "peers.example.toml"


@lru_cache
def peers() -> dict[str, integrations.PeerConfig]:
    """Peers from HOTLINE_PEERS_FILE / HOTLINE_PEER__… only — demo mode included.

    The demo used to fall back to the example file, whose peers listen on fixed local ports
    (127.0.0.1:9110 …): any process there received citizen data from every demo instance on the
    machine. ``make run`` now starts its own simulator on a free port and configures 110 for it
    (scripts/run-demo.sh); without that, a demo has no peer.
    """
    return integrations.load_peers_from_env()


def reload() -> None:
    peers.cache_clear()
