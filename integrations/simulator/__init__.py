"""A simulated 110 platform (FastAPI) to develop and test the 12345 ⇄ 110 linkage against.

``create_app(settings)`` gives the ASGI app; ``serve(port, ...)`` runs it with uvicorn (what
``hotline sim110`` and ``python -m integrations.simulator`` call).
"""

from __future__ import annotations

from typing import Any

from integrations.simulator.app import Simulator, create_app
from integrations.simulator.settings import SimulatorMode, SimulatorSettings


def serve(
    port: int = 9110,
    *,
    host: str = "127.0.0.1",
    settings: SimulatorSettings | None = None,
    log_level: str = "warning",
    **fields: Any,
) -> None:
    """Run the simulator in the foreground until interrupted.

    Pass either a ready ``settings`` or its fields as keywords (``secret=…, peer_secret=…,
    callback_url=…``).
    """
    import uvicorn

    if settings is None:
        settings = SimulatorSettings(**fields)
    elif fields:
        raise TypeError("give settings or keyword fields, not both")
    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level)


__all__ = ["Simulator", "SimulatorMode", "SimulatorSettings", "create_app", "serve"]
