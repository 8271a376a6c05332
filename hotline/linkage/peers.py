"""The peer platforms this deployment talks to (110, 119, 120, 122, utility lines)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import integrations
from hotline.core.settings import get_settings

OUR_CODE = "12345"
EXAMPLE_PEERS = Path(integrations.__file__).resolve().parent / "peers.example.toml"


@lru_cache
def peers() -> dict[str, integrations.PeerConfig]:
    """Peers from HOTLINE_PEERS_FILE / HOTLINE_PEER__… ; the example file in demo mode."""
    found = integrations.load_peers_from_env()
    if not found and get_settings().demo_mode:
        found = integrations.load_peers(EXAMPLE_PEERS)
    return found


def reload() -> None:
    peers.cache_clear()
