"""Settings and failure modes of the simulated 110 platform."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from integrations.messages import SCHEMA_VERSION, PeerCode
from integrations.peers import MessageMapping


class SimulatorSettings(BaseModel):
    """How the simulated 110 is wired to a 12345 instance.

    ``secret`` is the simulator's own signing secret (what 12345 verifies our callbacks with);
    ``peer_secret`` is 12345's secret (what we verify its deliveries with).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: PeerCode = "110"
    peer_code: PeerCode = "12345"
    secret: str = Field(min_length=1)
    peer_secret: str = Field(min_length=1)
    callback_url: str | None = Field(default=None, description="12345's webhook for status callbacks")
    push_url: str | None = Field(default=None, description="12345's webhook for pushes; default callback_url")
    step_delay_ms: int = Field(default=500, ge=0, le=600_000, description="between timeline callbacks")
    tolerance_s: int = Field(default=300, ge=1)
    region_code: str = Field(default="310115", pattern=r"^\d{6}$", description="for alarm numbers")
    callback_timeout_s: float = Field(default=5.0, gt=0)
    callback_attempts: int = Field(default=3, ge=1, le=20)
    seed: int | None = Field(default=None, description="seeds the out-of-order shuffle")
    mapping: MessageMapping = Field(default_factory=MessageMapping)
    schema_version: int = Field(default=1, ge=1, le=SCHEMA_VERSION,
                                description="the message schema version this 110 speaks: its "
                                            "callbacks and pushes are written at it")

    @property
    def effective_push_url(self) -> str | None:
        return self.push_url or self.callback_url


class SimulatorMode(BaseModel):
    """Failure modes, set at run time with ``POST /control/mode`` (all off = a healthy 110)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    down: bool = Field(default=False, description="refuse deliveries with 503 + Retry-After")
    slow_ms: int = Field(default=0, ge=0, le=120_000, description="delay each delivery's answer")
    http500: bool = Field(default=False, description="answer deliveries with 500")
    duplicate_deliveries: bool = Field(default=False, description="send each callback twice")
    out_of_order: bool = Field(default=False, description="send a matter's callbacks shuffled")
